import { alertImpactWords } from './alertWords';
import type { LocalizedText } from './localizedText';
import { joinForSentence } from './messageWords';
import { buildMessageContext, type MessageFacts } from './messageContext';
import type { MessageContext } from './messages';
import type { Channel, ComponentStatus, IncidentPhase, MaintenancePhase, Plan } from './plan/schema';

// Realistic message facts for every phase a plan's scenarios publish, as the incident and
// maintenance workflows build them: the operator's words in one language, in both, in none (the
// plan's wording), a webhook-opened incident, a widened one and long text. Template previews,
// drills' "every template renders" check, `herald messages check` and tests render them through the
// same context builder as delivery. Pure: the time is a parameter (a fixed instant by default).

/** The drills' schedule day, 10:00 UTC: a stable instant so previews and tests do not drift. */
export const SAMPLE_NOW = new Date('2026-03-10T10:00:00Z');

export interface SampleOptions {
  scenarioId: string;
  locale: string;
  kind: 'external' | 'internal';
  channel: Channel;
  /** Incident or maintenance phase the sample stands for; decides status, ETA, window and wording. */
  phase?: IncidentPhase | MaintenancePhase;
  /** "Now" for the sample; times in the context are formatted relative to it. */
  now?: Date;
}

/** The representative situation of a scenario's phase (words in every locale), as a message context. */
export function sampleContext(plan: Plan, options: SampleOptions): MessageContext {
  const { scenarioId, locale, kind, channel } = options;
  const scenario = plan.scenarios[scenarioId];
  if (!scenario) throw new Error(`no scenario "${scenarioId}" in the plan`);
  const phase = options.phase ?? (scenario.kind === 'incident' ? 'initial' : 'announce');
  const candidates = situations(plan, options.now).filter((s) => s.scenario === scenarioId && s.phase === phase);
  const s = candidates.find((c) => SAMPLE_VARIANTS.includes(c.variant)) ?? candidates[0];
  if (!s) throw new Error(`scenario "${scenarioId}" has no phase "${phase}"`);
  const pageUrl = plan.page.url.replace(/\/+$/, '');
  const email = kind === 'external' && channel === 'email';
  return buildMessageContext(plan, s.facts, {
    locale,
    kind,
    channel,
    phase,
    statusUrl: pageUrl,
    now: options.now ?? SAMPLE_NOW,
    ...(email
      ? { unsubscribeUrl: `${pageUrl}/unsubscribe?t=sample-token`, preferencesUrl: `${pageUrl}/preferences?t=sample-token` }
      : {}),
  });
}

/** Which situation stands for a phase in previews: the operator's words in every locale where there are any. */
const SAMPLE_VARIANTS = ['operator-both', 'identified-both', 'plan-wording'];

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
    en: 'The change is rolled back, and no errors have been seen since 10:40.',
    'zh-TW': '設定已復原，自 10:40 起沒有再出現錯誤。',
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

/** How the facts carry operator words: per locale. */
function text(words: Words | null | undefined): LocalizedText | undefined {
  if (!words) return undefined;
  const given = Object.fromEntries(Object.entries(words).filter((e): e is [string, string] => !!e[1]));
  return Object.keys(given).length > 0 ? given : undefined;
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
      // A first notice that reaches its readers late: approval folded later updates into it.
      add(
        'initial',
        'approved-late',
        incident({ status: 'monitoring', declared: only(declared, 'en'), message: only(WORDS.monitoring, 'en') }),
      );
      add('initial', 'timed-out-late', incident({ status: 'identified', declared: only(declared, 'en') }));
      // The first notice to readers of a newly affected component: theirs first, then what was affected before.
      if (ids.length >= 2)
        add(
          'initial',
          'newly-affected',
          incident({ status: 'identified', declared: only(declared, 'en'), components: [ids[ids.length - 1]!, ids[0]!] }),
          [ids[ids.length - 1]!],
        );
      // Widened: readers told before hear what is newly affected (the first notice goes to the others).
      add('update', 'widened', {
        ...incident({ status: 'identified', declared: only(declared, 'en'), components: widened }),
        newlyAffected: widened.slice(primary.length),
      });
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
      // Words in Chinese only: English readers get the plan's wording, never the Chinese.
      add(
        'announce',
        'operator-zh-TW',
        maintenance({
          phase: 'announce',
          status: 'scheduled',
          message: only(WORDS.announce, 'zh-TW'),
          announced: only(WORDS.announce, 'zh-TW'),
        }),
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
      // Reminders and the start repeat what the work means, as announced, in each reader's language.
      add('reminder', 'announced-both', maintenance({ phase: 'reminder', status: 'scheduled', announced: WORDS.announce }));
      add('start', 'announced-both', maintenance({ phase: 'start', status: 'in_progress', announced: WORDS.announce }));
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
      add(
        'update',
        'operator-zh-TW',
        maintenance({
          phase: 'update',
          status: 'in_progress',
          message: only(WORDS.maintenanceUpdate, 'zh-TW'),
          announced: only(WORDS.announce, 'zh-TW'),
        }),
      );
      add(
        'complete',
        'operator-both',
        maintenance({ phase: 'complete', status: 'completed', message: WORDS.complete, announced: WORDS.announce }),
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

/** Title and impact of an incident a monitoring alert opened, in the plan's words (core/alertWords.ts). */
function alertOpened(plan: Plan, scenarioId: string, components: string[]): { title: string; impact: Words } {
  const locale = plan.page.defaultLocale;
  const names = joinForSentence(
    components.map((id) => pick(plan.components.find((c) => c.id === id)?.name, plan, locale) ?? id),
    locale,
  );
  return {
    title: `${pick(plan.scenarios[scenarioId]!.name, plan, locale)}: ${names}`,
    impact: alertImpactWords(plan, components),
  };
}
