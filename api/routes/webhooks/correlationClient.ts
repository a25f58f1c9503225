import type { Client, Connection } from '@temporalio/client';
import { alertId, correlationRule, type CorrelationRule } from '../../../core/correlation';
import type { CorrelationClaim, CorrelationDelivery } from '../../../core/correlationBook';
import type { Plan } from '../../../core/plan/schema';
import { CallDeadlineExceeded } from '../../deadline';
import { HeraldDrill, HeraldKind } from '../../../core/searchAttributes';
import {
  alertIncidentQuery,
  claimIncidentSignal,
  CORRELATION_WORKFLOW,
  correlationBatchSignal,
  correlationWorkflowId,
  type CorrelationBatch,
  type CorrelationWorkflow,
} from '../../../workflows/contracts/correlation';
import { withCallDeadline } from '../../deadline';

// How the API hands deliveries to the page's alert router. A hand-off is one signal-with-start; while
// HAND_OFFS_IN_FLIGHT are in flight, the deliveries that arrive wait and go together in the next (group
// commit), so a storm of webhooks costs a few signals, not one each, and every answer still waits for
// the signal that carries its delivery. A sender's order holds: monitoring senders send a group's next
// notification after the answer to the previous one, which comes only once its signal has landed (and the
// router orders an alert's episodes by their own times).

export interface CorrelationTarget {
  client: Client;
  plan: Plan;
  taskQueue: string;
  temporalTimeoutMs: number;
}

interface Waiting {
  delivery: CorrelationDelivery;
  bytes: number;
  /** The request's own deadline for Temporal calls (api/deadline.ts), if it has one. */
  deadline: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A signal stays well under Temporal's 2 MB payload limit. */
const MAX_BATCH_BYTES = 1_000_000;
/** Hand-offs a process keeps in flight: a delivery then waits for a free one, not for the whole previous batch. */
const HAND_OFFS_IN_FLIGHT = 4;

export class CorrelationSink {
  readonly workflowId: string;
  readonly rule: CorrelationRule;
  private waiting: Waiting[] = [];
  private inFlight = 0;
  /** Signals sent and deliveries carried, for tests and the bench. */
  readonly stats = { signals: 0, deliveries: 0 };

  constructor(private readonly target: CorrelationTarget) {
    this.workflowId = correlationWorkflowId(target.plan.page.id);
    this.rule = correlationRule(target.plan);
  }

  /**
   * Resolves once Temporal holds the delivery; rejects (the sender should retry) when it could not,
   * or when the request's deadline comes first (the delivery may still land: handing it over again is
   * harmless, the router knows its alerts).
   */
  hand(delivery: CorrelationDelivery): Promise<void> {
    const connection = this.target.client.connection as Partial<Pick<Connection, 'callContextStorage'>>;
    const outer = connection.callContextStorage?.getStore()?.deadline;
    const deadline = Math.min(
      Date.now() + this.target.temporalTimeoutMs,
      outer === undefined ? Infinity : outer instanceof Date ? outer.getTime() : outer,
    );
    return new Promise<void>((resolve, reject) => {
      const late = setTimeout(() => reject(new CallDeadlineExceeded()), Math.max(0, deadline - Date.now()));
      this.waiting.push({
        delivery,
        bytes: JSON.stringify(delivery).length,
        deadline,
        resolve: () => (clearTimeout(late), resolve()),
        reject: (err) => (clearTimeout(late), reject(err)),
      });
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight >= HAND_OFFS_IN_FLIGHT || this.waiting.length === 0) return;
    let bytes = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || bytes + this.waiting[count]!.bytes <= MAX_BATCH_BYTES)) {
      bytes += this.waiting[count]!.bytes;
      count += 1;
    }
    const taken = this.waiting.splice(0, count);
    this.inFlight += 1;
    const batch: CorrelationBatch = { rule: this.rule, deliveries: taken.map((w) => w.delivery) };
    // The hand-off ends by the earliest deadline among the requests it carries, never later.
    const deadline = Math.max(Date.now() + 1, Math.min(...taken.map((w) => w.deadline)));
    this.send(batch, deadline)
      .then(
        () => {
          this.stats.signals += 1;
          this.stats.deliveries += taken.length;
          for (const w of taken) w.resolve();
        },
        (err: unknown) => {
          for (const w of taken) w.reject(err);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
  }

  /** One signal-with-start under its own deadline and abort signal, not those of the request that happened to start it. */
  private send(batch: CorrelationBatch, deadline: number): Promise<unknown> {
    const { client, plan, taskQueue } = this.target;
    const abort = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    return client.connection.withDeadline(deadline, () =>
      client.connection.withAbortSignal(abort, () =>
        client.workflow.signalWithStart<CorrelationWorkflow, [CorrelationBatch]>(CORRELATION_WORKFLOW, {
          workflowId: this.workflowId,
          taskQueue,
          args: [{ pageId: plan.page.id }],
          signal: correlationBatchSignal,
          signalArgs: [batch],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [
            { key: HeraldKind, value: 'correlation' },
            { key: HeraldDrill, value: false },
          ],
        }),
      ),
    );
  }
}

const sinks = new WeakMap<Client, Map<string, CorrelationSink>>();

/** The process's sink for this client and page. */
export function correlationSink(target: CorrelationTarget): CorrelationSink {
  let byPage = sinks.get(target.client);
  if (!byPage) sinks.set(target.client, (byPage = new Map()));
  let sink = byPage.get(target.plan.page.id);
  if (!sink) byPage.set(target.plan.page.id, (sink = new CorrelationSink(target)));
  return sink;
}

/** Registers an operator-declared incident with the router, so alerts that follow join it. */
export async function claimIncident(target: CorrelationTarget, claim: CorrelationClaim): Promise<void> {
  const { client, plan, taskQueue, temporalTimeoutMs } = target;
  await withCallDeadline(client.connection, temporalTimeoutMs, () =>
    client.workflow.signalWithStart<CorrelationWorkflow, [CorrelationClaim]>(CORRELATION_WORKFLOW, {
      workflowId: correlationWorkflowId(plan.page.id),
      taskQueue,
      args: [{ pageId: plan.page.id }],
      signal: claimIncidentSignal,
      signalArgs: [claim],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: HeraldKind, value: 'correlation' },
        { key: HeraldDrill, value: false },
      ],
    }),
  );
}

/** The incident an alert went to (null: not decided yet, or it opened nothing). */
export async function incidentForAlert(
  client: Client,
  pageId: string,
  source: string,
  fingerprint: string,
): Promise<string | null> {
  return client.workflow.getHandle(correlationWorkflowId(pageId)).query(alertIncidentQuery, alertId(source, fingerprint));
}
