import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { runCheck, type DeliveredMessage } from '../../core/messageCheck';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber } from '../../core/store/subscribers';
import { startApi, type ApiHarness } from './api.harness';

// One maintenance window through the API, read from the outbox as its customers read it: an English
// and a Traditional Chinese subscriber by e-mail. The operator writes the announcement and the
// completion in both languages and one update in English only.

const WORDS = {
  announce: { en: 'We are moving the dashboard to faster servers.', 'zh-TW': '我們將把主控台移到效能更好的伺服器。' },
  update: { en: 'The move is going to plan and about half done.' },
  complete: { en: 'The dashboard now runs on the new servers.', 'zh-TW': '主控台現已在新的伺服器上運作。' },
};
const ENGLISH = [WORDS.announce.en, WORDS.update.en, WORDS.complete.en];
const CHINESE = [WORDS.announce['zh-TW'], WORDS.complete['zh-TW']];

describe('a maintenance window, as its customers read it', () => {
  let h: ApiHarness;
  let store: Store;
  let id = '';

  before(async () => {
    h = await startApi();
    store = await openConfiguredStore(h.config);
    const rows = [
      { id: 'ann', email: 'ann@example.com', locale: 'en', components: ['website'] },
      { id: 'mei', email: 'mei@example.com', locale: 'zh-TW', components: ['website'] },
    ];
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  });
  after(async () => {
    await store.close();
    await h.stop();
  });

  const outbox = () => {
    try {
      return readdirSync(h.config.delivery.outboxDir).filter((n) => n.includes(id) && /--(ann|mei)--email/.test(n));
    } catch {
      return [];
    }
  };
  const waitForFiles = async (count: number) => {
    const until = Date.now() + 30_000;
    while (outbox().length < count) {
      if (Date.now() > until) throw new Error(`outbox has ${outbox().length} of ${count} messages: ${outbox().join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const ok = async <T>(res: Response) => {
    assert.ok(res.ok, `${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };

  test('announce, start, update and completion: each reader gets the words of their language, or the plan’s', async () => {
    const start = Date.now() + 6_000;
    const scheduled = await ok<{ id: string; missingLocales: string[] }>(
      await h.call('POST', '/v1/maintenances', {
        title: 'Dashboard move',
        scenario: 'maintenance',
        components: ['website'],
        scheduledFor: new Date(start).toISOString(),
        scheduledUntil: new Date(start + 3_600_000).toISOString(),
        message: WORDS.announce,
      }),
    );
    id = scheduled.id;
    assert.deepEqual(scheduled.missingLocales, [], 'words in every external locale');
    await waitForFiles(2);
    await waitForFiles(4); // the start
    const updated = await ok<{ missingLocales: string[] }>(
      await h.call('POST', `/v1/maintenances/${id}/updates`, { message: WORDS.update.en }),
    );
    assert.deepEqual(updated.missingLocales, ['zh-TW'], 'the answer says which readers get the plan’s wording');
    await waitForFiles(6);
    await ok(await h.call('POST', `/v1/maintenances/${id}/complete`, { message: WORDS.complete }));
    await waitForFiles(8);

    const state = await ok<{ timeline: { phase: string; message: unknown }[] }>(await h.call('GET', `/v1/maintenances/${id}`));
    assert.deepEqual(state.timeline[0]!.message, WORDS.announce, 'the window keeps the words per locale');

    const plan = h.plan;
    const statusWord = {
      en: { announce: 'Scheduled', start: 'In progress', update: 'In progress', complete: 'Completed' },
      'zh-TW': { announce: '已排定', start: '進行中', update: '進行中', complete: '已完成' },
    } as Record<string, Record<string, string>>;
    const planTexts = (locale: string) =>
      plan.components
        .flatMap((c) => [c.name[locale], c.businessFunction[locale], c.workaround?.[locale]])
        .filter(Boolean) as string[];
    const got: Record<string, Record<string, { subject: string; body: string }>> = { ann: {}, mei: {} };
    for (const name of outbox()) {
      const [round = '', who = ''] = name.split('--');
      const phase = /-\d+-(announce|start|update|complete)-customers$/.exec(round)?.[1];
      assert.ok(phase, `a customer round: ${round}`);
      const mail = await simpleParser(readFileSync(join(h.config.delivery.outboxDir, name)));
      got[who]![phase] = { subject: mail.subject ?? '', body: mail.text ?? '' };
    }
    for (const [who, locale, own, other] of [
      ['ann', 'en', ENGLISH, CHINESE],
      ['mei', 'zh-TW', CHINESE, ENGLISH],
    ] as const) {
      assert.deepEqual(Object.keys(got[who]!).sort(), ['announce', 'complete', 'start', 'update'], who);
      for (const [phase, m] of Object.entries(got[who]!)) {
        const where = `${who} ${phase}: ${m.subject}\n${m.body}`;
        const delivered: DeliveredMessage = {
          key: { scenario: 'maintenance', phase, variant: 'e2e', audience: 'customers', locale, channel: 'email' },
          subject: m.subject,
          body: m.body,
          expect: {
            functions: [],
            actions: [],
            times: [],
            statusWord: statusWord[locale]![phase]!,
            allowedForeign: [plan.page.name, 'Dashboard move', ...planTexts(locale)],
            email: { unsubscribeUrl: '/unsubscribe?t=', preferencesUrl: '/preferences?t=' },
            link: `${plan.page.url.replace(/\/+$/, '')}/${locale === plan.page.defaultLocale ? '' : `${locale}/`}incidents/${id}.html`,
          },
        };
        for (const check of ['status-word', 'no-repeat', 'one-language', 'unsubscribe', 'link'] as const)
          assert.equal(runCheck(check, delivered) ?? null, null, `${check}: ${where}`);
        for (const said of other) assert.ok(!m.body.includes(said), `${where}\nthe other language's words`);
        for (const said of own) assert.ok(m.body.split(said).length - 1 <= 1, `${where}\nsaid twice`);
      }
      assert.ok(got[who]!.announce!.body.includes(own[0]!), `${who}: the announcement carries the words in their language`);
      assert.ok(got[who]!.complete!.body.includes(own.at(-1)!), `${who}: the completion carries the words in their language`);
      assert.ok(got[who]!.start!.body.includes(own[0]!), `${who}: the start says what the work means, in their language`);
    }
    assert.ok(got.ann!.update!.body.includes(WORDS.update.en), 'the English reader gets the English update');
    assert.match(got.mei!.update!.body, /維護/, 'the Chinese reader gets the plan’s Chinese wording of the update');
  });
});
