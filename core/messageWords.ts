// The words and formats every message shares: status labels, times in the page's zone, lists and
// durations, per locale. Pure.

export type Labels = Record<string, Record<string, string>>;

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

/** One status word per incident phase (Statuspage's set). */
export const INCIDENT_STATUS_LABELS: Labels = {
  en: { investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved' },
  'zh-TW': { investigating: '調查中', identified: '已找到原因', monitoring: '監控中', resolved: '已解決' },
};

/** One status word per maintenance phase. */
export const MAINTENANCE_PHASE_LABELS: Labels = {
  en: {
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

/** A label in the locale, else English, else the key. */
export function labelIn(labels: Labels, locale: string, key: string): string {
  return labels[locale]?.[key] ?? labels.en?.[key] ?? key;
}

/** A time as messages show it, in the page's time zone, e.g. "Tue, Mar 10, 10:30 UTC" or "3月10日（週二）10:30 UTC". */
export function formatMessageTime(at: Date, locale: string, timeZone: string): string {
  const parts = messageTimeFormat(locale, timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const time = `${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
  if (locale.startsWith('zh')) return `${part('month').replace(/月$/, '')}月${part('day')}日（${part('weekday')}）${time}`;
  return `${part('weekday')}, ${part('month')} ${part('day')}, ${time}`;
}

/** A message time shortened for SMS and push: "Tue 10:30 UTC", "週二 10:30 UTC" (the day and the time, zone kept). */
export function shortTime(formatted: string, locale: string): string {
  const zh = /^\d+月\d+日（(.+?)）(.+)$/.exec(formatted);
  if (locale.startsWith('zh') && zh) return `${zh[1]} ${zh[2]}`;
  const en = /^(\w+), \w+ \d+, (.+)$/.exec(formatted);
  return en ? `${en[1]} ${en[2]}` : formatted;
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

/** How long something lasted, to the minute: "1 hour 25 minutes", "1 小時 25 分鐘". */
export function formatDuration(ms: number, locale: string): string {
  const total = Math.max(1, Math.round(ms / 60_000));
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  if (locale.startsWith('zh')) return [hours ? `${hours} 小時` : '', minutes ? `${minutes} 分鐘` : ''].filter(Boolean).join(' ');
  const unit = (n: number, one: string) => (n ? `${n} ${one}${n === 1 ? '' : 's'}` : '');
  return [unit(hours, 'hour'), unit(minutes, 'minute')].filter(Boolean).join(' ');
}

/** A rounded span for reminders: "24 hours", "3 days", "45 minutes". */
export function humanDuration(ms: number, locale: string): string {
  const hours = Math.round(ms / 3_600_000);
  const zh = locale.startsWith('zh');
  if (hours >= 48 && hours % 24 === 0) return zh ? `${hours / 24} 天` : `${hours / 24} days`;
  if (hours >= 1) return zh ? `${hours} 小時` : `${hours} hour${hours === 1 ? '' : 's'}`;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return zh ? `${minutes} 分鐘` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Staff are reminded when monitoring has stayed quiet and the plan does not resolve on its own: in every locale staff read. */
export function monitoringQuietNote(quietMs: number): Record<string, string> {
  return {
    en: `Monitoring has been quiet for ${formatDuration(quietMs, 'en')}. Resolve the incident or post an update.`,
    'zh-TW': `監控已連續 ${formatDuration(quietMs, 'zh-TW')}沒有告警。請解決此事件，或發布更新。`,
  };
}
