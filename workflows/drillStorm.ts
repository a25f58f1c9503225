import { getExternalWorkflowHandle, ParentClosePolicy, proxyActivities, sleep, startChild } from '@temporalio/workflow';
import { alertId, deliveryKeys, shortHash, type CorrelationRule } from '../core/correlation';
import type { CorrelationDelivery } from '../core/correlationBook';
import type { DrillStep } from '../core/drill';
import type { IncidentPolicy } from '../core/policy';
import { HeraldDrill, HeraldKind } from '../core/searchAttributes';
import type { HeraldActivities } from '../activities';
import {
  CORRELATION_WORKFLOW,
  correlationBatchSignal,
  sealCorrelationSignal,
  type CorrelationResult,
  type CorrelationWorkflow,
} from './contracts/correlation';
import type { IncidentState } from './contracts/incident';

// A drill's alert storm (`--inject alert-storm`): instead of one alert opening the drill incident, a
// storm of alert groups goes through a router of the drill's own (correlation-<drill id>), in the
// batches several API processes would hand over, all at once. The router must open exactly one
// incident — the drill's target — and the report counts what each sandbox recipient was told.

const BATCH = 25;

export interface DrillStorm {
  routerId: string;
  /** The target's final state once the router has seen every incident it opened finish. */
  result: Promise<{ final: IncidentState; incidents: number }>;
}

export async function fireStorm(o: {
  drillId: string;
  targetId: string;
  step: Extract<DrillStep, { action: 'fire' }>;
  scenario: string;
  title: string;
  policy: IncidentPolicy;
  storm: { alerts: number; rule: CorrelationRule };
}): Promise<DrillStorm> {
  const routerId = `correlation-${o.drillId}`;
  const severity = o.step.severity ?? Object.keys(o.policy.severities)[0]!;
  const router = await startChild<CorrelationWorkflow>(CORRELATION_WORKFLOW, {
    workflowId: routerId,
    args: [{ pageId: o.policy.pageId, drill: { openAs: o.targetId, policy: o.policy, title: o.title, impact: o.step.impact } }],
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    typedSearchAttributes: [
      { key: HeraldKind, value: 'correlation' },
      { key: HeraldDrill, value: true },
    ],
  });
  const now = Date.now();
  const deliveries = Array.from({ length: o.storm.alerts }, (_, i): CorrelationDelivery => {
    const fingerprint = `${o.drillId}-${i}`;
    const labels = { alertname: o.step.alert, component: o.step.components.join(','), instance: `drill-${i}` };
    return {
      deliveryId: fingerprint,
      source: 'drill',
      identity: shortHash(`drill\n${fingerprint}`),
      receivedAtMs: now,
      alerts: [{ id: alertId('drill', fingerprint), state: 'firing', startsAtMs: now, endsAtMs: null }],
      sample: [{ source: 'drill', name: o.step.alert, labels, fingerprint }],
      routed: { scenario: o.scenario, severity, components: [...o.step.components] },
      keys: deliveryKeys(o.storm.rule, o.step.components, [labels]),
    };
  });
  const handle = getExternalWorkflowHandle(routerId);
  const batches: CorrelationDelivery[][] = [];
  for (let i = 0; i < deliveries.length; i += BATCH) batches.push(deliveries.slice(i, i + BATCH));
  await Promise.all(batches.map((b) => handle.signal(correlationBatchSignal, { rule: o.storm.rule, deliveries: b })));
  await handle.signal(sealCorrelationSignal);
  const result = router.result().then((r: CorrelationResult) => {
    const target = r.incidents.find((i) => i.id === o.targetId);
    if (!target?.final) throw new Error(target?.error ?? 'the storm opened no incident');
    return { final: target.final, incidents: r.incidents.length };
  });
  return { routerId, result };
}

const probe = proxyActivities<HeraldActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 1 } });

/** The router opens the target a moment after the storm: operator steps wait until it runs (at most a minute). */
export async function waitForIncident(workflowId: string): Promise<boolean> {
  for (let i = 0; i < 120; i++) {
    try {
      await probe.drillTargetState({ workflowId, kind: 'incident' });
      return true;
    } catch {
      await sleep(500);
    }
  }
  return false;
}
