import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { CHECKS, runCheck, type DeliveredMessage } from '../../core/messageCheck';
import { smsOptOut, smsSegmentBudget } from '../../core/messageContent';
import { formatMessageTime, shortTime } from '../../core/messageWords';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import type { IncidentState } from '../../workflows/contracts/incident';
import { inAnHour, startApi, type ApiHarness } from './api.harness';

// One ordinary outage through the API where every message to customers needs approval, read from
// the outbox as its readers read it: en and zh-TW subscribers by e-mail and SMS, an enterprise customer
// (in the customers and the enterprise audience), an invoicing subscriber reached only when the
// incident widens, and a member of staff. On the way: an update posted while the first notice waits
// (approved after it, as one message), a rejected update, a widening, a monitoring update and the
// resolution. Every check of `herald messages check` holds for every message, messages arrive in
// phase order, superseded and rejected words never arrive, and each person gets one message per phase.

const WORDS = {
  declare: 'Most sign-in attempts fail with an error page.',
  identified: 'We found the cause: an expired certificate on our login service. We are replacing it.',
  rejected: 'Our engineers are restarting the sign-in servers one by one.',
  monitoring: 'The new certificate is in place and sign-ins are succeeding again.',
  resolve: 'Sign-ins have worked normally for 30 minutes.',
  resolveZh: '登入已正常運作 30 分鐘。',
};
/** Words that must never reach a customer: replaced before approval, or rejected. */
const NEVER_SENT = [WORDS.declare, WORDS.rejected];

const PEOPLE: (SubscriberInput & { id: string })[] = [
  { id: 'ann', email: 'ann@example.com', phone: '+15555550110', locale: 'en', components: ['website'] },
  { id: 'mei', email: 'mei@example.com', phone: '+15555550111', locale: 'zh-TW', components: ['website'] },
  {
    id: 'ent',
    email: 'ent@example.com',
    phone: '+15555550112',
    locale: 'en',
    components: ['website'],
    attributes: { tier: 'enterprise' },
  },
  { id: 'inv', email: 'inv@example.com', phone: '+15555550113', locale: 'en', components: ['invoicing'] },
  { id: 'sam', email: 'sam@example.com', locale: 'en', components: ['website'], internal: true },
];
const CUSTOMERS = ['ann', 'mei', 'ent', 'inv'];
const LOCALE: Record<string, string> = { ann: 'en', mei: 'zh-TW', ent: 'en', inv: 'en', sam: 'en' };

interface Received {
  file: string;
  who: string;
  seq: number;
  phase: string;
  audience: string;
  channel: string;
  at: number;
  subject?: string;
  body: string;
}

describe('an outage whose customer messages need approval, as its readers read it', () => {
  let h: ApiHarness;
  let store: Store;
  let id = '';
  /** Every next-update time and ETA the incident promised (a message states one of those in force). */
  const promised = new Set<string>();

  before(async () => {
    h = await startApi();
    store = await openConfiguredStore(h.config);
    await store.upsertSubscribers(PEOPLE.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  });
  after(async () => {
    await store.close();
    await h.stop();
  });

  const outbox = () => {
    const dir = h.config.delivery.outboxDir;
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((n) => n.startsWith(`notify-${id}-`) && !n.startsWith('.'));
  };
  const filesOf = (who: string) => outbox().filter((n) => n.includes(`--${who}--`));
  const waitFor = async (what: string, ok: () => boolean, ms = 30_000) => {
    const until = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`waited for ${what}; outbox: ${outbox().join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await h.call(method, path, body);
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    const json = (await res.json()) as T & { nextUpdateDue?: string | null };
    if (json.nextUpdateDue) promised.add(json.nextUpdateDue);
    return json;
  };
  const state = async () => {
    const s = await call<IncidentState>('GET', `/v1/incidents/${id}`);
    for (const t of [s.nextUpdateDue, s.eta]) if (t) promised.add(t);
    return s;
  };
  const quiet = () => new Promise((r) => setTimeout(r, 1_500));

  test('declare, update while waiting, approve, reject, widen, monitor, resolve', async () => {
    const declared = await call<{ id: string }>('POST', '/v1/incidents', {
      title: 'Sign-in failures',
      scenario: 'outage',
      components: ['website'],
      message: WORDS.declare,
    });
    id = declared.id;
    await waitFor('the staff first notice', () => filesOf('sam').length === 1);
    await state();

    // An update while the first notice waits: it folds into it.
    const identified = await call<{ seq: number; approval: string }>('POST', `/v1/incidents/${id}/updates`, {
      status: 'identified',
      message: WORDS.identified,
      eta: inAnHour(2),
    });
    assert.equal(identified.approval, 'pending');
    await waitFor('the staff update', () => filesOf('sam').length === 2);
    let s = await state();
    const waiting = s.awaitingApproval!;
    assert.deepEqual(
      [waiting.seq, waiting.carries, waiting.audiences],
      [identified.seq, [1, identified.seq], ['customers', 'enterprise']],
    );
    assert.equal(
      Date.parse(waiting.sendsAt!) - Date.parse(s.startedAt),
      10 * 60_000,
      'it goes out by itself 10 minutes after the first request',
    );
    const listed = await call<{ incidents: { id: string; awaitingApproval?: { seq: number } | null }[] }>('GET', '/v1/incidents');
    assert.equal(listed.incidents.find((i) => i.id === id)?.awaitingApproval?.seq, identified.seq, 'the list shows what waits');
    // Staff are told what waits, for whom and until when.
    const staffNote = (await read(filesOf('sam').find((f) => f.includes(`-${identified.seq}-update-`))!)).body;
    assert.match(staffNote, new RegExp(`Waiting for approval: the message to customers and enterprise \\(#${identified.seq}\\)`));
    assert.ok(staffNote.includes(formatMessageTime(new Date(waiting.sendsAt!), 'en', h.plan.page.timeZone)), staffNote);
    // The page meanwhile names the function, at the status reached, in the plan's words.
    const page = s.pageUpdates.at(-1)!;
    assert.equal(page.status, 'identified');
    assert.equal(page.body, undefined, 'no unapproved words on the page');
    assert.deepEqual(page.wording?.[0], { key: 'incident.identifiedFor', functions: ['website'] });
    assert.deepEqual(
      CUSTOMERS.flatMap((w) => filesOf(w)),
      [],
      'no customer has heard anything yet',
    );
    const refused = await h.call('POST', `/v1/incidents/${id}/approve`, { seq: 1 });
    assert.equal(refused.status, 409, 'the superseded first notice cannot be approved on its own');
    assert.match(((await refused.json()) as { detail: string }).detail, /folded into/);

    assert.deepEqual((await call<{ approved: number[] }>('POST', `/v1/incidents/${id}/approve`, {})).approved, [
      1,
      identified.seq,
    ]);
    await waitFor('the first notice to customers', () => ['ann', 'mei', 'ent'].every((w) => filesOf(w).length === 2));

    // An update that is rejected reaches nobody outside.
    const rejected = await call<{ seq: number }>('POST', `/v1/incidents/${id}/updates`, {
      status: 'identified',
      message: WORDS.rejected,
    });
    const noReason = await h.call('POST', `/v1/incidents/${id}/reject`, { seq: rejected.seq });
    assert.equal(noReason.status, 400, 'a rejection says why');
    assert.deepEqual(
      (await call<{ rejected: number[] }>('POST', `/v1/incidents/${id}/reject`, { seq: rejected.seq, reason: 'Too technical.' }))
        .rejected,
      [rejected.seq],
    );
    s = await state();
    assert.equal(s.awaitingApproval, null);
    assert.deepEqual([s.approvals.at(-1)!.decision, s.approvals.at(-1)!.reason], ['rejected', 'Too technical.']);

    // Widening: invoicing is affected too. No approval needed for the plan's wording.
    const widened = await call<{ seq: number }>('POST', `/v1/incidents/${id}/impact`, { components: ['invoicing'] });
    await waitFor('the widening', () => ['ann', 'mei', 'ent', 'inv'].every((w) => filesOf(w).length === (w === 'inv' ? 2 : 4)));
    s = await state();
    const entry = s.pageUpdates.find((u) => u.id.endsWith(`-${widened.seq}`))!;
    assert.deepEqual(
      entry.wording?.find((w) => w.key === 'incident.widened'),
      { key: 'incident.widened', functions: ['invoicing'] },
      'the page entry names what is newly affected',
    );

    const monitoring = await call<{ seq: number }>('POST', `/v1/incidents/${id}/updates`, {
      status: 'monitoring',
      message: WORDS.monitoring,
    });
    await call('POST', `/v1/incidents/${id}/approve`, { seq: monitoring.seq });
    await waitFor('the monitoring update', () => CUSTOMERS.every((w) => filesOf(w).length === (w === 'inv' ? 4 : 6)));

    const resolved = await call<{ seq: number }>('POST', `/v1/incidents/${id}/resolve`, {
      message: { en: WORDS.resolve, 'zh-TW': WORDS.resolveZh },
    });
    await call('POST', `/v1/incidents/${id}/approve`, { seq: resolved.seq });
    await waitFor('the resolution', () => CUSTOMERS.every((w) => filesOf(w).length === (w === 'inv' ? 6 : 8)));
    await quiet();

    const got = await Promise.all(outbox().map(read));
    const customers = got.filter((m) => CUSTOMERS.includes(m.who));

    // Superseded and rejected words never arrive.
    for (const m of customers)
      for (const words of NEVER_SENT) assert.ok(!m.body.includes(words), `${describeMessage(m)}\nsays "${words}"`);

    // One message per person, phase and channel; the enterprise customer hears from the enterprise audience only.
    for (const who of CUSTOMERS) {
      const mine = customers.filter((m) => m.who === who);
      const byPhase = new Map<string, number>();
      for (const m of mine) byPhase.set(`${m.seq} ${m.channel}`, (byPhase.get(`${m.seq} ${m.channel}`) ?? 0) + 1);
      assert.ok(
        [...byPhase.values()].every((n) => n === 1),
        `${who}: ${[...byPhase.entries()].join('; ')}`,
      );
      const phases = new Set(mine.map((m) => m.seq));
      assert.equal(mine.length, phases.size * 2, `${who}: e-mail and SMS for each of ${[...phases].join(', ')}`);
    }
    assert.deepEqual([...new Set(customers.filter((m) => m.who === 'ent').map((m) => m.audience))], ['enterprise']);

    // In phase order: each reader's messages arrive with the status never going back.
    const order = ['investigating', 'identified', 'monitoring', 'resolved'];
    for (const who of CUSTOMERS) {
      for (const channel of ['email', 'sms']) {
        const mine = customers.filter((m) => m.who === who && m.channel === channel).sort((a, b) => a.at - b.at);
        const seqs = mine.map((m) => m.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          `${who} ${channel}: arrived in order ${seqs.join(', ')}`,
        );
        const statuses = mine.map((m) => statusOf(m));
        assert.deepEqual(
          statuses,
          [...statuses].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
          `${who} ${channel}: ${statuses.join(' → ')}`,
        );
      }
    }
    // What each reader was told, phase by phase.
    const toldTo = (who: string) =>
      customers
        .filter((m) => m.who === who && m.channel === 'email')
        .sort((a, b) => a.seq - b.seq)
        .map((m) => `${m.phase}:${statusOf(m)}`);
    assert.deepEqual(toldTo('ann'), ['initial:identified', 'update:identified', 'update:monitoring', 'resolved:resolved']);
    assert.deepEqual(toldTo('inv'), ['initial:identified', 'update:monitoring', 'resolved:resolved']);

    // Every check of `herald messages check` holds for every message.
    for (const m of customers) {
      const delivered = expectations(m, s);
      for (const check of CHECKS) assert.equal(runCheck(check, delivered) ?? null, null, `${check}: ${describeMessage(m)}`);
    }
    // The English reader gets the approved words once; the first notice carries the update's words, not the superseded ones.
    const annFirst = customers.find((m) => m.who === 'ann' && m.channel === 'email' && m.phase === 'initial')!;
    assert.ok(annFirst.body.includes(WORDS.identified), annFirst.body);
    const annWidened = customers.find((m) => m.who === 'ann' && m.channel === 'email' && m.seq === widened.seq)!;
    assert.match(annWidened.body, /It now also affects creating and downloading invoices\./);
    const meiWidened = customers.find((m) => m.who === 'mei' && m.channel === 'email' && m.seq === widened.seq)!;
    assert.match(meiWidened.body, /現在也影響：建立與下載帳單。/);
    const annMonitoring = customers.find((m) => m.who === 'ann' && m.channel === 'email' && m.seq === monitoring.seq)!;
    assert.match(
      annMonitoring.body,
      /resolved\.\n\nThe new certificate is in place/,
      'the operator’s words are a paragraph of their own',
    );
    // Staff hear of the widening with every affected component.
    const staffWidened = got.find((m) => m.who === 'sam' && m.seq === widened.seq)!;
    assert.match(staffWidened.body, /Newly affected: creating and downloading invoices\./);
    assert.match(staffWidened.body, /- invoicing \(Invoicing\)/);
  });

  async function read(file: string): Promise<Received> {
    const [round = '', who = '', rest = ''] = file.split('--');
    const m = /-(\d+)-(initial|update|holding|etaMissed|resolved)-([a-z-]+)$/.exec(round)!;
    const channel = rest.replace(/\.(eml|json)$/, '');
    const path = join(h.config.delivery.outboxDir, file);
    const raw = readFileSync(path);
    const base = { file, who, seq: Number(m[1]), phase: m[2]!, audience: m[3]!, channel, at: statSync(path).mtimeMs };
    if (channel === 'email') {
      const mail = await simpleParser(raw);
      return { ...base, subject: mail.subject ?? '', body: mail.text ?? '' };
    }
    return { ...base, body: (JSON.parse(raw.toString()) as { body: string }).body };
  }

  /** The status a message is at: its status word, in the reader's language. */
  function statusOf(m: Received): string {
    const words = STATUS[LOCALE[m.who]!]!;
    const seen = m.subject ?? m.body;
    return Object.keys(words).find((s) => seen.includes(words[s]!)) ?? 'none';
  }

  function expectations(m: Received, s: IncidentState): DeliveredMessage {
    const plan = h.plan;
    const locale = LOCALE[m.who]!;
    const fn = (c: string) => plan.components.find((x) => x.id === c)!;
    // What the incident affected when the message was sent: website, and invoicing from the widening on.
    const components = m.seq >= s.timeline.find((e) => e.kind === 'impact')!.seq ? ['website', 'invoicing'] : ['website'];
    const status = statusOf(m);
    const final = m.phase === 'resolved';
    const times = [...promised].map((t) => formatMessageTime(new Date(t), locale, plan.page.timeZone));
    const short = m.channel === 'sms';
    const planTexts = [
      ...plan.components.flatMap((c) => [c.name, c.businessFunction, c.workaround, c.description]),
      ...plan.groups.map((g) => g.name),
      ...Object.values(plan.scenarios).map((sc) => sc.name),
    ].flatMap((t) => (t?.[locale] ? [t[locale]!] : []));
    return {
      key: { scenario: 'outage', phase: m.phase, variant: 'e2e', audience: m.audience, locale, channel: m.channel },
      ...(m.subject !== undefined ? { subject: m.subject } : {}),
      body: m.body,
      expect: {
        functions: components.map((c) => fn(c).businessFunction[locale]!),
        actions:
          !final && status !== 'monitoring'
            ? components.flatMap((c) => (fn(c).workaround?.[locale] ? [fn(c).workaround![locale]!] : []))
            : [],
        times: final ? [] : short ? [...times, ...times.map((t) => shortTime(t, locale))] : times,
        ...(final ? { finalPhrase: locale === 'en' ? 'final update' : '最後一次更新' } : {}),
        statusWord: STATUS[locale]![status] ?? `(no status word in "${m.subject ?? m.body.slice(0, 40)}")`,
        allowedForeign: [plan.page.name, ...planTexts, 'STOP'],
        ...(short
          ? { sms: { maxSegments: smsSegmentBudget(plan, locale), optOut: smsOptOut(plan, locale) } }
          : { email: { unsubscribeUrl: '/unsubscribe?t=', preferencesUrl: '/preferences?t=' } }),
        link: `${plan.page.url.replace(/\/+$/, '')}/${locale === plan.page.defaultLocale ? '' : `${locale}/`}incidents/${id}.html`,
      },
    };
  }
});

const STATUS: Record<string, Record<string, string>> = {
  en: { investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved' },
  'zh-TW': { investigating: '調查中', identified: '已找到原因', monitoring: '監控中', resolved: '已解決' },
};

function describeMessage(m: Received): string {
  return `${m.who} ${m.channel} #${m.seq} ${m.phase} (${m.audience}): ${m.subject ?? ''}\n${m.body}`;
}
