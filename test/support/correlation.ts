import type { Client } from '@temporalio/client';
import { alertGroupDelivery } from '../../api/routes/webhooks/alertmanager';
import { correlationDelivery } from '../../api/routes/webhooks/deliver';
import { correlationRule } from '../../core/correlation';
import type { CorrelationDelivery } from '../../core/correlationBook';
import type { Plan } from '../../core/plan/schema';
import {
  CORRELATION_WORKFLOW,
  correlationBatchSignal,
  correlationSummaryQuery,
  correlationWorkflowId,
  type CorrelationBatch,
  type CorrelationInput,
  type CorrelationSummary,
  type CorrelationWorkflow,
} from '../../workflows/contracts/correlation';
import { eventually } from './temporal';

// Alertmanager group notifications turned into router deliveries by the API's own code, and handed
// to a page's router the way the API does, for workflow tests that need no HTTP in between.

export interface GroupAlert {
  fp: string;
  status?: 'firing' | 'resolved';
  startsAt?: string;
  endsAt?: string;
}

export function groupDelivery(
  plan: Plan,
  group: string,
  component: string,
  alerts: GroupAlert[] = [{ fp: group }],
  alertname = 'HighLatency',
): CorrelationDelivery {
  const status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  const labels = (fp: string) => ({ alertname, group, component, severity: 'warning', instance: fp });
  const payload = {
    groupKey: `{}:{alertname="${alertname}", group="${group}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'herald',
    groupLabels: { alertname, group },
    commonLabels: { alertname, group, component, severity: 'warning' },
    commonAnnotations: { summary: `${alertname} on ${component}` },
    externalURL: 'http://alertmanager.local',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: labels(a.fp),
      annotations: {},
      startsAt: a.startsAt ?? new Date(Date.now() - 60_000).toISOString(),
      endsAt: a.endsAt ?? '0001-01-01T00:00:00Z',
      fingerprint: a.fp,
    })),
  } as const;
  const d = correlationDelivery(
    plan,
    correlationRule(plan),
    alertGroupDelivery('alertmanager', payload.groupKey, payload as never, Buffer.from(JSON.stringify(payload))),
    Date.now(),
  );
  if ('error' in d) throw new Error(d.error);
  return d;
}

/** One signal-with-start carrying these deliveries, as the API's hand-off does. */
export async function handToRouter(
  client: Client,
  taskQueue: string,
  plan: Plan,
  deliveries: CorrelationDelivery[],
  input: Partial<CorrelationInput> = {},
): Promise<void> {
  await client.workflow.signalWithStart<CorrelationWorkflow, [CorrelationBatch]>(CORRELATION_WORKFLOW, {
    workflowId: correlationWorkflowId(plan.page.id),
    taskQueue,
    args: [{ pageId: plan.page.id, ...input }],
    signal: correlationBatchSignal,
    signalArgs: [{ rule: correlationRule(plan), deliveries }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** The router's book once it has decided `deliveries` and has nothing queued or in flight. */
export function routerSettled(client: Client, plan: Plan, deliveries: number, timeoutMs = 60_000): Promise<CorrelationSummary> {
  return eventually(
    async () => {
      const s = await client.workflow.getHandle(correlationWorkflowId(plan.page.id)).query(correlationSummaryQuery);
      return s.counts.deliveries >= deliveries && s.queued === 0 && s.sending === 0 ? s : undefined;
    },
    timeoutMs,
    `the router to decide ${deliveries} deliveries`,
  );
}
