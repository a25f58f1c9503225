import { allTexts, wordsIn, type LocalizedText } from './localizedText';
import { alertImpactWords } from './alertWords';
import type { MessageContext } from './messages';
import {
  COMPONENT_STATUS_LABELS,
  formatDuration,
  formatMessageTime,
  humanDuration,
  INCIDENT_STATUS_LABELS,
  joinForSentence,
  labelIn as label,
  MAINTENANCE_PHASE_LABELS,
} from './messageWords';

export { humanDuration };
import type { Channel, ComponentStatus, Plan } from './plan/schema';

// The facts a workflow knows about one message round, in plan ids and ISO times; the render step
// turns them into a MessageContext per locale, audience kind and channel (localized names, times
// formatted in the page's time zone, the operator's words in the reader's language or none).

export interface MessageFacts {
  kind: 'incident' | 'maintenance';
  /** Incident or maintenance workflow id. */
  id: string;
  /** A plain string is in the page's default locale. */
  title: LocalizedText;
  scenario: string;
  /** Incident status, or maintenance status (scheduled, in_progress, completed, cancelled). */
  status: string;
  severity?: string;
  /** The customer-facing impact as it stands. A plain string is in the page's default locale. */
  impact?: LocalizedText;
  /** The operator's words for this round. */
  message?: LocalizedText;
  components: string[];
  componentStatuses: Record<string, ComponentStatus>;
  startedAt?: string;
  resolvedAt?: string | null;
  /** A post-incident review to follow (given on resolve). */
  reviewUrl?: string | null;
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
  /** Component ids this update newly affects (a widening). */
  newlyAffected?: string[];
  /** The external message that waits for approval (internal audiences are told). */
  awaitingApproval?: { seq: number; audiences: string[]; sendsAt: string };
}

export interface ContextOptions {
  locale: string;
  kind: 'external' | 'internal';
  channel: Channel;
  /** The scenario phase of the round (initial, update, …; announce, reminder, …). */
  phase: string;
  /** The root of the public status page (a drill passes its drill page); messages link the item's page in the reader's locale. */
  statusUrl: string;
  unsubscribeUrl?: string;
  preferencesUrl?: string;
  /** The round's time: a resolution without a recorded time ends then. */
  now?: Date;
}

/** The page of one incident or maintenance in a locale: <root>/[<locale>/]incidents/<id>.html. */
export function itemPageUrl(plan: Plan, root: string, id: string, locale: string): string {
  const prefix = locale === plan.page.defaultLocale ? '' : `${locale}/`;
  return `${root.replace(/\/+$/, '')}/${prefix}incidents/${encodeURIComponent(id)}.html`;
}

export function buildMessageContext(plan: Plan, facts: MessageFacts, o: ContextOptions): MessageContext {
  const { locale } = o;
  const plain = plan.page.defaultLocale;
  const pick = (text: Record<string, string> | undefined) => text?.[locale] ?? text?.[plain];
  const words = (text: LocalizedText | null | undefined) => wordsIn(text, locale, plain)?.trim() || undefined;
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
  const newlyAffected = (facts.newlyAffected ?? []).map((id) => plan.components.find((x) => x.id === id));
  const scenarioName = pick(scenario?.name) ?? facts.scenario;
  const zh = locale.startsWith('zh');
  const planTitle = `${scenarioName}${zh ? '：' : ': '}${joinForSentence(
    components.map((c) => c.name),
    locale,
  )}`;
  const title = words(facts.title) ?? planTitle;
  const message = words(facts.message);
  const ctx: MessageContext = {
    locale,
    audienceKind: o.kind,
    channel: o.channel,
    phase: o.phase,
    page: { name: plan.page.name, url: plan.page.url.replace(/\/+$/, '') },
    scenario: { id: facts.scenario, name: scenarioName },
    components,
    // A widening update names what was affected before here, and what it adds in newlyAffected.
    businessFunctions: joinForSentence(
      components.filter((c) => !facts.newlyAffected?.includes(c.id)).map((c) => c.businessFunction),
      locale,
    ),
    workarounds: components.flatMap((c) => (c.workaround ? [c.workaround] : [])),
    statusUrl: itemPageUrl(plan, o.statusUrl, facts.id, locale),
    ...(o.unsubscribeUrl ? { unsubscribeUrl: o.unsubscribeUrl } : {}),
    ...(o.preferencesUrl ? { preferencesUrl: o.preferencesUrl } : {}),
    ...(message ? { message } : {}),
    operatorUpdate: allTexts(facts.message).some((t) => t.trim().length > 0),
    ...(facts.eta ? { eta: time(facts.eta) } : {}),
    ...(facts.nextUpdateAt ? { nextUpdateAt: time(facts.nextUpdateAt) } : {}),
    ...(newlyAffected.length > 0
      ? {
          newlyAffected: joinForSentence(
            newlyAffected.map((c) => pick(c?.businessFunction) ?? ''),
            locale,
          ),
          newlyAffectedFunctions: newlyAffected.map((c) => pick(c?.businessFunction) ?? ''),
        }
      : {}),
    ...(o.kind === 'internal' && facts.awaitingApproval
      ? {
          awaitingApproval: {
            seq: facts.awaitingApproval.seq,
            audiences: joinForSentence(facts.awaitingApproval.audiences, locale),
            sendsAt: time(facts.awaitingApproval.sendsAt)!,
          },
        }
      : {}),
  };
  if (facts.kind === 'incident') {
    const severity = plan.severities.find((s) => s.id === facts.severity);
    const impact = words(facts.impact);
    const alertSentence = alertImpactWords(plan, facts.components)[locale];
    const resolved = facts.status === 'resolved' || facts.status === 'postmortem';
    const resolvedAt = resolved ? (facts.resolvedAt ?? o.now?.toISOString()) : undefined;
    ctx.incident = {
      id: facts.id,
      title,
      status: facts.status,
      statusLabel: label(INCIDENT_STATUS_LABELS, locale, facts.status),
      severity: { id: facts.severity ?? '', name: severity?.name ?? facts.severity ?? '' },
      // Said once: the impact paragraph only when this message's own words do not already say it.
      ...(impact && impact !== message ? { impact } : {}),
      ...(alertSentence && (message ?? impact) === alertSentence ? { alertWordsOnly: true } : {}),
      startedAt: time(facts.startedAt) ?? '',
      ...(resolvedAt ? { resolvedAt: time(resolvedAt) } : {}),
      ...(resolvedAt && facts.startedAt
        ? { duration: formatDuration(Date.parse(resolvedAt) - Date.parse(facts.startedAt), locale) }
        : {}),
      ...(facts.reviewUrl ? { reviewUrl: facts.reviewUrl } : {}),
      ...(facts.owner ? { owner: facts.owner } : {}),
      ...(o.kind === 'internal' && facts.technicalDetail ? { technicalDetail: facts.technicalDetail } : {}),
    };
  } else {
    const description = words(facts.impact);
    ctx.maintenance = {
      id: facts.id,
      title,
      statusLabel: label(MAINTENANCE_PHASE_LABELS, locale, o.phase),
      scheduledFor: time(facts.scheduledFor) ?? '',
      scheduledUntil: time(facts.scheduledUntil) ?? '',
      ...(facts.previousScheduledFor ? { previousScheduledFor: time(facts.previousScheduledFor) } : {}),
      ...(facts.previousScheduledUntil ? { previousScheduledUntil: time(facts.previousScheduledUntil) } : {}),
      ...(facts.startsInMs !== undefined ? { startsIn: humanDuration(facts.startsInMs, locale) } : {}),
      ...(description && description !== message ? { description } : {}),
    };
  }
  return ctx;
}
