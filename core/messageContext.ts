import type { MessageContext } from './messages';
import { COMPONENT_STATUS_LABELS, formatMessageTime, INCIDENT_STATUS_LABELS, joinForSentence } from './messageSamples';
import type { Channel, ComponentStatus, Plan } from './plan/schema';

// The facts a workflow knows about one message round, in plan ids and ISO times; the render step
// turns them into a MessageContext per locale, audience kind and channel (localized names, times
// formatted in the page's time zone).

export interface MessageFacts {
  kind: 'incident' | 'maintenance';
  /** Incident or maintenance workflow id. */
  id: string;
  title: string;
  scenario: string;
  /** Incident status, or maintenance status (scheduled, in_progress, completed, cancelled). */
  status: string;
  severity?: string;
  /** Customer-facing impact text. */
  impact?: string;
  /** The operator's words for this round. */
  message?: string;
  components: string[];
  componentStatuses: Record<string, ComponentStatus>;
  startedAt?: string;
  eta?: string | null;
  nextUpdateAt?: string | null;
  owner?: string | null;
  technicalDetail?: string | null;
  scheduledFor?: string;
  scheduledUntil?: string;
  previousScheduledFor?: string;
  previousScheduledUntil?: string;
  /** Reminders: milliseconds from the round's time until the window starts. */
  startsInMs?: number;
}

export interface ContextOptions {
  locale: string;
  kind: 'external' | 'internal';
  channel: Channel;
  /** The public status page URL (a drill passes its drill page). */
  statusUrl: string;
  unsubscribeUrl?: string;
}

const label = (labels: Record<string, Record<string, string>>, locale: string, key: string) =>
  labels[locale]?.[key] ?? labels.en?.[key] ?? key;

export function humanDuration(ms: number, locale: string): string {
  const hours = Math.round(ms / 3_600_000);
  const zh = locale.startsWith('zh');
  if (hours >= 48 && hours % 24 === 0) return zh ? `${hours / 24} 天` : `${hours / 24} days`;
  if (hours >= 1) return zh ? `${hours} 小時` : `${hours} hour${hours === 1 ? '' : 's'}`;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return zh ? `${minutes} 分鐘` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

export function buildMessageContext(plan: Plan, facts: MessageFacts, o: ContextOptions): MessageContext {
  const { locale } = o;
  const pick = (text: Record<string, string> | undefined) => text?.[locale] ?? text?.[plan.page.defaultLocale];
  const time = (iso: string | null | undefined) =>
    iso ? formatMessageTime(new Date(iso), locale, plan.page.timeZone) : undefined;
  const scenario = plan.scenarios[facts.scenario];
  const components = facts.components.map((id) => {
    const c = plan.components.find((x) => x.id === id);
    const status = facts.componentStatuses[id] ?? 'operational';
    const workaround = pick(c?.workaround);
    return {
      id,
      name: pick(c?.name) ?? id,
      businessFunction: pick(c?.businessFunction) ?? id,
      ...(workaround ? { workaround } : {}),
      status,
      statusLabel: label(COMPONENT_STATUS_LABELS, locale, status),
    };
  });
  const ctx: MessageContext = {
    locale,
    audienceKind: o.kind,
    channel: o.channel,
    page: { name: plan.page.name, url: plan.page.url.replace(/\/+$/, '') },
    scenario: { id: facts.scenario, name: pick(scenario?.name) ?? facts.scenario },
    components,
    businessFunctions: joinForSentence(
      components.map((c) => c.businessFunction),
      locale,
    ),
    workarounds: components.flatMap((c) => (c.workaround ? [c.workaround] : [])),
    statusUrl: o.statusUrl,
    ...(o.unsubscribeUrl ? { unsubscribeUrl: o.unsubscribeUrl } : {}),
    ...(facts.message ? { message: facts.message } : {}),
    ...(facts.eta ? { eta: time(facts.eta) } : {}),
    ...(facts.nextUpdateAt ? { nextUpdateAt: time(facts.nextUpdateAt) } : {}),
  };
  if (facts.kind === 'incident') {
    const severity = plan.severities.find((s) => s.id === facts.severity);
    ctx.incident = {
      id: facts.id,
      title: facts.title,
      status: facts.status,
      statusLabel: label(INCIDENT_STATUS_LABELS, locale, facts.status),
      severity: { id: facts.severity ?? '', name: severity?.name ?? facts.severity ?? '' },
      impact: facts.impact ?? '',
      startedAt: time(facts.startedAt) ?? '',
      ...(facts.owner ? { owner: facts.owner } : {}),
      ...(o.kind === 'internal' && facts.technicalDetail ? { technicalDetail: facts.technicalDetail } : {}),
    };
  } else {
    ctx.maintenance = {
      id: facts.id,
      title: facts.title,
      scheduledFor: time(facts.scheduledFor) ?? '',
      scheduledUntil: time(facts.scheduledUntil) ?? '',
      ...(facts.previousScheduledFor ? { previousScheduledFor: time(facts.previousScheduledFor) } : {}),
      ...(facts.previousScheduledUntil ? { previousScheduledUntil: time(facts.previousScheduledUntil) } : {}),
      ...(facts.startsInMs !== undefined ? { startsIn: humanDuration(facts.startsInMs, locale) } : {}),
    };
  }
  return ctx;
}
