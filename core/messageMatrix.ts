import type { DeliveredMessage, Expectations } from './messageCheck';
import { renderChannelMessage, smsOptOut, smsSegmentBudget } from './messageContent';
import { buildMessageContext, type MessageFacts } from './messageContext';
import { formatMessageTime, SAMPLE_NOW } from './messageSamples';
import type { Channel, ComponentStatus, Plan } from './plan/schema';
import type { TemplateRenderer } from './render';
import { localePrefix } from './statuspage/snapshot';
import { unsubscribeLink } from './store/unsubscribe';

// Every external message Herald can send for a plan, rendered on the delivery path with realistic
// facts: each scenario's phases as the workflows publish them, with the operator's words in one
// language, in both, in none (the plan's wording), a webhook-opened incident, a widened one and long
// text. `herald messages check` and its test check each one (core/messageCheck.ts).

/** Stands for the recipient's unsubscribe token, as in a round's shared words. */
const TOKEN = 'HERALDUNSUBSCRIBETOKEN';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The operator's words in the languages they were given in. */
type Words = Partial<Record<string, string>>;

export interface Situation {
  scenario: string;
  phase: string;
  variant: string;
  templateId: string;
  facts: MessageFacts;
  /** The components whose subscribers get this message. */
  components: string[];
}

const WORDS = {
  declare: {
    en: 'Most attempts fail with an error page; a few succeed after several tries.',
    'zh-TW': '大部分操作會出現錯誤頁面，少數在重試幾次後才會成功。',
  },
  identified: {
    en: 'We found the cause: a configuration change made this morning. We are rolling it back now.',
    'zh-TW': '我們已找到原因：今天早上的一項設定變更。我們正在復原這項變更。',
  },
  monitoring: {
    en: 'The change is rolled back and errors have stopped. We are watching closely before we call this resolved.',
    'zh-TW': '設定已復原，錯誤已停止。在確認解決之前，我們會持續密切觀察。',
  },
  resolve: {
    en: 'Everything has worked normally for 30 minutes. Nothing you did during the outage was lost.',
    'zh-TW': '所有功能已正常運作 30 分鐘。服務中斷期間您的資料都沒有遺失。',
  },
  announce: {
    en: 'We are upgrading the database to a faster version.',
    'zh-TW': '我們將把資料庫升級到效能更好的版本。',
  },
  maintenanceUpdate: {
    en: 'The upgrade is going to plan and about half done.',
    'zh-TW': '升級依計畫進行，目前已完成約一半。',
  },
  reschedule: {
    en: 'We moved the work to a quieter time for most customers.',
    'zh-TW': '我們將作業移到多數客戶較少使用的時段。',
  },
  cancel: {
    en: 'We no longer need this work: the upgrade was done without downtime.',
    'zh-TW': '這項作業已不需要進行：升級已在不中斷服務的情況下完成。',
  },
  complete: { en: 'The upgrade is finished and everything is working.', 'zh-TW': '升級已完成，所有功能皆正常運作。' },
} satisfies Record<string, Words>;

/** A long update of the kind written in the middle of a bad night (about 1,100 characters). */
const LONG: Words = {
  en: [
    'We have traced the errors to a configuration change that reached part of our fleet this morning.',
    'Rolling it back everywhere at once would interrupt requests that are working now, so we are moving servers back in small groups and checking each group before the next.',
    'About a third of the servers are done and error rates there are back to normal.',
    'If an attempt fails, please wait a minute and try again; nothing is charged or saved twice.',
    'We will keep this page current as each group finishes, and we will write up what happened and what we are changing so that it does not happen again.',
    'Thank you for your patience while we work through this carefully.',
  ].join(' '),
  'zh-TW': [
    '我們已確認錯誤來自今天早上套用到部分伺服器的一項設定變更。',
    '若一次全部復原，會中斷目前正常運作的請求，因此我們分小批復原伺服器，每批確認正常後才進行下一批。',
    '目前約三分之一的伺服器已完成，這些伺服器的錯誤率已恢復正常。',
    '若操作失敗，請稍候一分鐘再試；不會重複扣款或重複儲存。',
    '每完成一批，我們都會更新此頁面，之後也會說明發生了什麼事，以及我們將如何避免再次發生。',
    '感謝您耐心等候我們謹慎處理。',
  ].join(''),
};

const only = (words: Words, locale: string): Words => ({ [locale]: words[locale] });

/** How the facts carry operator words. */
function text(words: Words | null | undefined): string | undefined {
  if (!words) return undefined;
  return words.en ?? Object.values(words).find(Boolean);
}

function pick(t: Record<string, string> | undefined, plan: Plan, locale: string): string | undefined {
  return t?.[locale] ?? t?.[plan.page.defaultLocale];
}

/** Every situation the plan's scenarios publish, as the incident and maintenance workflows build their facts. */
export function situations(plan: Plan, now: Date = SAMPLE_NOW): Situation[] {
  const at = (offset: number) => new Date(now.getTime() + offset).toISOString();
  const out: Situation[] = [];
  const ids = plan.components.map((c) => c.id);
  const primary = ids.slice(0, 1);
  const widened = ids.slice(0, 4);
  for (const [scenarioId, scenario] of Object.entries(plan.scenarios)) {
    const add = (phase: string, variant: string, facts: MessageFacts, components = facts.components) =>
      out.push({
        scenario: scenarioId,
        phase,
        variant,
        templateId: (scenario.templates as Record<string, string>)[phase]!,
        facts,
        components,
      });
    if (scenario.kind === 'incident') {
      const severity = scenario.defaultSeverity;
      const statusOf = (components: string[], resolved = false): Record<string, ComponentStatus> =>
        Object.fromEntries(
          components.map((c) => [c, resolved ? 'operational' : (scenario.componentStatus[severity] ?? 'major_outage')]),
        );
      const cadence = HOUR / 2;
      const incident = (o: {
        status: string;
        declared: Words;
        message?: Words | null;
        components?: string[];
        title?: string;
        eta?: string | null;
        next?: string | null;
      }): MessageFacts => {
        const components = o.components ?? primary;
        const resolved = o.status === 'resolved';
        const message = text(o.message);
        return {
          kind: 'incident',
          id: 'incident-errors-on-the-website-1a2b3c4d',
          title: o.title ?? `Errors on the ${pick(plan.components.find((c) => c.id === components[0])?.name, plan, 'en')}`,
          scenario: scenarioId,
          status: o.status,
          severity,
          impact: text(o.declared),
          ...(message ? { message } : {}),
          components,
          componentStatuses: statusOf(components, resolved),
          startedAt: at(-45 * MINUTE),
          eta: o.eta ?? null,
          nextUpdateAt: resolved ? null : (o.next ?? at(cadence)),
          owner: 'alex.chen',
          technicalDetail: 'ApiHighErrorRate on api-gw-2.acme.internal',
        };
      };
      const declared = WORDS.declare;
      // The first notice: the workflow publishes the declaration's words as the message too.
      add(
        'initial',
        'operator-en',
        incident({ status: 'investigating', declared: only(declared, 'en'), message: only(declared, 'en') }),
      );
      add(
        'initial',
        'operator-zh-TW',
        incident({ status: 'investigating', declared: only(declared, 'zh-TW'), message: only(declared, 'zh-TW') }),
      );
      add('initial', 'operator-both', incident({ status: 'investigating', declared, message: declared }));
      add('initial', 'long', incident({ status: 'investigating', declared: LONG, message: LONG }));
      const opened = alertOpened(plan, scenarioId, primary);
      add(
        'initial',
        'webhook-opened',
        incident({ status: 'investigating', declared: opened.impact, message: opened.impact, title: opened.title }),
      );
      add(
        'initial',
        'widened',
        incident({ status: 'identified', declared: only(declared, 'en'), components: widened }),
        widened.slice(primary.length),
      );
      add(
        'update',
        'identified',
        incident({
          status: 'identified',
          declared: only(declared, 'en'),
          message: only(WORDS.identified, 'en'),
          eta: at(2 * HOUR),
        }),
      );
      add(
        'update',
        'identified-both',
        incident({ status: 'identified', declared, message: WORDS.identified, eta: at(2 * HOUR) }),
      );
      add('update', 'identified-long', incident({ status: 'identified', declared: only(declared, 'en'), message: LONG }));
      add(
        'update',
        'monitoring',
        incident({ status: 'monitoring', declared: only(declared, 'en'), message: only(WORDS.monitoring, 'en') }),
      );
      add('update', 'monitoring-by-alert', incident({ status: 'monitoring', declared: opened.impact, title: opened.title }));
      add('holding', 'plan-wording', incident({ status: 'identified', declared: only(declared, 'en') }));
      add('etaMissed', 'plan-wording', incident({ status: 'identified', declared: only(declared, 'en') }));
      add(
        'resolved',
        'operator-en',
        incident({ status: 'resolved', declared: only(declared, 'en'), message: only(WORDS.resolve, 'en') }),
      );
      add('resolved', 'operator-both', incident({ status: 'resolved', declared, message: WORDS.resolve }));
      add('resolved', 'auto-resolved', incident({ status: 'resolved', declared: opened.impact, title: opened.title }));
    } else {
      const windowAt = (phase: string) =>
        ({ reminder: 24 * HOUR, start: 0, update: -HOUR, overrun: -2 * HOUR, complete: -2 * HOUR })[phase] ?? 72 * HOUR;
      const maintenance = (o: { phase: string; status: string; message?: Words | null; announced?: Words }): MessageFacts => {
        const start = windowAt(o.phase);
        const length = 2 * HOUR;
        const message = text(o.message);
        const facts: MessageFacts = {
          kind: 'maintenance',
          id: 'maintenance-database-upgrade-5e6f7a8b',
          title: 'Database upgrade',
          scenario: scenarioId,
          status: o.status,
          impact: text(o.announced ?? only(WORDS.announce, 'en')),
          ...(message ? { message } : {}),
          components: primary,
          componentStatuses: Object.fromEntries(
            primary.map((c) => [c, o.status === 'in_progress' ? 'under_maintenance' : 'operational']),
          ),
          scheduledFor: at(start),
          scheduledUntil: at(start + length),
          owner: 'alex.chen',
          technicalDetail: 'pg-main-1.acme.internal major upgrade',
        };
        if (o.phase === 'reschedule') {
          // Moved two days later: the notice names the old window and the new one.
          Object.assign(facts, {
            previousScheduledFor: facts.scheduledFor,
            previousScheduledUntil: facts.scheduledUntil,
            scheduledFor: at(start + 48 * HOUR),
            scheduledUntil: at(start + 48 * HOUR + length),
          });
        }
        if (o.phase === 'overrun')
          Object.assign(facts, {
            previousScheduledUntil: facts.scheduledUntil,
            scheduledUntil: at(start + length + 30 * MINUTE),
          });
        if (o.phase === 'reminder') facts.startsInMs = 24 * HOUR;
        return facts;
      };
      add(
        'announce',
        'operator-en',
        maintenance({ phase: 'announce', status: 'scheduled', message: only(WORDS.announce, 'en') }),
      );
      add(
        'announce',
        'operator-both',
        maintenance({ phase: 'announce', status: 'scheduled', message: WORDS.announce, announced: WORDS.announce }),
      );
      add('announce', 'long', maintenance({ phase: 'announce', status: 'scheduled', message: LONG, announced: LONG }));
      add('reminder', 'plan-wording', maintenance({ phase: 'reminder', status: 'scheduled' }));
      add(
        'reschedule',
        'operator-en',
        maintenance({ phase: 'reschedule', status: 'scheduled', message: only(WORDS.reschedule, 'en') }),
      );
      add('reschedule', 'plan-wording', maintenance({ phase: 'reschedule', status: 'scheduled' }));
      add('start', 'plan-wording', maintenance({ phase: 'start', status: 'in_progress' }));
      add(
        'update',
        'operator-en',
        maintenance({ phase: 'update', status: 'in_progress', message: only(WORDS.maintenanceUpdate, 'en') }),
      );
      add(
        'update',
        'operator-both',
        maintenance({ phase: 'update', status: 'in_progress', message: WORDS.maintenanceUpdate, announced: WORDS.announce }),
      );
      add('overrun', 'plan-wording', maintenance({ phase: 'overrun', status: 'in_progress' }));
      add('cancel', 'operator-en', maintenance({ phase: 'cancel', status: 'cancelled', message: only(WORDS.cancel, 'en') }));
      add('cancel', 'plan-wording', maintenance({ phase: 'cancel', status: 'cancelled' }));
      add('complete', 'plan-wording', maintenance({ phase: 'complete', status: 'completed' }));
      add(
        'complete',
        'operator-en',
        maintenance({ phase: 'complete', status: 'completed', message: only(WORDS.complete, 'en') }),
      );
    }
  }
  return out;
}

/** Title and impact of an incident a monitoring alert opened, in the plan's words (api/routes/webhooks). */
function alertOpened(plan: Plan, scenarioId: string, components: string[]): { title: string; impact: Words } {
  const locale = plan.page.defaultLocale;
  const comps = components.map((id) => plan.components.find((c) => c.id === id)!);
  const scenario = plan.scenarios[scenarioId]!;
  const list = (items: string[]) => new Intl.ListFormat(locale, { type: 'conjunction' }).format(items);
  const names = list(comps.map((c) => pick(c.name, plan, locale) ?? c.id));
  const functions = list(comps.map((c) => pick(c.businessFunction, plan, locale) ?? c.id));
  const impact = locale.startsWith('zh')
    ? `部分客戶可能無法使用${functions}。我們正在調查。`
    : `Some customers may be unable to use ${functions}. We are investigating.`;
  return { title: `${pick(scenario.name, plan, locale)}: ${names}`, impact: { [locale]: impact } };
}

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

export function preferencesLink(unsubscribeBase: string, token: string): string {
  return unsubscribeLink(new URL('preferences', unsubscribeBase).href, token);
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
            statusUrl: o.statusUrl ?? base,
            ...(channel === 'email' ? { unsubscribeUrl } : {}),
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

function expectations(
  plan: Plan,
  s: Situation,
  channel: Channel,
  locale: string,
  o: { link: string; unsubscribeUrl: string; preferencesUrl: string; eta?: string; nextUpdateAt?: string },
): Expectations {
  const f = s.facts;
  const components = f.components.map((id) => plan.components.find((c) => c.id === id)!);
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
    actions: ACTION_PHASES.has(s.phase)
      ? components.flatMap((c) => {
          const w = pick(c.workaround, plan, locale);
          return w ? [w] : [];
        })
      : [],
    times: final ? [] : times,
    ...(final ? { finalPhrase: FINAL_PHRASE[locale] ?? FINAL_PHRASE.en! } : {}),
    statusWord: words[statusKey] ?? statusKey,
    allowedForeign: [plan.page.name, ...planTexts, 'STOP'],
    ...(channel === 'sms' ? { sms: { maxSegments: smsSegmentBudget(plan, locale), optOut: smsOptOut(plan, locale) } } : {}),
    ...(channel === 'email' ? { email: { unsubscribeUrl: o.unsubscribeUrl, preferencesUrl: o.preferencesUrl } } : {}),
    link: o.link,
  };
}
