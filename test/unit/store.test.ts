import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore, type AudienceFilter, type Store } from '../../core/store';
import { MIGRATIONS, migrate } from '../../core/store/migrations';
import { CsvParser, csvRecordToInput, validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { unsubscribeToken, verifyUnsubscribeToken } from '../../core/store/unsubscribe';
import { freshDatabase, testPostgres, type TestPostgres } from '../support/postgres';

// The same suite on SQLite and on a real PostgreSQL: one query layer, same answers.

const valid = (rows: SubscriberInput[]) =>
  rows.map((r, i) => {
    const v = validateSubscriber(r, i + 1);
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    return v.value;
  });

const customers: AudienceFilter = { components: ['payments'], internal: false, attributes: {} };

function storeSuite(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>) {
  describe(`store on ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    test('migrations run once and are recorded', async () => {
      assert.deepEqual(await migrate(store.db), []);
      const rows = await store.db.all<{ version: number }>('SELECT version FROM herald_migrations');
      assert.deepEqual(
        rows.map((r) => Number(r.version)),
        MIGRATIONS.map((m) => m.version),
      );
    });

    test('upsert inserts, then updates by id and replaces components and attributes', async () => {
      const first = await store.upsertSubscribers(
        valid([
          { id: 'a1', email: 'A1@Example.com', components: ['payments'], attributes: { tier: 'enterprise' } },
          { id: 'a2', phone: '+15555550102', components: '*', locale: 'zh-TW' },
          { id: 'a3', email: 'a3@example.com', components: ['website'], internal: true },
        ]),
      );
      assert.deepEqual(first, { inserted: 3, updated: 0 });
      const again = await store.upsertSubscribers(
        valid([
          { id: 'a1', email: 'a1@example.com', components: ['payments', 'api'], attributes: { tier: 'free', region: 'eu' } },
        ]),
      );
      assert.deepEqual(again, { inserted: 0, updated: 1 });
      const a1 = (await store.getSubscriber('a1'))!;
      assert.deepEqual(a1.components, ['api', 'payments']);
      assert.deepEqual(a1.attributes, { region: 'eu', tier: 'free' });
      assert.equal(a1.consent.state, 'confirmed');
      assert.ok(a1.consent.confirmedAt);
      assert.equal((await store.getSubscriber('a2'))!.components, '*');
    });

    test('audience pages follow components, exclusions, attributes, internal flag and consent', async () => {
      await store.upsertSubscribers(
        valid([
          { id: 'b1', email: 'b1@example.com', components: ['payments'], attributes: { tier: 'enterprise' } },
          { id: 'b2', email: 'b2@example.com', components: ['payments'], consent: 'pending' },
          { id: 'b3', email: 'b3@example.com', components: ['payments'], consent: 'unsubscribed' },
          { id: 'b4', email: 'b4@example.com', components: ['invoicing'] },
        ]),
      );
      assert.deepEqual(await store.audienceIds(customers, null, 100), ['a1', 'a2', 'b1', 'b3']);
      assert.deepEqual(await store.audienceIds({ ...customers, attributes: { tier: ['enterprise'] } }, null, 100), ['b1']);
      assert.deepEqual(await store.audienceIds({ ...customers, excludeComponents: ['api'] }, null, 100), ['b1', 'b3']);
      assert.deepEqual(
        await store.audienceIds({ components: ['website'], internal: true, attributes: { internal: ['true'] } }, null, 100),
        ['a3'],
      );
      // Keyset pages: two at a time, nothing skipped or repeated.
      const p1 = await store.audienceIds(customers, null, 2);
      const p2 = await store.audienceIds(customers, p1[1]!, 2);
      const p3 = await store.audienceIds(customers, p2[1] ?? null, 2);
      assert.deepEqual([...p1, ...p2], ['a1', 'a2', 'b1', 'b3']);
      assert.deepEqual(p3, []);
      const range = await store.audienceRange(customers, 'a1', 'b3', 10);
      assert.deepEqual(
        range.map((r) => [r.id, r.consent]),
        [
          ['a2', 'confirmed'],
          ['b1', 'confirmed'],
          ['b3', 'unsubscribed'],
        ],
      );
      assert.equal(await store.countAudience(customers), 4);
    });

    test('an audience leaves out the members an outranking audience of the same message reaches', async () => {
      await store.upsertSubscribers(
        valid([
          { id: 'p1', email: 'p1@example.com', components: ['api'], attributes: { tier: 'enterprise' } },
          { id: 'p2', email: 'p2@example.com', components: ['api'] },
          { id: 'p3', push: 'push-token-p3', components: ['api'], attributes: { tier: 'enterprise' } },
          { id: 'p4', email: 'p4@example.com', components: ['website'], attributes: { tier: 'enterprise' } },
        ]),
      );
      const api: AudienceFilter = { components: ['api'], internal: false, attributes: {} };
      const enterprise = { internal: false, attributes: { tier: ['enterprise'] } };
      const ids = async (f: AudienceFilter) => (await store.audienceIds(f, null, 100)).filter((id) => id.startsWith('p'));
      assert.deepEqual(await ids(api), ['p1', 'p2', 'p3']);
      // Enterprise outranks: p1 hears from it by e-mail; p3 has no address on its channels and stays.
      const outranked = { ...api, outrankedBy: [{ ...enterprise, channels: ['email', 'sms', 'chat'] }] };
      assert.deepEqual(await ids(outranked), ['p2', 'p3']);
      assert.deepEqual(
        (await store.audienceRange(outranked, null, 'p9', 100)).filter((r) => r.id.startsWith('p')).map((r) => r.id),
        ['p2', 'p3'],
      );
      // Another component of the same message, and a round for newly affected components alike.
      assert.deepEqual(await ids({ ...outranked, components: ['website'] }), []);
      assert.deepEqual(await ids({ ...api, excludeComponents: ['website'], outrankedBy: outranked.outrankedBy }), ['p2', 'p3']);
    });

    test('ids order bytewise on both engines', async () => {
      await store.upsertSubscribers(
        valid([
          { id: 'Z9', email: 'z@example.com', components: ['payments'] },
          { id: 'a-0', email: 'a0@example.com', components: ['payments'] },
        ]),
      );
      const ids = await store.audienceIds(customers, null, 100);
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)),
      );
      assert.equal(ids[0], 'Z9');
    });

    test('suppressions match addresses per channel, e-mail case-insensitively', async () => {
      await store.addSuppressions([
        { channel: 'email', address: 'B1@example.com', reason: 'bounce' },
        { channel: 'sms', address: '+15555550102', reason: 'opt-out' },
      ]);
      const found = await store.suppressionsFor([
        { channel: 'email', address: 'b1@example.com' },
        { channel: 'sms', address: '+15555550102' },
        { channel: 'email', address: 'a1@example.com' },
      ]);
      assert.equal(found.get('email b1@example.com'), 'bounce');
      assert.equal(found.get('sms +15555550102'), 'opt-out');
      assert.equal(found.size, 2);
      assert.equal(await store.removeSuppression('email', 'b1@EXAMPLE.com'), true);
    });

    test('the ledger records before and after, counts retries and possible duplicates', async () => {
      const r = 'round-1';
      await store.saveRound(r, { roundId: r }, { hello: 1 }, 3);
      assert.deepEqual(
        (await store.saveRound(r, { other: true }, { hello: 2 }, 9)).content,
        { hello: 1 },
        'the first content is kept',
      );
      await store.markSending(r, [
        { recipientId: 'a1', channel: 'email', address: 'a1@example.com', possibleDuplicate: false },
        { recipientId: 'a2', channel: 'sms', address: '+15555550102', possibleDuplicate: false },
      ]);
      await store.recordResults(r, [
        {
          recipientId: 'a1',
          channel: 'email',
          address: 'a1@example.com',
          state: 'sent',
          provider: 'ses',
          region: 'us-west-2',
          messageId: 'm-1',
        },
      ]);
      // a2 stays "sending" (a worker died); the next attempt marks it again as a possible duplicate.
      let ledger = await store.ledgerRange(r, null, 'zz');
      assert.equal(ledger.get('a2 sms')!.state, 'sending');
      await store.markSending(r, [{ recipientId: 'a2', channel: 'sms', address: '+15555550102', possibleDuplicate: true }]);
      await store.recordResults(r, [
        { recipientId: 'a2', channel: 'sms', address: '+15555550102', state: 'sent' },
        { recipientId: 'b3', channel: 'email', address: 'b3@example.com', state: 'opted_out' },
      ]);
      ledger = await store.ledgerRange(r, 'a1', 'b3');
      assert.deepEqual([...ledger.keys()].sort(), ['a2 sms', 'b3 email']);
      const counts = await store.ledgerCounts(r);
      const get = (channel: string, state: string) => counts.find((c) => c.channel === channel && c.state === state);
      assert.equal(get('email', 'sent')!.deliveries, 1);
      assert.equal(get('sms', 'sent')!.retries, 1);
      assert.equal(get('sms', 'sent')!.possibleDuplicates, 1);
      assert.equal(get('email', 'opted_out')!.deliveries, 1);
      assert.ok((await store.firstSentAt(r))! > 0);
      const ranged = await store.ledgerCounts(r, { afterId: 'a1', throughId: 'a2' });
      assert.deepEqual(
        ranged.map((c) => [c.channel, c.state, c.deliveries]),
        [['sms', 'sent', 1]],
      );
      await store.finishRound(r, { sent: 2 });
      assert.deepEqual((await store.getRound(r))!.report, { sent: 2 });
    });

    test('consent changes are recorded with their time', async () => {
      assert.equal(await store.setConsent('a1', 'unsubscribed', '2026-11-28T10:00:00.000Z'), true);
      const a1 = (await store.getSubscriber('a1'))!;
      assert.equal(a1.consent.state, 'unsubscribed');
      assert.equal(a1.consent.unsubscribedAt, '2026-11-28T10:00:00.000Z');
      assert.equal(await store.setConsent('nobody', 'confirmed'), false);
    });

    test('subscribers are found by address through an index (migration 3), not a table scan', async () => {
      const db = store.db as { all: Store['db']['all'] };
      const all = db.all;
      for (const [channel, address, index] of [
        ['email', 'A1@Example.com', 'subscribers_by_email'],
        ['sms', '+15555550102', 'subscribers_by_phone'],
        ['webhook', 'https://hooks.example.com/x', 'subscribers_by_webhook'],
      ] as const) {
        // The store's own query, as it runs.
        const asked: { sql: string; params: Parameters<typeof all>[1] }[] = [];
        db.all = ((sql: string, params?: Parameters<typeof all>[1]) => (
          asked.push({ sql, params }),
          all.call(store.db, sql, params)
        )) as typeof all;
        let ids: string[];
        try {
          ids = await store.subscriberIdsByAddress(channel, address);
        } finally {
          db.all = all;
        }
        if (channel === 'email') assert.deepEqual(ids, ['a1']);
        if (channel === 'sms') assert.deepEqual(ids, ['a2']);
        const { sql, params } = asked[0]!;
        const plan =
          store.db.dialect === 'sqlite'
            ? (await store.db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail).join('\n')
            : // A handful of rows would be scanned anyway; what counts is that the index can answer.
              await store.db.tx(async (tx) => {
                await tx.exec('SET LOCAL enable_seqscan = off');
                return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((r) => r['QUERY PLAN']).join('\n');
              });
        assert.match(plan, new RegExp(`\\b${index}\\b`), `${channel}: ${plan}`);
        assert.doesNotMatch(plan, /\bSCAN subscribers\b|Seq Scan|TEMP B-TREE/, `${channel}: ${plan}`);
      }
    });

    test('export pages cover every subscriber once', async () => {
      const seen: string[] = [];
      for (let after: string | null = null; ;) {
        const page = await store.subscribersPage(after, 3);
        if (page.length === 0) break;
        seen.push(...page.map((s) => s.id));
        after = page[page.length - 1]!.id;
      }
      assert.equal(seen.length, await store.countSubscribers());
      assert.equal(new Set(seen).size, seen.length);
    });
  });
}

storeSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-store-'));
  return { store: await openStore({ sqliteFile: join(dir, 'herald.db') }), cleanup: async () => undefined };
});

let pg: TestPostgres | undefined;
storeSuite('PostgreSQL', async () => {
  pg = await testPostgres();
  const db = await freshDatabase(pg.url);
  return {
    store: await openStore({ databaseUrl: db.url }),
    cleanup: async () => {
      await db.drop();
      await pg!.stop();
    },
  };
});

describe('subscriber input', () => {
  test('rows are validated with the reason and the row number', () => {
    const bad = validateSubscriber({ email: 'not-an-email', phone: '555' }, 7);
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.problems.map((p) => [p.row, p.path]), [
      [7, 'email'],
      [7, 'phone'],
    ]);
    const none = validateSubscriber({ locale: 'en' }, 2);
    assert.equal(!none.ok && none.problems[0]!.message, 'needs at least one of email, phone, push, webhook, chat');
    const unknown = validateSubscriber({ email: 'a@example.com', components: 'payments;billing-db' }, 3, new Set(['payments']));
    assert.match(!unknown.ok ? unknown.problems[0]!.message : '', /unknown component "billing-db"/);
    const ok = validateSubscriber({ email: 'a@example.com', components: 'payments', internal: 'true' }, 4);
    assert.ok(ok.ok && ok.value.id.startsWith('sub_') && ok.value.internal === true);
  });

  test('CSV handles quotes, commas and newlines inside fields, across chunks', () => {
    const p = new CsvParser();
    const text = 'id,email,tier\r\nx1,"a,b@example.com",gold\n"x""2","multi\nline",\n';
    const records = [...p.push(text.slice(0, 17)), ...p.push(text.slice(17)), ...p.end()];
    assert.deepEqual(
      records.map((r) => r.fields),
      [
        ['id', 'email', 'tier'],
        ['x1', 'a,b@example.com', 'gold'],
        ['x"2', 'multi\nline', ''],
      ],
    );
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 3],
    );
    assert.deepEqual(csvRecordToInput(records[0]!.fields, records[1]!.fields), {
      id: 'x1',
      email: 'a,b@example.com',
      attributes: { tier: 'gold' },
    });
  });

  test('unsubscribe tokens verify only with the right secret and untouched', () => {
    const t = unsubscribeToken('s3cret-s3cret-s3cret', 'sub_1', 'email');
    assert.deepEqual(verifyUnsubscribeToken('s3cret-s3cret-s3cret', t), { subscriberId: 'sub_1', channel: 'email' });
    assert.equal(verifyUnsubscribeToken('other-secret-other', t), undefined);
    assert.equal(verifyUnsubscribeToken('s3cret-s3cret-s3cret', t.replace(/^./, 'x')), undefined);
  });
});
