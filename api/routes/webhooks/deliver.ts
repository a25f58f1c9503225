import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Plan } from '../../../core/plan/schema';
import { incidentPolicy } from '../../../core/policy';
import { routeAlertGroup, type AlertLabels } from '../../../core/routing';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../../../core/searchAttributes';
import type { WebhookLedger } from '../../../core/webhookLedger';
import {
  INCIDENT_WORKFLOW,
  monitoringSignal,
  type AlertInfo,
  type IncidentInput,
  type IncidentWorkflow,
  type MonitoringInput,
} from '../../../workflows/contracts/incident';
import { Problem } from '../../problem';
import { withDeadline, type RouteDeps } from '../common';
import { own } from '../../../core/own';

// Every monitoring source ends here: one alert identity (an Alertmanager group, a CloudWatch alarm,
// …) is one incident with a deterministic workflow id. Firing opens it or joins the running one
// (signal-with-start, USE_EXISTING); resolved reaches a running one as monitoring state and never
// opens one. A delivery seen before (Herald's ledger) is acknowledged without signalling again.

export interface WebhookDeps extends RouteDeps {
  ledger: WebhookLedger;
}

export interface AlertDelivery {
  source: 'alertmanager' | 'cloudwatch' | 'grafana' | 'generic';
  /** The alert's identity: the same key always reaches the same incident. */
  key: string;
  /** This delivery's identity, for the ledger (a retry of it carries the same one). */
  deliveryId: string;
  state: 'firing' | 'resolved';
  /** The alerts in this delivery that have `state` (labels route them; each is signalled). */
  alerts: AlertInfo[];
  /** Internal detail for the incident team (alert summaries, links); never shown to customers. */
  technicalDetail?: string;
}

export interface DeliveryOutcome {
  status: 200 | 202;
  body: { result: 'duplicate' | 'signalled' | 'ignored'; incidentId: string | null; detail?: string };
}

const MAX_SIGNALS = 20;

export function incidentIdFor(source: string, key: string): string {
  return `incident-${source}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export async function deliverAlert(deps: WebhookDeps, d: AlertDelivery): Promise<DeliveryOutcome> {
  const seen = deps.ledger.seen(d.source, d.deliveryId);
  if (seen) {
    deps.metrics.webhooks.inc({ source: d.source, result: 'duplicate' });
    return {
      status: 200,
      body: { result: 'duplicate', incidentId: seen.workflowId, detail: `delivery already processed at ${seen.at}` },
    };
  }
  const id = incidentIdFor(d.source, d.key);
  const alerts = d.alerts.slice(0, MAX_SIGNALS);
  if (alerts.length === 0) throw new Problem(422, 'No alerts', `the notification carries no ${d.state} alert`);

  if (d.state === 'resolved') {
    const handle = deps.client.workflow.getHandle(id);
    try {
      await withDeadline(deps, async () => {
        for (const alert of alerts) await handle.signal(monitoringSignal, { state: 'resolved', alert });
      });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      deps.ledger.record(d.source, d.deliveryId, null, 'no-incident');
      deps.metrics.webhooks.inc({ source: d.source, result: 'ignored' });
      deps.log.info({ source: d.source, incidentId: id }, 'resolved alert for no running incident: ignored');
      return {
        status: 200,
        body: { result: 'ignored', incidentId: null, detail: 'no running incident for this alert; nothing to resolve' },
      };
    }
    deps.ledger.record(d.source, d.deliveryId, id, 'resolved');
    deps.metrics.webhooks.inc({ source: d.source, result: 'resolved' });
    deps.log.info({ source: d.source, incidentId: id, alerts: alerts.length }, 'monitoring resolved signalled');
    return { status: 202, body: { result: 'signalled', incidentId: id } };
  }

  const routed = routeAlertGroup(
    deps.plan,
    d.alerts.map((a) => a.labels ?? {}),
  );
  if ('error' in routed) {
    deps.metrics.webhooks.inc({ source: d.source, result: 'unroutable' });
    deps.log.warn({ source: d.source, incidentId: id, reason: routed.error }, 'alert does not route to the plan');
    throw new Problem(422, 'Alert does not route', `the plan's routing cannot place this alert: ${routed.error}`);
  }
  const input = alertIncidentInput(deps.plan, routed, alerts[0]!, d, deps.publicUrl);
  const [first, ...rest] = alerts;
  await withDeadline(deps, async () => {
    const handle = await deps.client.workflow.signalWithStart<IncidentWorkflow, [MonitoringInput]>(INCIDENT_WORKFLOW, {
      workflowId: id,
      taskQueue: deps.taskQueue,
      args: [input],
      signal: monitoringSignal,
      // What the group routes to now: a running incident adds the components it lacks (their
      // subscribers get the initial notice) and takes a more severe severity (the cadence follows).
      signalArgs: [{ state: 'firing', alert: first!, routed: { components: routed.components, severity: routed.severity } }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: { title: input.title, scenario: input.scenario, source: d.source },
      typedSearchAttributes: [
        { key: HeraldKind, value: 'incident' },
        { key: HeraldSeverity, value: input.severity },
        { key: HeraldStatus, value: 'investigating' },
        { key: HeraldComponents, value: input.components },
        { key: HeraldDrill, value: false },
      ],
    });
    for (const alert of rest) await handle.signal(monitoringSignal, { state: 'firing', alert });
  });
  deps.ledger.record(d.source, d.deliveryId, id, 'firing');
  deps.metrics.webhooks.inc({ source: d.source, result: 'firing' });
  deps.log.info(
    {
      source: d.source,
      incidentId: id,
      scenario: routed.scenario,
      severity: routed.severity,
      components: routed.components,
      alerts: alerts.length,
    },
    'monitoring firing signalled',
  );
  return { status: 202, body: { result: 'signalled', incidentId: id } };
}

/**
 * The incident a firing alert opens. Title and impact are the plan's own words for the components
 * (customers read them); what the alert says goes to the internal technical detail only.
 */
export function alertIncidentInput(
  plan: Plan,
  routed: { scenario: string; severity: string; components: string[] },
  alert: AlertInfo,
  d: Pick<AlertDelivery, 'source' | 'technicalDetail'>,
  publicUrl: string,
): IncidentInput {
  const locale = plan.page.defaultLocale;
  const pick = (t: Record<string, string> | undefined, fallback: string) =>
    t?.[locale] ?? t?.en ?? Object.values(t ?? {})[0] ?? fallback;
  const components = routed.components.map((id) => plan.components.find((c) => c.id === id)!);
  const scenario = own(plan.scenarios, routed.scenario)!;
  const names = new Intl.ListFormat(locale, { type: 'conjunction' }).format(components.map((c) => pick(c.name, c.id)));
  const functions = new Intl.ListFormat(locale, { type: 'conjunction' }).format(
    components.map((c) => pick(c.businessFunction, c.id)),
  );
  const title = `${pick(scenario.name, routed.scenario)}: ${names}`.slice(0, 200);
  const impact = locale.startsWith('zh')
    ? `部分客戶可能無法使用${functions}。我們正在調查。`
    : `Some customers may be unable to use ${functions}. We are investigating.`;
  const detail = [`Opened by ${d.source} alert ${alert.name}`, alert.summary, d.technicalDetail]
    .filter(Boolean)
    .join('\n')
    .slice(0, 4000);
  return {
    title,
    scenario: routed.scenario,
    severity: routed.severity,
    components: routed.components,
    impact,
    technicalDetail: detail,
    drill: false,
    declaredBy: `monitoring:${d.source}`,
    alert,
    policy: incidentPolicy(plan, routed.scenario, { statusUrl: publicUrl }),
  };
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
