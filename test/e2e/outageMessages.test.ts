import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { runCheck, type DeliveredMessage } from '../../core/messageCheck';
import { smsOptOut, smsSegmentBudget } from '../../core/messageContent';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber } from '../../core/store/subscribers';
import { smsSize } from '../../core/sms';
import { inAnHour, startApi, type ApiHarness } from './api.harness';

// One ordinary outage through the API, read from the outbox as the customers read it: an English and
// a Traditional Chinese subscriber, each by e-mail and SMS. The operator writes in English only.

const REVIEW = 'http://localhost:8080/reviews/sign-in-failures.html';
const WORDS = {
  declare: 'Most sign-in attempts fail with an error page.',
  identified: 'We found the cause: an expired certificate on our login service. We are replacing it.',
  monitoring: 'The new certificate is in place and sign-ins are succeeding again.',
  resolve: 'Sign-ins have worked normally for 30 minutes.',
};

describe('an ordinary outage, as its customers read it', () => {
  let h: ApiHarness;
  let store: Store;
  let incidentId = '';

  before(async () => {
    h = await startApi();
    store = await openConfiguredStore(h.config);
    const rows = [
      { id: 'ann', email: 'ann@example.com', phone: '+15555550100', locale: 'en', components: ['website'] },
      { id: 'mei', email: 'mei@example.com', phone: '+15555550101', locale: 'zh-TW', components: ['website'] },
    ];
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  });
  after(async () => {
    await store.close();
    await h.stop();
  });

  const outbox = () => {
    try {
      return readdirSync(h.config.delivery.outboxDir).filter((n) => /^(incident|notify)/.test(n) && /--(ann|mei)--/.test(n));
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
  const approveAll = async () => {
    const until = Date.now() + 10_000;
    for (;;) {
      const res = await h.call('POST', `/v1/incidents/${incidentId}/approve`, {});
      if (res.status === 200) return;
      if (Date.now() > until) throw new Error(`approve: ${res.status} ${await res.text()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const ok = async (res: Response) => {
    assert.ok(res.ok, `${res.status} ${await res.clone().text()}`);
    return (await res.json()) as { id: string };
  };

  test('declare, approve, identified, monitoring, resolve: every message reads right in its language', async () => {
    const declared = (await ok(
      await h.call('POST', '/v1/incidents', {
        title: 'Sign-in failures',
        scenario: 'outage',
        components: ['website'],
        message: WORDS.declare,
      }),
    )) as { id: string; missingLocales: string[] };
    incidentId = declared.id;
    assert.deepEqual(declared.missingLocales, ['zh-TW'], 'the answer says which readers get the plan’s wording');
    await approveAll();
    await waitForFiles(4);
    await ok(
      await h.call('POST', `/v1/incidents/${incidentId}/updates`, {
        status: 'identified',
        message: WORDS.identified,
        eta: inAnHour(2),
      }),
    );
    await approveAll();
    await waitForFiles(8);
    await ok(await h.call('POST', `/v1/incidents/${incidentId}/updates`, { status: 'monitoring', message: WORDS.monitoring }));
    await approveAll();
    await waitForFiles(12);
    const resolved = (await ok(
      await h.call('POST', `/v1/incidents/${incidentId}/resolve`, {
        message: { en: WORDS.resolve, 'zh-TW': '登入已正常運作 30 分鐘。' },
        reviewUrl: REVIEW,
      }),
    )) as unknown as { missingLocales: string[] };
    assert.deepEqual(resolved.missingLocales, []);
    await approveAll();
    await waitForFiles(16);

    const plan = h.plan;
    const status = {
      en: ['Investigating', 'Identified', 'Monitoring', 'Resolved'],
      'zh-TW': ['調查中', '已找到原因', '監控中', '已解決'],
    } as Record<string, string[]>;
    const fn = { en: 'signing in and using the Acme dashboard', 'zh-TW': '登入與使用 Acme 主控台' } as Record<string, string>;
    const planTexts = (locale: string) =>
      plan.components
        .flatMap((c) => [c.name[locale], c.businessFunction[locale], c.workaround?.[locale]])
        .filter(Boolean) as string[];
    const files = outbox().sort();
    const byPerson: Record<string, { seq: number; channel: string; subject?: string; body: string }[]> = { ann: [], mei: [] };
    for (const name of files) {
      const [round = '', who = '', rest = ''] = name.split('--');
      const seq = Number(/-(\d+)-(?:initial|update|holding|etaMissed|resolved)-/.exec(round)?.[1]);
      const channel = rest.replace(/\.(eml|json)$/, '');
      const raw = readFileSync(join(h.config.delivery.outboxDir, name));
      if (channel === 'email') {
        const mail = await simpleParser(raw);
        byPerson[who]!.push({ seq, channel, subject: mail.subject ?? '', body: mail.text ?? '' });
      } else byPerson[who]!.push({ seq, channel, body: (JSON.parse(raw.toString()) as { body: string }).body });
    }

    for (const [who, locale] of [
      ['ann', 'en'],
      ['mei', 'zh-TW'],
    ] as const) {
      const got = byPerson[who]!;
      assert.equal(got.length, 8, `${who}: ${got.length} messages`);
      const phases = [...new Set(got.map((m) => m.seq))].sort((a, b) => a - b);
      assert.equal(phases.length, 4, `${who}: one message per phase and channel`);
      const link = `${plan.page.url.replace(/\/+$/, '')}/${locale === plan.page.defaultLocale ? '' : `${locale}/`}incidents/${incidentId}.html`;
      for (const m of got) {
        const phase = phases.indexOf(m.seq);
        const where = `${who} ${m.channel} #${phase}: ${m.subject ?? ''}\n${m.body}`;
        const delivered: DeliveredMessage = {
          key: { scenario: 'outage', phase: String(phase), variant: 'e2e', audience: 'customers', locale, channel: m.channel },
          ...(m.subject !== undefined ? { subject: m.subject } : {}),
          body: m.body,
          expect: {
            functions: [fn[locale]!],
            actions: [],
            times: [],
            statusWord: status[locale]![phase]!,
            allowedForeign: [plan.page.name, ...planTexts(locale), 'STOP'],
            ...(m.channel === 'sms'
              ? { sms: { maxSegments: smsSegmentBudget(plan, locale), optOut: smsOptOut(plan, locale) } }
              : { email: { unsubscribeUrl: '/unsubscribe?t=', preferencesUrl: '/preferences?t=' } }),
            link,
          },
        };
        for (const check of [
          'function',
          'status-word',
          'no-repeat',
          'one-language',
          'sms-budget',
          'unsubscribe',
          'link',
        ] as const)
          assert.equal(runCheck(check, delivered) ?? null, null, `${check}: ${where}`);
        assert.doesNotMatch(m.body, /HERALDUNSUBSCRIBETOKEN|undefined|\{\{/, where);
        if (m.channel === 'sms') {
          if (locale === 'en') assert.equal(smsSize(m.body).encoding, 'GSM-7', where);
        } else assert.match(m.body, /\/unsubscribe\?t=[\w-]+\.[\w-]+/, 'the recipient’s own signed link');
        // The operator wrote English only: the Chinese reader never sees it, the English reader sees it once.
        for (const said of Object.values(WORDS)) {
          const times = m.body.split(said).length - 1;
          if (locale === 'zh-TW') assert.equal(times, 0, `${where}\nEnglish words in a Chinese message`);
          else assert.ok(times <= 1, `${where}\nsaid twice`);
        }
      }
      const email = (phase: number) => got.find((m) => m.channel === 'email' && m.seq === phases[phase])!.body;
      if (locale === 'en') {
        assert.ok(email(0).includes(WORDS.declare), 'the first notice carries the operator’s words');
        assert.ok(!email(2).includes(WORDS.declare), 'the monitoring update does not repeat the first impact');
        assert.match(email(2), /a fix is in place/);
        assert.ok(email(3).includes(WORDS.resolve));
      } else {
        assert.match(email(2), /已完成修正/);
      }
      assert.match(
        email(3),
        locale === 'en' ? /Started: .*\nResolved: .*\nDuration: / : /開始時間：.*\n解決時間：.*\n持續時間：/,
      );
      assert.ok(email(3).includes(REVIEW), 'the closing message links the post-incident review');
      if (locale === 'zh-TW')
        assert.ok(email(3).includes('登入已正常運作 30 分鐘。'), 'words given in Chinese reach the Chinese reader');
    }
  });
});
