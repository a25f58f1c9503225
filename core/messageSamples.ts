import type { MessageComponent, MessageContext } from './messages';
import type { Channel, ComponentStatus, IncidentPhase, MaintenancePhase, Plan } from './plan/schema';

// Realistic message contexts built from a plan, for template previews, drills' "every template
// renders" check and tests. Pure: the time is a parameter (a fixed instant by default).

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

/** The drills' schedule day, 10:00 UTC: a stable instant so previews and tests do not drift. */
export const SAMPLE_NOW = new Date('2026-03-10T10:00:00Z');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Labels = Record<string, Record<string, string>>;

export const COMPONENT_STATUS_LABELS: Labels = {
  en: {
    operational: 'Operational',
    degraded_performance: 'Degraded performance',
    partial_outage: 'Partial outage',
    major_outage: 'Major outage',
    under_maintenance: 'Under maintenance',
  },
  'zh-TW': {
    operational: '正常運作',
    degraded_performance: '效能降低',
    partial_outage: '部分中斷',
    major_outage: '嚴重中斷',
    under_maintenance: '維護中',
  },
};

export const INCIDENT_STATUS_LABELS: Labels = {
  en: { investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved' },
  'zh-TW': { investigating: '調查中', identified: '已找到原因', monitoring: '觀察中', resolved: '已解決' },
};

const SAMPLE_TEXT: Labels = {
  en: {
    impact: 'Some customers cannot complete these actions and see an error page instead.',
    update: 'We have found the cause and are rolling out a fix. Most requests are succeeding again.',
    etaMissed:
      'The fix is taking longer to roll out than we planned. We are moving customers over in smaller steps to keep it safe.',
    maintenanceUpdate: 'The work is going to plan and about half done.',
    overrun: 'The final checks are taking longer than planned.',
    maintenanceTitle: 'Database upgrade',
    startsIn: '24 hours',
  },
  'zh-TW': {
    impact: '部分客戶無法完成上述操作，畫面會顯示錯誤頁面。',
    update: '我們已找到原因，正在部署修正，大部分請求已恢復正常。',
    etaMissed: '修正的部署時間比預期長，為確保安全，我們正分批將客戶移轉回來。',
    maintenanceUpdate: '維護作業依計畫進行，目前已完成約一半。',
    overrun: '最後的檢查比預期花費更多時間。',
    maintenanceTitle: '資料庫升級',
    startsIn: '24 小時',
  },
};

/** A time as messages show it, in the page's time zone, e.g. "Tue, Mar 10, 10:30 UTC" or "3月10日（週二）10:30 UTC". */
export function formatMessageTime(at: Date, locale: string, timeZone: string): string {
  const parts = messageTimeFormat(locale, timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const time = `${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
  if (locale.startsWith('zh')) return `${part('month').replace(/月$/, '')}月${part('day')}日（${part('weekday')}）${time}`;
  return `${part('weekday')}, ${part('month')} ${part('day')}, ${time}`;
}

/** Building an Intl.DateTimeFormat costs far more than using one (it was a fifth of preparing a round): one per locale and zone. */
const timeFormats = new Map<string, Intl.DateTimeFormat>();
function messageTimeFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}`;
  let f = timeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
      timeZoneName: 'short',
    });
    if (timeFormats.size >= 100) timeFormats.clear();
    timeFormats.set(key, f);
  }
  return f;
}

/** A phrase for a list of items, e.g. "a, b and c" / "a、b和c". */
export function joinForSentence(items: string[], locale: string): string {
  return new Intl.ListFormat(locale, { type: 'conjunction', style: 'long' }).format(items);
}

export function sampleContext(plan: Plan, options: SampleOptions): MessageContext {
  const { scenarioId, locale, kind, channel } = options;
  const scenario = plan.scenarios[scenarioId];
  if (!scenario) throw new Error(`no scenario "${scenarioId}" in the plan`);
  const phase = options.phase ?? (scenario.kind === 'incident' ? 'initial' : 'announce');
  const now = options.now ?? SAMPLE_NOW;
  const at = (offsetMs: number) => formatMessageTime(new Date(now.getTime() + offsetMs), locale, plan.page.timeZone);
  const pick = (text: Record<string, string> | undefined): string | undefined =>
    text?.[locale] ?? text?.[plan.page.defaultLocale];
  const label = (labels: Labels, key: string) => labels[locale]?.[key] ?? labels.en![key] ?? key;
  const sample = (key: string) => label(SAMPLE_TEXT, key);
  const pageUrl = plan.page.url.replace(/\/+$/, '');

  let status: ComponentStatus = 'operational';
  if (scenario.kind === 'incident' && phase !== 'resolved')
    status = scenario.componentStatus[scenario.defaultSeverity] ?? 'major_outage';
  if (scenario.kind === 'maintenance' && (phase === 'start' || phase === 'update' || phase === 'overrun'))
    status = 'under_maintenance';

  const components: MessageComponent[] = plan.components.slice(0, 2).map((c) => {
    const workaround = pick(c.workaround);
    return {
      id: c.id,
      name: pick(c.name) ?? c.id,
      businessFunction: pick(c.businessFunction) ?? c.id,
      ...(workaround ? { workaround } : {}),
      status,
      statusLabel: label(COMPONENT_STATUS_LABELS, status),
    };
  });
  const scenarioName = pick(scenario.name) ?? scenarioId;

  const ctx: MessageContext = {
    locale,
    audienceKind: kind,
    channel,
    page: { name: plan.page.name, url: pageUrl },
    scenario: { id: scenarioId, name: scenarioName },
    components,
    businessFunctions: joinForSentence(
      components.map((c) => c.businessFunction),
      locale,
    ),
    workarounds: components.flatMap((c) => (c.workaround ? [c.workaround] : [])),
    statusUrl: '',
  };

  if (scenario.kind === 'incident') {
    const severity = plan.severities.find((s) => s.id === scenario.defaultSeverity) ?? plan.severities[0]!;
    const incidentStatus = {
      initial: 'investigating',
      update: 'identified',
      holding: 'identified',
      etaMissed: 'identified',
      resolved: 'resolved',
    }[phase as IncidentPhase];
    const cadence = 30 * MINUTE;
    ctx.incident = {
      id: 'inc-sample',
      title: locale.startsWith('zh')
        ? `${scenarioName}（${joinForSentence(
            components.map((c) => c.name),
            locale,
          )}）`
        : `${scenarioName} (${joinForSentence(
            components.map((c) => c.name),
            locale,
          )})`,
      status: incidentStatus ?? 'investigating',
      statusLabel: label(INCIDENT_STATUS_LABELS, incidentStatus ?? 'investigating'),
      severity: { id: severity.id, name: severity.name },
      impact: sample('impact'),
      startedAt: at(-45 * MINUTE),
      owner: 'alex.chen',
      technicalDetail:
        'Alert ApiHighErrorRate firing for api-gw-2.acme.internal (5xx 38%); runbook https://wiki.corp.acme.net/runbooks/api-gw',
    };
    ctx.statusUrl = `${pageUrl}/incidents/inc-sample`;
    if (phase !== 'resolved') ctx.nextUpdateAt = at(cadence);
    if (phase === 'update' || phase === 'etaMissed') {
      ctx.message = sample(phase);
      ctx.eta = at(2 * HOUR);
    }
  } else {
    // Where "now" falls relative to the window: before it for the notices ahead of it, inside or after it otherwise.
    const startOffset =
      { reminder: 24 * HOUR, start: 0, update: -HOUR, overrun: -2 * HOUR, complete: -2 * HOUR }[phase as string] ?? 72 * HOUR;
    const length = 2 * HOUR;
    const start = phase === 'reschedule' ? startOffset + 24 * HOUR : startOffset;
    const end = start + length + (phase === 'overrun' ? 30 * MINUTE : 0);
    ctx.maintenance = {
      id: 'mnt-sample',
      title: sample('maintenanceTitle'),
      scheduledFor: at(start),
      scheduledUntil: at(end),
      ...(phase === 'reschedule'
        ? { previousScheduledFor: at(startOffset), previousScheduledUntil: at(startOffset + length) }
        : {}),
      ...(phase === 'overrun' ? { previousScheduledUntil: at(start + length) } : {}),
      ...(phase === 'reminder' ? { startsIn: sample('startsIn') } : {}),
    };
    ctx.statusUrl = `${pageUrl}/maintenances/mnt-sample`;
    if (phase === 'update') ctx.message = sample('maintenanceUpdate');
    if (phase === 'overrun') ctx.message = sample('overrun');
    if (phase === 'update' || phase === 'overrun') ctx.nextUpdateAt = at(30 * MINUTE);
  }

  if (kind === 'external' && channel === 'email') ctx.unsubscribeUrl = `${pageUrl}/unsubscribe?token=sample-token`;
  return ctx;
}
