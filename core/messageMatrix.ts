import type { DeliveredMessage, Expectations } from './messageCheck';
import { preferencesLink, renderChannelMessage, smsOptOut, smsSegmentBudget } from './messageContent';
import { buildMessageContext } from './messageContext';
import { SAMPLE_NOW, situations, type Situation } from './messageSamples';
import { formatMessageTime, shortTime } from './messageWords';
import type { Channel, Plan } from './plan/schema';
import type { TemplateRenderer } from './render';
import { localePrefix } from './statuspage/snapshot';
import { unsubscribeLink } from './store/unsubscribe';

// Every external message Herald can send for a plan, rendered on the delivery path with realistic
// facts: each scenario's phases as the workflows publish them, with the operator's words in one
// language, in both, in none (the plan's wording), a webhook-opened incident, a widened one and long
// text. `herald messages check` and its test check each one (core/messageCheck.ts).

const TOKEN = 'HERALDUNSUBSCRIBETOKEN';

// ---------------------------------------------------------------------------------------------
// Rendering every situation for every external audience, locale and channel

const STATUS_WORDS: Record<string, Record<string, string>> = {
  en: {
    investigating: 'Investigating',
    identified: 'Identified',
    monitoring: 'Monitoring',
    resolved: 'Resolved',
    announce: 'Scheduled',
    reminder: 'Scheduled',
    reschedule: 'Rescheduled',
    start: 'In progress',
    update: 'In progress',
    overrun: 'Extended',
    complete: 'Completed',
    cancel: 'Cancelled',
  },
  'zh-TW': {
    investigating: '調查中',
    identified: '已找到原因',
    monitoring: '監控中',
    resolved: '已解決',
    announce: '已排定',
    reminder: '已排定',
    reschedule: '已改期',
    start: '進行中',
    update: '進行中',
    overrun: '已延長',
    complete: '已完成',
    cancel: '已取消',
  },
};
const FINAL_PHRASE: Record<string, string> = { en: 'final update', 'zh-TW': '最後一次更新' };
const FINAL_PHASES = new Set(['resolved', 'complete', 'cancel']);
/** Phases in which customers need the workaround (during the trouble, or to prepare for the window). */
const ACTION_PHASES = new Set([
  'initial',
  'update',
  'holding',
  'etaMissed',
  'announce',
  'reminder',
  'reschedule',
  'start',
  'overrun',
]);

export interface MatrixOptions {
  /** Where the unsubscribe route is served (the delivery configuration's unsubscribe URL). */
  unsubscribeBase: string;
  /** The public status page root messages link from (today: HERALD_PUBLIC_URL). */
  statusUrl?: string;
  now?: Date;
}

/** Every external message of every situation, as delivered, with what it must say. */
export function deliveredMessages(plan: Plan, renderer: TemplateRenderer, o: MatrixOptions): DeliveredMessage[] {
  const base = plan.page.url.replace(/\/+$/, '');
  const out: DeliveredMessage[] = [];
  for (const s of situations(plan, o.now)) {
    const scenario = plan.scenarios[s.scenario]!;
    for (const sa of scenario.audiences) {
      const audience = plan.audiences.find((a) => a.id === sa.audience)!;
      if (audience.kind !== 'external' || audience.sandbox) continue;
      for (const locale of audience.locales) {
        for (const channel of sa.channels ?? audience.channels) {
          const unsubscribeUrl = unsubscribeLink(o.unsubscribeBase, TOKEN);
          const ctx = buildMessageContext(plan, s.facts, {
            locale,
            kind: 'external',
            channel,
            phase: s.phase,
            statusUrl: o.statusUrl ?? base,
            now: o.now ?? SAMPLE_NOW,
            ...(channel === 'email' ? { unsubscribeUrl, preferencesUrl: preferencesLink(o.unsubscribeBase, TOKEN) } : {}),
          });
          const { content } = renderChannelMessage(plan, renderer, ctx, s.templateId);
          const short = channel === 'sms' || channel === 'push';
          out.push({
            key: { scenario: s.scenario, phase: s.phase, variant: s.variant, audience: audience.id, locale, channel },
            ...(channel === 'sms' ? {} : { subject: content.subject }),
            body: short ? content.short : content.text,
            expect: expectations(plan, s, channel, locale, {
              link: `${base}/${localePrefix(plan, locale)}incidents/${encodeURIComponent(s.facts.id)}.html`,
              unsubscribeUrl,
              preferencesUrl: preferencesLink(o.unsubscribeBase, TOKEN),
              eta: ctx.eta,
              nextUpdateAt: ctx.nextUpdateAt,
            }),
          });
        }
      }
    }
  }
  return out;
}

function pick(t: Record<string, string> | undefined, plan: Plan, locale: string): string | undefined {
  return t?.[locale] ?? t?.[plan.page.defaultLocale];
}

function expectations(
  plan: Plan,
  s: Situation,
  channel: Channel,
  locale: string,
  o: { link: string; unsubscribeUrl: string; preferencesUrl: string; eta?: string; nextUpdateAt?: string },
): Expectations {
  const f = s.facts;
  // A widening update names what it newly affects too.
  const components = [...f.components, ...(f.newlyAffected ?? [])].map((id) => plan.components.find((c) => c.id === id)!);
  const time = (iso: string | null | undefined) =>
    iso ? formatMessageTime(new Date(iso), locale, plan.page.timeZone) : undefined;
  const times: string[] = [];
  if (f.kind === 'incident') times.push(...[time(f.eta), time(f.nextUpdateAt)].filter((x): x is string => !!x));
  else if (['announce', 'reminder', 'reschedule'].includes(s.phase)) times.push(time(f.scheduledFor)!);
  else times.push(time(f.scheduledUntil)!);
  const final = FINAL_PHASES.has(s.phase);
  const statusKey = f.kind === 'incident' ? f.status : s.phase;
  const words = STATUS_WORDS[locale] ?? STATUS_WORDS.en!;
  const planTexts = [
    ...plan.components.flatMap((c) => [c.name, c.businessFunction, c.workaround, c.description]),
    ...plan.groups.map((g) => g.name),
    ...Object.values(plan.scenarios).map((sc) => sc.name),
  ].flatMap((t) => (t?.[locale] ? [t[locale]!] : []));
  return {
    functions: components.map((c) => pick(c.businessFunction, plan, locale) ?? c.id),
    // While monitoring a fix, what to watch for replaces the workaround.
    actions:
      ACTION_PHASES.has(s.phase) && f.status !== 'monitoring'
        ? components.flatMap((c) => {
            const w = pick(c.workaround, plan, locale);
            return w ? [w] : [];
          })
        : [],
    // Short messages may give the short form of a time ("Tue 10:30 UTC").
    times: final ? [] : channel === 'sms' || channel === 'push' ? [...times, ...times.map((t) => shortTime(t, locale))] : times,
    ...(final ? { finalPhrase: FINAL_PHRASE[locale] ?? FINAL_PHRASE.en! } : {}),
    statusWord: words[statusKey] ?? statusKey,
    allowedForeign: [plan.page.name, ...planTexts, 'STOP'],
    ...(channel === 'sms' ? { sms: { maxSegments: smsSegmentBudget(plan, locale), optOut: smsOptOut(plan, locale) } } : {}),
    ...(channel === 'email' ? { email: { unsubscribeUrl: o.unsubscribeUrl, preferencesUrl: o.preferencesUrl } } : {}),
    link: o.link,
  };
}
