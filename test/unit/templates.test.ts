import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { loadPlan } from '../../core/plan/load';
import type { Channel, IncidentPhase, MaintenancePhase, Plan } from '../../core/plan/schema';
import type { MessageContext } from '../../core/messages';
import { renderChannelMessage, smsSegmentBudget } from '../../core/messageContent';
import { sampleContext, situations } from '../../core/messageSamples';
import { buildMessageContext } from '../../core/messageContext';
import { alertImpactWords } from '../../core/alertWords';
import { smsSize } from '../../core/sms';
import { shortTime } from '../../core/messageWords';
import { checkTemplateVariables } from '../../core/plan/templateCheck';
import {
  DEFAULT_TEMPLATES_DIR,
  TemplateRenderError,
  createTemplateRenderer,
  declaredVariables,
  templateContext,
} from '../../core/render';

const PLAN_FILE = join(__dirname, '..', '..', 'plans', 'example.yaml');
const LOCALES = ['en', 'zh-TW'] as const;
const KINDS = ['external', 'internal'] as const;
/** How each locale says "this is the last message about it" (resolved, complete, cancel). */
const FINAL_UPDATE: Record<string, string> = { en: 'final update', 'zh-TW': '最後一次更新' };

// loadPlan also checks that every template the plan names exists for every audience's locales.
const plan: Plan = loadPlan(PLAN_FILE);
const renderer = createTemplateRenderer();

type Phase = IncidentPhase | MaintenancePhase;
interface Use {
  scenarioId: string;
  kind: 'incident' | 'maintenance';
  phase: Phase;
  templateId: string;
}

/** Every (scenario, phase, template id) the plan uses. */
const uses: Use[] = Object.entries(plan.scenarios).flatMap(([scenarioId, s]) =>
  Object.entries(s.templates).map(([phase, templateId]) => ({ scenarioId, kind: s.kind, phase: phase as Phase, templateId })),
);
const templateIds = [...new Set(uses.map((u) => u.templateId))].sort();
/** One use per template id, for checks that need a single representative context. */
const firstUse = new Map<string, Use>();
for (const u of uses) if (!firstUse.has(u.templateId)) firstUse.set(u.templateId, u);

/** Short messages may state a time in its short form ("Tue 10:30 UTC"). */
const saysTime = (text: string, time: string, locale: string) => text.includes(time) || text.includes(shortTime(time, locale));

const ctxFor = (u: Use, locale: string, kind: 'external' | 'internal', channel: Channel = 'email'): MessageContext =>
  sampleContext(plan, { scenarioId: u.scenarioId, locale, kind, channel, phase: u.phase });

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

test('the example plan loads, and it uses the sixteen template ids the brief names', () => {
  assert.deepEqual(
    templateIds,
    [
      'degradation/initial',
      'failover/initial',
      'failover/resolved',
      'incident/eta-missed',
      'incident/holding',
      'incident/resolved',
      'incident/update',
      'maintenance/announce',
      'maintenance/cancel',
      'maintenance/complete',
      'maintenance/reminder',
      'maintenance/reschedule',
      'maintenance/start',
      'maintenance/update',
      'maintenance/overrun',
      'outage/initial',
    ].sort(),
  );
});

test('every template the plan uses renders for every locale, kind, channel and phase', () => {
  let rendered = 0;
  for (const u of uses) {
    for (const locale of LOCALES) {
      for (const kind of KINDS) {
        for (const channel of ['email', 'sms', 'push', 'chat'] as const) {
          const ctx = ctxFor(u, locale, kind, channel);
          const out = renderer.render(ctx, u.templateId);
          const where = `${locale}/${kind}/${u.templateId} (${u.scenarioId}/${u.phase}, ${channel})`;
          for (const [part, value] of Object.entries(out)) {
            assert.ok(value.length > 0, `${where}: empty ${part}`);
            assert.doesNotMatch(
              value,
              /undefined|\bnull\b|\[object Object\]|\{\{|\{%/,
              `${where}: ${part} leaks template internals: ${value}`,
            );
          }
          assert.doesNotMatch(out.subject, /\n/, `${where}: subject is not one line`);
          assert.doesNotMatch(out.short, /\n|\s{2}/, `${where}: short is not one collapsed line`);
          assert.doesNotMatch(out.text, /\n{3}|[ \t]\n|^\s|\s$/, `${where}: text is not normalised`);
          assert.ok(out.text.split('\n\n').length >= 3, `${where}: text should have several paragraphs`);
          rendered++;
        }
      }
    }
  }
  assert.equal(rendered, uses.length * LOCALES.length * KINDS.length * 4);
});

test('en and zh-TW have exactly the same template files, and only ids the plan uses', () => {
  const root = join(DEFAULT_TEMPLATES_DIR, 'messages');
  const en = filesUnder(join(root, 'en'));
  const zh = filesUnder(join(root, 'zh-TW'));
  assert.deepEqual(zh, en);
  const expected = ['_macros.njk'];
  for (const kind of KINDS)
    for (const id of templateIds) for (const part of ['subject', 'text', 'short']) expected.push(`${kind}/${id}.${part}.njk`);
  assert.deepEqual(en, expected.sort());
});

test('external messages name the affected business function, and open incidents say what customers can do', () => {
  for (const u of uses) {
    for (const locale of LOCALES) {
      const ctx = ctxFor(u, locale, 'external');
      const out = renderer.render(ctx, u.templateId);
      assert.ok(
        out.text.includes(ctx.businessFunctions),
        `${locale}/${u.templateId}: text does not name "${ctx.businessFunctions}"`,
      );
      assert.ok(ctx.workarounds.length > 0);
      if (u.kind === 'incident' && u.phase !== 'resolved') {
        for (const w of ctx.workarounds) assert.ok(out.text.includes(w), `${locale}/${u.templateId}: workaround "${w}" missing`);
      }
    }
  }
});

test('every external open-incident message states the ETA or, without one, the next update time', () => {
  const eta = 'Wed, Mar 11, 07:45 UTC';
  const next = 'Wed, Mar 11, 06:15 UTC';
  const open = uses.filter((u) => u.kind === 'incident' && u.phase !== 'resolved');
  assert.deepEqual([...new Set(open.map((u) => u.phase))].sort(), ['etaMissed', 'holding', 'initial', 'update']);
  for (const u of open) {
    for (const locale of LOCALES) {
      for (const channel of ['email', 'sms', 'push'] as const) {
        const where = `${locale}/${u.templateId} (${u.scenarioId}/${u.phase}, ${channel})`;
        const base = ctxFor(u, locale, 'external', channel);

        const withEta = renderer.render({ ...base, eta, nextUpdateAt: next }, u.templateId);
        assert.ok(withEta.text.includes(eta), `${where}: text with an ETA does not state it`);
        const stated = u.phase === 'holding' ? next : eta;
        assert.ok(saysTime(withEta.short, stated, locale), `${where}: short does not state ${stated}: ${withEta.short}`);

        const withoutEta = renderer.render({ ...base, eta: undefined, nextUpdateAt: next }, u.templateId);
        assert.ok(withoutEta.text.includes(next), `${where}: text without an ETA does not state the next update time`);
        assert.ok(saysTime(withoutEta.short, next, locale), `${where}: short without an ETA does not state the next update time`);
        assert.ok(!withoutEta.text.includes(eta));
      }
    }
  }
});

test('an open incident with neither ETA nor next update time fails loudly instead of going out vague', () => {
  for (const u of uses.filter((x) => x.kind === 'incident' && x.phase !== 'resolved')) {
    for (const locale of LOCALES) {
      const ctx = { ...ctxFor(u, locale, 'external'), eta: undefined, nextUpdateAt: undefined };
      assert.throws(
        () => renderer.render(ctx, u.templateId),
        TemplateRenderError,
        `${locale}/${u.templateId} rendered without a time`,
      );
    }
  }
});

test('external maintenance messages state the window; resolutions, completions and cancellations say they are final', () => {
  for (const u of uses) {
    for (const locale of LOCALES) {
      const ctx = ctxFor(u, locale, 'external', 'sms');
      const out = renderer.render(ctx, u.templateId);
      const where = `${locale}/${u.templateId}`;
      if (u.kind === 'maintenance') {
        const m = ctx.maintenance!;
        const needs: Record<string, string[]> = {
          announce: [m.scheduledFor, m.scheduledUntil],
          reminder: [m.scheduledFor, m.scheduledUntil],
          reschedule: [m.scheduledFor, m.scheduledUntil],
          cancel: [m.scheduledFor, m.scheduledUntil],
          start: [m.scheduledUntil],
          update: [m.scheduledUntil],
          overrun: [m.scheduledUntil],
          complete: [],
        };
        for (const time of needs[u.phase]!) {
          assert.ok(out.text.includes(time), `${where}: text does not state ${time}`);
          assert.ok(saysTime(out.short, time, locale), `${where}: SMS does not state ${time}`);
        }
        if (u.phase === 'reschedule')
          assert.ok(out.text.includes(m.previousScheduledFor!), `${where}: reschedule does not say what it replaces`);
        if (u.phase === 'overrun') {
          const withEta = renderer.render({ ...ctx, eta: 'Tue, Mar 10, 11:15 UTC' }, u.templateId);
          assert.ok(
            withEta.text.includes('Tue, Mar 10, 11:15 UTC') && saysTime(withEta.short, 'Tue, Mar 10, 11:15 UTC', locale),
            `${where}: overrun ignores the new ETA`,
          );
        }
      }
      if (['resolved', 'complete', 'cancel'].includes(u.phase)) {
        assert.ok(out.text.includes(FINAL_UPDATE[locale]!), `${where}: text does not say it is the final update`);
        assert.ok(out.short.includes(FINAL_UPDATE[locale]!), `${where}: short does not say it is final`);
      }
    }
  }
});

test('SMS fits its segment budget (en 2, zh-TW 3) and push its limit (178) for every template, locale and kind', () => {
  assert.deepEqual(plan.limits.smsSegments, { en: 2, 'zh-TW': 3 });
  for (const u of uses) {
    for (const locale of LOCALES) {
      for (const kind of KINDS) {
        const sms = renderChannelMessage(plan, renderer, ctxFor(u, locale, kind, 'sms'), u.templateId).content.short;
        assert.ok(
          smsSize(sms).segments <= smsSegmentBudget(plan, locale),
          `${locale}/${kind}/${u.templateId}: SMS is ${smsSize(sms).segments} segments: ${sms}`,
        );
        if (kind === 'external') {
          const push = renderChannelMessage(plan, renderer, ctxFor(u, locale, kind, 'push'), u.templateId).content.short;
          assert.ok(
            [...push].length <= plan.limits.pushLength,
            `${locale}/${u.templateId}: push is ${push.length} characters: ${push}`,
          );
        }
      }
    }
  }
  // The long operator message of a real update is cut, not sent whole.
  const update = firstUse.get('incident/update')!;
  const long = {
    ...ctxFor(update, 'en', 'external', 'sms'),
    message: 'We are rolling out the fix region by region. '.repeat(20),
  };
  assert.ok(smsSize(renderChannelMessage(plan, renderer, long, 'incident/update').content.short).segments <= 2);
});

test('external messages never carry the technical detail or the owner; internal ones do', () => {
  const technicalDetail = 'db-7.acme.internal OOM';
  for (const u of uses) {
    for (const locale of LOCALES) {
      for (const channel of ['email', 'sms', 'chat'] as const) {
        const base = ctxFor(u, locale, 'external', channel);
        if (!base.incident) continue;
        const ctx: MessageContext = { ...base, incident: { ...base.incident, technicalDetail, owner: 'kim.oncall' } };
        const out = renderer.render(ctx, u.templateId);
        const all = [out.subject, out.text, out.short, renderer.renderEmailHtml(ctx, out)].join('\n');
        assert.ok(!all.includes('db-7'), `${locale}/${u.templateId}: external message leaks the technical detail`);
        assert.ok(!all.includes('acme.internal'), `${locale}/${u.templateId}: external message leaks an internal host`);
        assert.ok(!all.includes('kim.oncall'), `${locale}/${u.templateId}: external message names the owner`);
      }
    }
  }
  for (const locale of LOCALES) {
    const base = ctxFor(firstUse.get('outage/initial')!, locale, 'internal', 'chat');
    const ctx: MessageContext = { ...base, incident: { ...base.incident!, technicalDetail, owner: 'kim.oncall' } };
    const out = renderer.render(ctx, 'outage/initial');
    assert.ok(out.text.includes(technicalDetail), `${locale}: internal initial lacks the technical detail`);
    assert.ok(
      out.text.includes('kim.oncall') && out.text.includes('sev1'),
      `${locale}: internal initial lacks owner or severity`,
    );
    for (const c of ctx.components) assert.ok(out.text.includes(c.id), `${locale}: internal initial lacks component id ${c.id}`);
    for (const w of ctx.workarounds) assert.ok(out.text.includes(w), `${locale}: internal initial lacks the workaround`);
    assert.ok(out.text.includes(ctx.nextUpdateAt!), `${locale}: internal initial lacks the next update time`);
  }
});

test('staff hear a resolution as a closed story: components operational again, when it started and ended, no ETA, workaround or next update', () => {
  const stale: Record<string, RegExp> = {
    en: /ETA:|Workaround to give customers|Next update due|with the next update|Major outage/,
    'zh-TW': /預計恢復時間|可提供給客戶的替代方式|下次更新期限|下次更新時補上|嚴重中斷/,
  };
  const closed: Record<string, RegExp[]> = {
    en: [/operational again/, /Resolved: /, /Duration: /],
    'zh-TW': [/已恢復正常/, /解決時間：/, /持續時間：/],
  };
  for (const locale of LOCALES) {
    const base = ctxFor(firstUse.get('incident/resolved')!, locale, 'internal', 'email');
    const ctx: MessageContext = { ...base, incident: { ...base.incident!, technicalDetail: undefined } };
    const out = renderer.render(ctx, 'incident/resolved');
    assert.doesNotMatch(out.text, stale[locale]!, `${locale}: the staff resolution still reads like an open incident`);
    for (const p of closed[locale]!) assert.match(out.text, p, `${locale}: the staff resolution lacks ${p}`);
    const open = renderer.render(ctxFor(firstUse.get('outage/initial')!, locale, 'internal', 'email'), 'outage/initial');
    assert.doesNotMatch(open.text, closed[locale]![0]!, `${locale}: an open incident says operational again`);
  }
});

test("an alert-opened incident's SMS does not repeat the plan's impact sentence (its status line names the functions); e-mail and push keep it", () => {
  const opened = situations(plan).find(
    (x) => x.scenario === 'outage' && x.phase === 'initial' && x.variant === 'webhook-opened',
  )!;
  for (const locale of LOCALES) {
    const sentence = alertImpactWords(plan, opened.facts.components)[locale]!;
    const render = (channel: Channel) =>
      renderer.render(
        buildMessageContext(plan, opened.facts, {
          locale,
          kind: 'external',
          channel,
          phase: 'initial',
          statusUrl: plan.page.url,
        }),
        opened.templateId,
      );
    const sms = render('sms').short;
    const stub = sentence.slice(0, 8);
    assert.ok(!sms.includes(stub), `${locale}: the SMS carries the impact sentence or a stub of it: ${sms}`);
    for (const c of opened.facts.components) {
      const fn = plan.components.find((x) => x.id === c)!.businessFunction[locale]!;
      assert.ok(sms.includes(fn.slice(0, 6)), `${locale}: the SMS still names ${fn}`);
    }
    assert.ok(render('email').text.includes(sentence), `${locale}: the e-mail keeps the impact sentence`);
    assert.ok(render('push').short.includes(sentence.slice(0, 8)), `${locale}: push, with no status line, keeps it`);
    // An operator's own words are never left out.
    const declared = renderer.render(
      buildMessageContext(
        plan,
        { ...opened.facts, message: { en: 'Card payments fail for some customers.', 'zh-TW': '部分客戶信用卡付款失敗。' } },
        {
          locale,
          kind: 'external',
          channel: 'sms',
          phase: 'initial',
          statusUrl: plan.page.url,
        },
      ),
      opened.templateId,
    ).short;
    assert.ok(
      declared.includes(locale === 'en' ? 'Card payments fail' : '部分客戶信用卡付款失敗'),
      `${locale}: the operator's words went missing: ${declared}`,
    );
  }
});

test('the operator message is shown when there is one', () => {
  for (const locale of LOCALES) {
    for (const kind of KINDS) {
      const u = firstUse.get('incident/holding')!;
      const without = renderer.render(ctxFor(u, locale, kind), u.templateId);
      const said = 'Engineers are replacing a failed network card.';
      const withMessage = renderer.render({ ...ctxFor(u, locale, kind), message: said }, u.templateId);
      assert.ok(!without.text.includes(said));
      assert.ok(withMessage.text.includes(said), `${locale}/${kind}: holding drops the operator's message`);
    }
  }
});

test('the HTML e-mail escapes the operator message and links the status page and unsubscribe', () => {
  const u = firstUse.get('incident/update')!;
  for (const locale of LOCALES) {
    const ctx: MessageContext = {
      ...ctxFor(u, locale, 'external', 'email'),
      message: 'Fixed <script>alert("x")</script> & "quoted"',
    };
    assert.ok(ctx.unsubscribeUrl);
    const rendered = renderer.render(ctx, u.templateId);
    assert.ok(rendered.text.includes('<script>'), 'the plain-text part is not HTML-escaped');
    const html = renderer.renderEmailHtml(ctx, rendered);
    assert.ok(!html.includes('<script>'), 'the HTML e-mail contains a raw <script>');
    assert.ok(
      html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;'),
      'the message is not escaped as text',
    );
    assert.match(html, new RegExp(`<html lang="${locale}">`));
    assert.match(html, /<h1[^>]*>([^<]+)<\/h1>/);
    assert.equal(/<h1[^>]*>([^<]+)<\/h1>/.exec(html)![1], rendered.subject, 'the subject is not the heading');
    assert.ok(html.includes(`href="${ctx.statusUrl}"`), 'no link to the status page');
    assert.ok(html.includes(`href="${ctx.unsubscribeUrl!.replace(/&/g, '&amp;')}"`), 'no unsubscribe link');
    assert.match(html, /<ul[^>]*>\s*<li/, 'workarounds are not a list');
    const noUnsubscribe = renderer.renderEmailHtml({ ...ctx, unsubscribeUrl: undefined }, rendered);
    assert.doesNotMatch(noUnsubscribe, /unsubscribe|取消訂閱/i, 'an unsubscribe link without an unsubscribe URL');
  }
});

test('every variable the real templates use is declared in MessageContext', () => {
  assert.deepEqual(checkTemplateVariables(), []);
  const full = sampleContext(plan, { scenarioId: 'outage', locale: 'en', kind: 'external', channel: 'email', phase: 'update' });
  for (const key of Object.keys(full)) assert.ok((declaredVariables as string[]).includes(key), `${key} is not declared`);
});

function tempTemplates(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-templates-'));
  for (const [file, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), body);
  }
  return dir;
}

test('checkTemplateVariables reports undeclared variables and members, and not names the template binds', () => {
  const dir = tempTemplates({
    'messages/en/external/x/initial.text.njk': [
      '{% set greeting = "Hello" %}{{ greeting }} {{ ticketId }}',
      '{% for c in components %}{{ c.name }} {{ c.hostname }} {{ loop.index }}{% endfor %}',
      '{% macro line(text, suffix=".") %}{{ text }}{{ suffix }}{% endmacro %}{{ line(businessFunctions) }}',
      '{{ incident.technicalDetails }} {{ message | default("") | upper }}{% if eta is defined %}{{ eta }}{% endif %}',
      '{% import "messages/en/_m.njk" as m with context %}{{ m.x() }}',
    ].join('\n'),
    'messages/en/_m.njk': '{% macro x() %}{{ statusUrl }} {{ jiraLink }}{% endmacro %}',
    'messages/en/external/x/initial.subject.njk': '{{ range(2) | join(",") }} {{ page.name }}',
  });
  try {
    const problems = checkTemplateVariables(dir)
      .map((p) => `${p.file}: ${p.variable}`)
      .sort();
    assert.deepEqual(problems, [
      'messages/en/_m.njk: jiraLink',
      'messages/en/external/x/initial.text.njk: c.hostname',
      'messages/en/external/x/initial.text.njk: incident.technicalDetails',
      'messages/en/external/x/initial.text.njk: ticketId',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('optional variables: {% if %} on a missing one is fine, printing a missing one fails loudly', () => {
  const dir = tempTemplates({
    'messages/en/external/t/ok.subject.njk': '{% if eta %}ETA {{ eta }}{% else %}No ETA{% endif %}',
    'messages/en/external/t/ok.text.njk':
      '{% if message %}{{ message }}{% endif %}{% if incident.owner %}{{ incident.owner }}{% endif %}Body',
    'messages/en/external/t/ok.short.njk': '{{ nextUpdateAt if nextUpdateAt else "soon" }}',
    'messages/en/external/t/bad.subject.njk': 'S',
    'messages/en/external/t/bad.text.njk': 'Fixed by {{ eta }}',
    'messages/en/external/t/bad.short.njk': 'x',
  });
  try {
    const r = createTemplateRenderer(dir);
    const base = sampleContext(plan, { scenarioId: 'outage', locale: 'en', kind: 'external', channel: 'sms' });
    const ctx: MessageContext = { ...base, incident: undefined, eta: undefined, message: undefined, nextUpdateAt: undefined };
    assert.deepEqual(r.render(ctx, 't/ok'), { subject: 'No ETA', text: 'Body', short: 'soon' });
    assert.equal(r.render({ ...ctx, eta: '12:00 UTC' }, 't/ok').subject, 'ETA 12:00 UTC');
    assert.throws(
      () => r.render(ctx, 't/bad'),
      (err: unknown) => err instanceof TemplateRenderError && /bad\.text\.njk/.test(err.message),
    );
    assert.equal(r.render({ ...ctx, eta: '12:00 UTC' }, 't/bad').text, 'Fixed by 12:00 UTC');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('templates see exactly the declared keys, with missing optional ones as null', () => {
  const base = sampleContext(plan, {
    scenarioId: 'maintenance',
    locale: 'en',
    kind: 'external',
    channel: 'sms',
    phase: 'announce',
  });
  const seen = templateContext({ ...base, ticketId: 'OPS-1' } as MessageContext);
  assert.deepEqual(Object.keys(seen).sort(), [...declaredVariables].sort());
  assert.equal(seen.incident, null);
  assert.equal(seen.eta, null);
  assert.ok(!('ticketId' in seen));
});
