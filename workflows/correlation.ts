import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { shortHash, type CorrelationRule } from '../core/correlation';
import {
  ALERT_DETAILS_PER_INCIDENT,
  applyClaim,
  applyDelivery,
  bounce,
  closeIncident,
  MAX_MARKS,
  mergeChange,
  monitoringStateOf,
  newBook,
  pruneBook,
  type BookIncident,
  type Changes,
  type CorrelationDelivery,
  type IncidentChange,
} from '../core/correlationBook';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../core/searchAttributes';
import type { HeraldActivities } from '../activities';
import {
  alertIncidentQuery,
  claimIncidentSignal,
  correlationBatchSignal,
  correlationSummaryQuery,
  incidentChangedSignal,
  sealCorrelationSignal,
  type CorrelationBatch,
  type IncidentChange as IncidentReport,
  type CorrelationInput,
  type CorrelationResult,
  type CorrelationWorkflow,
} from './contracts/correlation';
import {
  alertIncidentWorkflowId,
  INCIDENT_WORKFLOW,
  type AlertInfo,
  type AlertsInput,
  type IncidentInput,
  type IncidentWorkflow,
  type MonitoringInput,
} from './contracts/incident';

// The alert router: one per page. Every monitoring delivery reaches it by signal (the API batches
// what arrives while a hand-off is in flight), and it applies them to its book in the order Temporal
// recorded them — which is what makes 300 simultaneous deliveries on any number of API processes open
// one incident. For each incident a batch changed it then starts the incident (alerts opened it) or
// sends it one monitoring signal (never one per alert); an incident that cannot take it any more
// (resolved, gone) bounces the deliveries back to be decided again. The book is bounded and carried
// across continue-as-new.

const { correlatedIncidentInput } = proxyLocalActivities<HeraldActivities>({
  startToCloseTimeout: '10 seconds',
  // Opening waits (without holding up other incidents) until the worker's plan can build the incident.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// Tells an incident what changed (an Update, refused once it is resolved); a few attempts, then decided again.
const { tellIncident } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 20 },
});

type Message =
  | { kind: 'batch'; batch: CorrelationBatch }
  | { kind: 'claim'; claim: Parameters<typeof applyClaim>[1] }
  | { kind: 'changed'; report: IncidentReport };

export async function alertCorrelation(input: CorrelationInput): Promise<CorrelationResult> {
  const book = input.book ?? newBook(Date.now(), workflowInfo().firstExecutionRunId);
  const runs = (input.runs ?? 0) + 1;
  const queue: Message[] = [];
  const pending = new Map<number, { change: IncidentChange; rule: CorrelationRule }>();
  const sending = new Set<number>();
  let inFlight = 0;
  let sealed = false;
  const drillOutcomes: CorrelationResult['incidents'] = [];
  let drillRunning = 0;

  // Continue as new after this many steps (signals taken, changes sent), counted by the workflow itself:
  // the history length a run sees moves with local activities and queries, a count of its own steps does not.
  // (Declared before the handlers: signals buffered before this run are delivered as they are set.)
  let steps = 0;

  upsertSearchAttributes([
    { key: HeraldKind, value: 'correlation' },
    { key: HeraldDrill, value: !!input.drill },
  ]);

  setHandler(correlationBatchSignal, (batch) => {
    steps += 1;
    queue.push({ kind: 'batch', batch });
  });
  setHandler(claimIncidentSignal, (claim) => void queue.push({ kind: 'claim', claim }));
  setHandler(incidentChangedSignal, (report) => void queue.push({ kind: 'changed', report }));
  setHandler(sealCorrelationSignal, () => void (sealed = true));
  setHandler(correlationSummaryQuery, () => ({
    runs,
    incidents: book.incidents,
    counts: book.counts,
    marks: Object.keys(book.marks).length,
    queued: queue.length,
    sending: inFlight,
  }));
  setHandler(alertIncidentQuery, (id) => {
    const mark = Object.hasOwn(book.marks, id) ? book.marks[id] : undefined;
    return (mark && book.incidents.find((i) => i.n === mark[0])?.id) ?? null;
  });

  const continueDue = () => !input.drill && steps >= (input.continueAsNewAfterSteps ?? 500);
  const drillFinished = () => !!input.drill && sealed && drillRunning === 0;

  for (;;) {
    await condition(() => queue.length > 0 || ((continueDue() || drillFinished()) && inFlight === 0));
    if (queue.length === 0) break;
    const now = Date.now();
    const changes: Changes = new Map();
    const rules = new Map<IncidentChange, CorrelationRule>();
    for (const m of queue.splice(0)) {
      if (m.kind === 'claim') applyClaim(book, m.claim, now);
      else if (m.kind === 'changed') {
        if (m.report.closed) closeIncident(book, m.report.incidentId, now);
        else applyClaim(book, m.report, now);
      } else
        for (const d of m.batch.deliveries) {
          applyDelivery(book, d, m.batch.rule, now, changes, incidentIdFor);
          for (const c of changes.values()) if (!rules.has(c)) rules.set(c, m.batch.rule);
        }
    }
    for (const change of changes.values()) dispatch(change, rules.get(change)!);
    if (Object.keys(book.marks).length > MAX_MARKS) pruneBook(book, now);
  }

  if (input.drill) return { incidents: drillOutcomes, counts: book.counts };
  await condition(allHandlersFinished);
  pruneBook(book, Date.now());
  return continueAsNew<CorrelationWorkflow>({ ...input, book, runs });

  // --- how each step is done ------------------------------------------------------------------
  function incidentIdFor(n: number, d: CorrelationDelivery): string {
    if (input.drill) return n === 1 ? input.drill.openAs : `${input.drill.openAs}-${n}`;
    return alertIncidentWorkflowId(d.source, shortHash(`${book.seed}\n${n}\n${d.identity}`));
  }

  /**
   * Changes to one incident go out in order, one at a time: its start, then signals. What the next
   * batches change meanwhile is folded into one pending change, so a storm costs the incident a few
   * signals, not one per batch.
   */
  function dispatch(change: IncidentChange, rule: CorrelationRule) {
    steps += 1;
    const waiting = pending.get(change.n);
    if (waiting) return mergeChange(waiting.change, change);
    pending.set(change.n, { change, rule });
    if (sending.has(change.n)) return;
    sending.add(change.n);
    inFlight += 1;
    void (async () => {
      try {
        for (let next = pending.get(change.n); next; next = pending.get(change.n)) {
          pending.delete(change.n);
          const inc = book.incidents.find((i) => i.n === change.n)!;
          try {
            await (next.change.opener ? open(inc, next.change) : tell(inc, next.change));
          } catch (err) {
            // It could not take them (resolved and finished, or never started): decide them again.
            // What was folded in meanwhile was meant for it too.
            log.warn('incident did not take its alerts; deciding again', { incidentId: inc.id, error: (err as Error).message });
            const later = pending.get(change.n);
            pending.delete(change.n);
            if (later) mergeChange(next.change, later.change);
            bounce(book, inc.id, next.change.deliveries, Date.now());
            queue.unshift({ kind: 'batch', batch: { rule: next.rule, deliveries: [...next.change.deliveries] } });
          }
        }
      } finally {
        sending.delete(change.n);
        inFlight -= 1;
      }
    })();
  }

  async function open(inc: BookIncident, change: IncidentChange) {
    const d = change.opener!;
    const alert = change.sample[0] ?? alertOf(change, d);
    const incidentInput: IncidentInput = input.drill
      ? {
          title: input.drill.title,
          scenario: inc.scenario,
          severity: inc.severity,
          components: [...inc.components],
          impact: input.drill.impact,
          drill: true,
          declaredBy: 'drill',
          alert: { ...alert },
          policy: input.drill.policy,
        }
      : await correlatedIncidentInput({
          routed: { scenario: inc.scenario, severity: inc.severity, components: [...inc.components] },
          alert: { ...alert },
          source: d.source,
          ...(d.technicalDetail ? { technicalDetail: d.technicalDetail } : {}),
        });
    const child = await startChild<IncidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId: inc.id,
      // The incident reports to the router that opened it.
      args: [{ ...incidentInput, correlationId: workflowInfo().workflowId }],
      // The incident outlives this router's run (continue-as-new) and the router itself.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { title: incidentInput.title, scenario: incidentInput.scenario, source: d.source },
      typedSearchAttributes: [
        { key: HeraldKind, value: 'incident' },
        { key: HeraldSeverity, value: incidentInput.severity },
        { key: HeraldStatus, value: 'investigating' },
        { key: HeraldComponents, value: incidentInput.components },
        { key: HeraldDrill, value: incidentInput.drill },
      ],
    });
    inc.told = 'firing';
    inc.sampled = 1;
    const finished = child.result();
    if (input.drill) {
      drillRunning += 1;
      void finished
        .then((final) => void drillOutcomes.push({ id: inc.id, final, error: null }))
        .catch((err: Error) => void drillOutcomes.push({ id: inc.id, final: null, error: err.message }))
        .finally(() => void (drillRunning -= 1));
    } else {
      void finished.then(
        () => void closeIncident(book, inc.id, Date.now()),
        () => void closeIncident(book, inc.id, Date.now()),
      );
    }
    // The rest of what opened it (its other alerts, anything resolved meanwhile) follows.
    if (inc.alerts > 1 || monitoringStateOf(inc) !== 'firing')
      await tell(inc, { ...change, opener: undefined, widen: undefined, sample: change.sample.filter((s) => s !== alert) });
  }

  /**
   * What changed, as one Update: the details of new alerts (only the incident's first
   * ALERT_DETAILS_PER_INCIDENT), its whole alert set's counts, what widens it. Refused: it closed.
   */
  async function tell(inc: BookIncident, change: IncidentChange) {
    const state = monitoringStateOf(inc);
    const joined = change.sample.slice(0, Math.max(0, ALERT_DETAILS_PER_INCIDENT - inc.sampled));
    const news = joined.length > 0 || change.newAlerts > 0 || change.refired > 0 || change.resolved > 0 || !!change.widen;
    if (!news && (state === inc.told || state === 'none')) return;
    const first = change.deliveries.values().next().value;
    const source = first?.source ?? 'monitoring';
    const alerts: AlertsInput = {
      source,
      joined: joined.map((a) => ({ ...a })),
      total: inc.alerts,
      firing: inc.firing,
      ...(change.widen ? { routed: change.widen } : {}),
    };
    // For incidents started before takeAlerts existed: the monitoring signal they understand.
    const fallback: MonitoringInput = {
      state: state === 'resolved' ? 'resolved' : 'firing',
      alert: joined[0] ? { ...joined[0] } : alertOf(change, first),
      ...(change.widen && state !== 'resolved' ? { routed: change.widen } : {}),
    };
    const outcome = await tellIncident({ incidentId: inc.id, alerts, fallback });
    if (outcome === 'closed') throw new Error(`${inc.id} no longer takes alerts`);
    inc.sampled += joined.length;
    inc.told = fallback.state;
  }
}

function alertOf(change: IncidentChange, d: CorrelationDelivery | undefined): AlertInfo {
  const s = change.sample[0] ?? d?.sample[0];
  if (s) return { ...s };
  return { source: d?.source ?? 'monitoring', name: 'alert', ...(d ? { fingerprint: d.identity } : {}) };
}
