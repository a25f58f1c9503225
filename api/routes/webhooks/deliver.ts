import { alertId, deliveryKeys, shortHash, type CorrelationRule } from '../../../core/correlation';
import type { CorrelationDelivery, DeliveredAlert } from '../../../core/correlationBook';
import type { Plan } from '../../../core/plan/schema';
import { routeAlertGroup, type AlertLabels } from '../../../core/routing';
import type { WebhookLedger } from '../../../core/webhookLedger';
import type { AlertInfo } from '../../../workflows/contracts/incident';
import { Problem } from '../../problem';
import type { RouteDeps } from '../common';
import { correlationSink } from './correlationClient';

// Every monitoring source ends here. A delivery (an Alertmanager group notification, an alarm, …) is
// checked, routed through the plan and handed to the page's alert router, which decides what its alerts
// join or open (workflows/correlation.ts); the answer comes once Temporal holds it, before that
// decision. A delivery seen before (Herald's ledger) is acknowledged without handing it over again.

export interface WebhookDeps extends RouteDeps {
  ledger: WebhookLedger;
}

export interface AlertDelivery {
  source: 'alertmanager' | 'cloudwatch' | 'grafana' | 'generic';
  /** The sender's grouping (Alertmanager groupKey, alarm ARN, generic key). */
  key: string;
  /** This delivery's identity, for the ledger (a retry of it carries the same one). */
  deliveryId: string;
  /** The delivery's status; an alert with its own `status` keeps it. */
  state: 'firing' | 'resolved';
  alerts: (AlertInfo & { status?: 'firing' | 'resolved'; endsAt?: string })[];
  /** Internal detail for the incident team (alert summaries, links); never shown to customers. */
  technicalDetail?: string;
}

export interface DeliveryOutcome {
  status: 200 | 202;
  body: {
    result: 'duplicate' | 'signalled';
    /** The incident is decided by the router after this answer; a duplicate names where it went, when known. */
    incidentId: string | null;
    correlationId?: string;
    alerts?: number;
    detail?: string;
  };
}

/** Alert details carried per delivery for people (the router tracks every alert by id). */
const SAMPLE = 20;

export async function deliverAlert(deps: WebhookDeps, d: AlertDelivery): Promise<DeliveryOutcome> {
  const seen = deps.ledger.seen(d.source, d.deliveryId);
  if (seen) {
    deps.metrics.webhooks.inc({ source: d.source, result: 'duplicate' });
    return {
      status: 200,
      body: {
        result: 'duplicate',
        incidentId: null,
        correlationId: seen.workflowId ?? undefined,
        detail: `delivery already processed at ${seen.at}`,
      },
    };
  }
  if (d.alerts.length === 0) throw new Problem(422, 'No alerts', `the notification carries no ${d.state} alert`);
  const sink = correlationSink(deps);
  const prepared = correlationDelivery(deps.plan, sink.rule, d, Date.now());
  if ('error' in prepared) {
    deps.metrics.webhooks.inc({ source: d.source, result: 'unroutable' });
    deps.log.warn(
      { source: d.source, correlationId: sink.workflowId, reason: prepared.error },
      'alert does not route to the plan',
    );
    throw new Problem(422, 'Alert does not route', `the plan's routing cannot place this alert: ${prepared.error}`);
  }
  const delivery = prepared;
  const alerts = delivery.alerts;
  const firing = alerts.filter((a) => a.state === 'firing');
  const routed = delivery.routed;
  await sink.hand(delivery);
  deps.ledger.record(d.source, d.deliveryId, sink.workflowId, firing.length > 0 ? 'firing' : 'resolved');
  deps.metrics.webhooks.inc({ source: d.source, result: firing.length > 0 ? 'firing' : 'resolved' });
  deps.log.info(
    {
      source: d.source,
      correlationId: sink.workflowId,
      alerts: alerts.length,
      firing: firing.length,
      ...(routed ? { scenario: routed.scenario, severity: routed.severity, components: routed.components } : {}),
    },
    'monitoring delivery handed to the alert router',
  );
  return { status: 202, body: { result: 'signalled', incidentId: null, correlationId: sink.workflowId, alerts: alerts.length } };
}

/**
 * A delivery as the router takes it: every alert's identity, state and times, what the firing alerts
 * route to and their correlation keys, and the first alerts' details. Pure; an error when no firing
 * alert routes.
 */
export function correlationDelivery(
  plan: Plan,
  rule: CorrelationRule,
  d: AlertDelivery,
  receivedAtMs: number,
): CorrelationDelivery | { error: string } {
  const alerts = d.alerts.map((a) => deliveredAlert(d, a, receivedAtMs));
  const firing = d.alerts.filter((_, i) => alerts[i]!.state === 'firing');
  let routed: CorrelationDelivery['routed'] = null;
  let keys: string[] = [];
  if (firing.length > 0) {
    const r = routeAlertGroup(
      plan,
      firing.map((a) => a.labels ?? {}),
    );
    if ('error' in r) return { error: r.error };
    routed = { scenario: r.scenario, severity: r.severity, components: r.components };
    keys = deliveryKeys(
      rule,
      r.components,
      firing.map((a) => a.labels ?? {}),
    );
  }
  return {
    deliveryId: d.deliveryId.slice(0, 200),
    source: d.source,
    identity: shortHash(`${d.source}\n${d.key}`),
    receivedAtMs,
    alerts,
    sample: (firing.length > 0 ? firing : d.alerts).slice(0, SAMPLE).map(({ status: _s, endsAt: _e, ...info }) => info),
    routed,
    keys,
    ...(d.technicalDetail ? { technicalDetail: d.technicalDetail.slice(0, 2000) } : {}),
  };
}

/** One alert as the router tracks it: its identity, its own state and the times that order its episodes. */
function deliveredAlert(d: AlertDelivery, a: AlertDelivery['alerts'][number], receivedAtMs: number): DeliveredAlert {
  const state = a.status ?? d.state;
  const startsAt = time(a.startsAt);
  const endsAt = time(a.endsAt);
  return {
    id: alertId(d.source, a.fingerprint ?? d.key),
    state,
    // A resolution without an end time (a CloudWatch OK) carries its change time as the end.
    startsAtMs: state === 'resolved' && endsAt === null ? null : startsAt,
    endsAtMs: state === 'resolved' ? (endsAt ?? startsAt ?? receivedAtMs) : null,
  };
}

/** Milliseconds of an RFC 3339 (or CloudWatch "+0000") time; null for none or Go's zero time. */
function time(text: string | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isFinite(ms) && ms > 946_684_800_000 ? ms : null;
}

/** Alert labels and annotations as AlertInfo, bounded so one delivery cannot bloat workflow history. */
export function alertInfo(
  source: string,
  labels: AlertLabels,
  extra: { summary?: string; fingerprint?: string; startsAt?: string },
): AlertInfo {
  const bounded: AlertLabels = {};
  for (const [k, v] of Object.entries(labels).slice(0, 40)) bounded[k.slice(0, 100)] = String(v).slice(0, 500);
  // Routing read the full labels; what the workflow keeps is bounded.
  return {
    source,
    name: (labels.alertname ?? labels.AlarmName ?? 'alert').slice(0, 200),
    ...(extra.summary ? { summary: extra.summary.slice(0, 1000) } : {}),
    labels: bounded,
    ...(extra.fingerprint ? { fingerprint: extra.fingerprint.slice(0, 100) } : {}),
    ...(extra.startsAt ? { startsAt: extra.startsAt.slice(0, 64) } : {}),
  };
}
