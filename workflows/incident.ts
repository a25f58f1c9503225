import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { describeFindings, guardExternalText } from '../core/guard';
import { INCIDENT_STATUSES, type IncidentStatus } from '../core/incidentStatus';
import type { MessageFacts } from '../core/messageContext';
import type { ComponentStatus } from '../core/plan/schema';
import type { IncidentPolicy, PolicyAudience } from '../core/policy';
import type { PageIncident, PageUpdate } from '../core/statuspage/types';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../core/searchAttributes';
import {
  approve,
  changeImpact,
  incidentStateQuery,
  monitoringSignal,
  postUpdate,
  resolveIncident,
  type ChangeImpactInput,
  type IncidentInput,
  type IncidentState,
  type MonitoringInput,
  type PostUpdateInput,
  type PublishedResult,
  type TimelineKind,
} from './contracts/incident';
import { publishToPage, startRounds, type RoundTracker } from './rounds';

// One outage, degradation or regional failover, from the first notice to the resolution. The story:
// announce; then, until resolved, publish what operators post, and when they go quiet past the
// cadence publish the plan's holding update and escalate; tell customers honestly when the ETA
// passes; follow monitoring to `monitoring` and, after a quiet period, resolve or remind; announce
// the resolution on every channel that carried the incident.

const ORDER: Record<IncidentStatus, number> = { investigating: 0, identified: 1, monitoring: 2, resolved: 3, postmortem: 4 };

type Phase = 'initial' | 'update' | 'holding' | 'etaMissed' | 'resolved';

interface Publication {
  seq: number;
  phase: Phase;
  /** The operator's words; null = the plan's approved wording. */
  message: string | null;
  needsApproval: boolean;
  approval: 'not-required' | 'pending' | 'approved' | 'timed-out';
  components: string[];
  excludeComponents?: string[];
  /** Only these audiences (e.g. internal reminders); all of the scenario's when omitted. */
  audiences?: PolicyAudience[];
  /** Whether the status page shows this publication. */
  toPage: boolean;
}

export async function incident(input: IncidentInput, carried?: IncidentState): Promise<IncidentState> {
  const policy = input.policy;
  const now = () => new Date().toISOString();
  const nowMs = () => Date.now();
  const state: IncidentState = carried ?? initialState(input, now());
  if (carried) state.runs += 1;
  const tracker: RoundTracker = { inFlight: 0, deliveries: state.deliveries };
  let pendingPublications: Publication[] = [];
  let gatedChain: Promise<void> = Promise.resolve();
  let pageChain: Promise<void> = Promise.resolve();
  const unsentPageUpdates = new Set<string>();
  let publishing = 0;
  let changed = 0;

  // The first notice is registered before any handler, so an approval arriving with the start finds it.
  if (!carried) {
    upsertSearchAttributes([
      { key: HeraldKind, value: 'incident' },
      { key: HeraldDrill, value: state.drill },
    ]);
    refreshSearchAttributes();
    if (input.alert) {
      state.monitoring = { state: 'firing', since: now(), alerts: [input.alert], statusBefore: null };
    }
    publish({ seq: state.seq, phase: 'initial', message: input.impact, components: state.components });
  } else {
    scheduleNextUpdate();
  }

  // --- messages -------------------------------------------------------------------------------
  setHandler(incidentStateQuery, () => state);

  setHandler(
    postUpdate,
    async (u) => {
      const prev = state.status;
      state.status = u.status;
      if (u.status === 'identified' && !state.identifiedAt) state.identifiedAt = now();
      if (u.status === 'monitoring' && !state.monitoringAt) state.monitoringAt = now();
      if (u.eta !== undefined) state.eta = u.eta;
      const added = u.components ? addComponents(u.components) : [];
      const seq = record('update', u.message, u.by);
      if (prev !== u.status) refreshSearchAttributes();
      publish({ seq, phase: 'update', message: u.message, components: currentComponentsExcept(added) });
      if (added.length > 0) publishInitialFor(added, u.by);
      return result(seq);
    },
    { validator: (u) => validateUpdate(u) },
  );

  setHandler(changeImpact, async (c) => result(applyImpact(c)), {
    validator: (c) => {
      requireOpen();
      if (!c.by?.trim()) throw new Error('by: who is changing the impact is required');
      if (c.severity !== undefined && !policy.severities[c.severity])
        throw new Error(`severity: unknown severity "${c.severity}"`);
      if (c.components) validateComponents(c.components);
      if (c.componentStatuses) validateComponents(Object.keys(c.componentStatuses));
      if (c.impact !== undefined) guardOrThrow('impact', c.impact);
      if (c.severity === undefined && !c.components && !c.componentStatuses && c.impact === undefined)
        throw new Error('nothing to change: give severity, components, componentStatuses or impact');
    },
  });

  setHandler(
    approve,
    (a) => {
      const approved: number[] = [];
      for (const p of pendingPublications) {
        if (p.approval === 'pending' && (a.seq === undefined || a.seq === p.seq)) {
          p.approval = 'approved';
          approved.push(p.seq);
          const rec = state.approvals.find((r) => r.seq === p.seq);
          if (rec) Object.assign(rec, { decision: 'approved', decidedAt: now(), by: a.by });
        }
      }
      record('approval', null, a.by);
      return { approved };
    },
    {
      validator: (a) => {
        if (!a.by?.trim()) throw new Error('by: who approves is required');
        const pending = pendingPublications.filter((p) => p.approval === 'pending');
        if (pending.length === 0) throw new Error('nothing is waiting for approval');
        if (a.seq !== undefined && !pending.some((p) => p.seq === a.seq))
          throw new Error(
            `seq: publication ${a.seq} is not waiting for approval (pending: ${pending.map((p) => p.seq).join(', ')})`,
          );
      },
    },
  );

  setHandler(
    resolveIncident,
    async (r) => {
      resolve(r.message, r.by);
      return result(state.seq);
    },
    {
      validator: (r) => {
        requireOpen();
        if (!r.by?.trim()) throw new Error('by: who resolves is required');
        if (!r.message?.trim()) throw new Error('message: a resolution message is required');
        guardOrThrow('message', r.message);
      },
    },
  );

  setHandler(monitoringSignal, (m) => {
    if (state.status === 'resolved' || state.status === 'postmortem') return;
    state.monitoring.alerts = [
      ...state.monitoring.alerts.filter((a) => a.fingerprint !== m.alert.fingerprint || !m.alert.fingerprint),
      m.alert,
    ].slice(-20);
    if (m.state === 'firing' && m.routed) widenFromMonitoring(m.routed, `monitoring:${m.alert.source}`);
    if (m.state === state.monitoring.state) return;
    state.monitoring.state = m.state;
    state.monitoring.since = now();
    changed += 1;
    if (m.state === 'resolved' && ORDER[state.status] < ORDER.monitoring) {
      state.monitoring.statusBefore = state.status;
      state.status = 'monitoring';
      state.monitoringAt = now();
      const seq = record('monitoring', null, `monitoring:${m.alert.source}`);
      refreshSearchAttributes();
      publish({ seq, phase: 'update', message: null, components: state.components });
    } else if (m.state === 'firing' && state.status === 'monitoring' && state.monitoring.statusBefore) {
      // Re-fired while we watched: back to where we were, and say so.
      state.status = state.monitoring.statusBefore;
      state.monitoring.statusBefore = null;
      const seq = record('monitoring', null, `monitoring:${m.alert.source}`);
      refreshSearchAttributes();
      publish({ seq, phase: 'update', message: null, components: state.components });
    }
  });

  // --- the story ------------------------------------------------------------------------------
  while (!isClosed()) {
    if (shouldContinueAsNew()) break;
    const seen = changed;
    const waits: number[] = [];
    if (state.nextUpdateDue) waits.push(Date.parse(state.nextUpdateDue) - nowMs());
    if (state.eta) waits.push(Date.parse(state.eta) - nowMs());
    const quietDue = monitoringQuietDue();
    if (quietDue !== null) waits.push(quietDue - nowMs());
    const timeout = waits.length > 0 ? Math.max(1, Math.min(...waits)) : undefined;
    const woke =
      timeout === undefined
        ? (await condition(() => changed !== seen || isClosed() || shouldContinueAsNew()), true)
        : await condition(() => changed !== seen || isClosed(), timeout);
    if (woke || isClosed()) continue;
    onTimersDue();
  }

  if (!isClosed()) {
    // Continue-as-new at a quiet point: no publication or round of this run still running.
    await condition(() => publishing === 0 && tracker.inFlight === 0 && allHandlersFinished());
    await continueAsNew<typeof incident>(input, state);
  }
  await condition(() => publishing === 0 && tracker.inFlight === 0 && allHandlersFinished());
  refreshSearchAttributes();
  return state;

  // --- how each step is done ------------------------------------------------------------------
  function onTimersDue() {
    const t = nowMs();
    if (state.eta && Date.parse(state.eta) <= t) {
      const missed = state.eta;
      state.eta = null;
      const seq = record('eta-missed', null, 'herald', missed);
      publish({ seq, phase: 'etaMissed', message: null, components: state.components });
      return;
    }
    const quietDue = monitoringQuietDue();
    if (quietDue !== null && quietDue <= t) {
      state.monitoring.since = null; // handled: one resolve or one reminder per quiet period
      if (policy.autoResolve) {
        resolve(null, 'herald:auto-resolve');
      } else {
        const seq = record('reminder', null, 'herald');
        const internal = policy.audiences.filter((a) => a.kind === 'internal');
        publish({
          seq,
          phase: 'update',
          message: `Monitoring has been quiet for ${Math.round((policy.quietPeriodMs * policy.timeScale) / 60000)} minutes. Resolve the incident or post an update.`,
          components: state.components,
          audiences: internal,
          toPage: false,
        });
      }
      return;
    }
    if (state.nextUpdateDue && Date.parse(state.nextUpdateDue) <= t) {
      if (policy.faults?.noHoldingUpdates) {
        state.nextUpdateDue = null; // a drill's injected fault: Herald stays silent, and the drill must notice
        return;
      }
      const seq = record('holding', null, 'herald');
      state.escalations.push({
        at: now(),
        reason: 'update cadence missed',
        to: [state.owner ?? 'incident owner', ...policy.audiences.filter((a) => a.kind === 'internal').map((a) => a.standsFor)],
      });
      record('escalation', null, 'herald');
      publish({ seq, phase: 'holding', message: null, components: state.components });
    }
  }

  function resolve(message: string | null, by: string) {
    state.status = 'resolved';
    state.resolvedAt = now();
    state.nextUpdateDue = null;
    const seq = record('resolved', message, by);
    deriveComponentStatuses();
    refreshSearchAttributes();
    // Resolution goes to every audience that heard about any component of this incident.
    publish({ seq, phase: 'resolved', message, components: state.components });
  }

  function publish(p: Omit<Publication, 'needsApproval' | 'approval' | 'toPage'> & { toPage?: boolean }) {
    const audiences = p.audiences ?? policy.audiences;
    const needsApproval = p.message !== null && audiences.some((a) => a.requiresApproval && a.kind === 'external');
    const pub: Publication = {
      ...p,
      audiences,
      toPage: p.toPage ?? true,
      needsApproval,
      approval: needsApproval ? 'pending' : 'not-required',
    };
    if (pub.toPage) {
      // Only what customers see restarts the cadence clock; an internal reminder does not.
      state.lastPublishedAt = now();
      scheduleNextUpdate();
    }
    changed += 1;
    publishing += 1;
    if (needsApproval) {
      pendingPublications.push(pub);
      state.approvals.push({
        seq: pub.seq,
        phase: pub.phase,
        requestedAt: now(),
        decidedAt: null,
        decision: 'pending',
        by: null,
      });
    }
    // The facts as they are now: a publication released later (after approval) still says what was
    // true when it was written, with the next-update time promised then.
    const factsNow = { withMessage: factsFor(pub.message), plan: factsFor(null) };
    const facts = (withMessage: boolean): MessageFacts => (withMessage ? factsNow.withMessage : factsNow.plan);
    const spec = (withMessage: boolean) => ({
      ownerId: state.id,
      seq: pub.seq,
      phase: pub.phase,
      templateId: policy.templates[pub.phase],
      facts: facts(withMessage),
      components: pub.components,
      excludeComponents: pub.excludeComponents,
      drill: state.drill,
      statusUrl: policy.statusUrl,
    });
    const gated = audiences.filter((a) => a.requiresApproval && a.kind === 'external' && needsApproval);
    const ungated = audiences.filter((a) => !gated.includes(a));
    void (async () => {
      try {
        // Internal and ungated audiences hear at once, and so does the page, in the plan's wording
        // until the operator's words are approved; gated audiences wait for the approval (or its timeout).
        const previous = gatedChain;
        let release!: () => void;
        gatedChain = new Promise<void>((r) => (release = r));
        const ungatedStarted = startRounds(tracker, spec(true), ungated);
        await previous;
        try {
          const pageUpdate = pub.toPage ? addPageUpdate(pub, !pub.needsApproval) : undefined;
          await Promise.all([pub.toPage ? sendPage() : undefined, ungatedStarted]);
          if (pub.needsApproval) {
            const approved = await condition(() => pub.approval === 'approved', policy.approvalTimeoutMs);
            if (!approved) {
              pub.approval = 'timed-out';
              const rec = state.approvals.find((r) => r.seq === pub.seq);
              if (rec) Object.assign(rec, { decision: 'timed-out', decidedAt: now(), by: 'herald:approval-timeout' });
            }
            pendingPublications = pendingPublications.filter((x) => x !== pub);
            if (approved && pageUpdate && pub.message) {
              pageUpdate.body = pub.message; // the approved words replace the plan's wording in place
              delete pageUpdate.bodies;
              unsentPageUpdates.add(pageUpdate.id);
              await sendPage();
            }
          }
          const withMessage = pub.approval !== 'timed-out';
          await startRounds(tracker, spec(withMessage), gated);
        } finally {
          release();
        }
      } finally {
        publishing -= 1;
        changed += 1;
      }
    })();
  }

  /** An impact change (operator or monitoring): a new severity moves the cadence clock's due time. */
  function applyImpact(c: ChangeImpactInput): number {
    if (c.severity && c.severity !== state.severity) {
      state.severity = c.severity;
      scheduleNextUpdate();
    }
    if (c.impact) state.impact = c.impact;
    if (c.componentStatuses) Object.assign(state.componentStatusOverrides, c.componentStatuses);
    const added = c.components ? addComponents(c.components) : [];
    deriveComponentStatuses();
    const seq = record('impact', null, c.by);
    refreshSearchAttributes();
    void sendPage();
    if (added.length > 0) publishInitialFor(added, c.by);
    return seq;
  }

  /** A firing alert group that grew: the components it adds and a more severe severity (the plan lists severities most severe first). */
  function widenFromMonitoring(routed: NonNullable<MonitoringInput['routed']>, by: string) {
    const ranks = Object.keys(policy.severities);
    const components = routed.components.filter((c) => policy.componentIds.includes(c) && !state.components.includes(c));
    const raised =
      ranks.includes(routed.severity) && ranks.indexOf(routed.severity) < ranks.indexOf(state.severity)
        ? routed.severity
        : undefined;
    if (components.length === 0 && !raised) return;
    applyImpact({ ...(components.length > 0 ? { components } : {}), ...(raised ? { severity: raised } : {}), by });
  }

  /** Subscribers of newly affected components get the initial notice, not just the next update. */
  function publishInitialFor(added: string[], by: string) {
    const seq = record('update', null, by);
    publish({
      seq,
      phase: 'initial',
      message: null,
      components: added,
      excludeComponents: state.components.filter((c) => !added.includes(c)),
    });
  }

  function addPageUpdate(pub: Publication, withMessage: boolean): PageUpdate {
    const previous = state.pageComponentStatuses;
    const current: Record<string, ComponentStatus> =
      state.status === 'resolved'
        ? Object.fromEntries(state.components.map((c) => [c, 'operational' as const]))
        : state.componentStatuses;
    const affected = state.components
      .filter((c) => (previous[c] ?? 'operational') !== current[c])
      .map((c) => ({ id: c, oldStatus: previous[c] ?? 'operational', newStatus: current[c] ?? 'operational' }));
    state.pageComponentStatuses = { ...current };
    const wording = pageWording(pub.phase);
    const update: PageUpdate = {
      id: `${state.id}-${pub.seq}`,
      status: state.status,
      ...(withMessage && pub.message ? { body: pub.message } : { body: wording.en, bodies: wording }),
      createdAt: now(),
      affectedComponents: affected.length > 0 ? affected : null,
    };
    state.pageUpdates.push(update);
    unsentPageUpdates.add(update.id);
    return update;
  }

  /** The plan's own page wording, in English and Traditional Chinese, for updates without operator words. */
  function pageWording(phase: Phase): { en: string; 'zh-TW': string } {
    const by = state.nextUpdateDue ? `${state.nextUpdateDue.slice(11, 16)} UTC` : null;
    const next = { en: by ? ` We will post another update by ${by}.` : '', zh: by ? `我們將於 ${by} 前發布下一次更新。` : '' };
    switch (phase) {
      case 'holding':
        return { en: `We are still working on this issue.${next.en}`, 'zh-TW': `我們仍在處理此問題。${next.zh}` };
      case 'etaMissed':
        return {
          en: `This is taking longer than we estimated. We are still working on it.${next.en}`,
          'zh-TW': `修復所需時間比預估更長，我們仍在處理中。${next.zh}`,
        };
      case 'resolved':
        return { en: 'This incident has been resolved.', 'zh-TW': '此事件已解決。' };
      case 'update':
        return state.status === 'monitoring'
          ? {
              en: `A fix has been applied and we are monitoring the results.${next.en}`,
              'zh-TW': `修正已套用，我們正在觀察結果。${next.zh}`,
            }
          : { en: `We are continuing to work on this issue.${next.en}`, 'zh-TW': `我們正持續處理此問題。${next.zh}` };
      default:
        return {
          en: `We are investigating an issue affecting this service.${next.en}`,
          'zh-TW': `我們正在調查影響此服務的問題。${next.zh}`,
        };
    }
  }

  /** Page changes go out one at a time, each with the record as it is when its turn comes. */
  function sendPage(): Promise<void> {
    pageChain = pageChain.then(() => {
      // Only the updates the page has not seen (new, or changed in place): the page merges them by id.
      const record = pageRecord();
      record.updates = state.pageUpdates.filter((u) => unsentPageUpdates.has(u.id));
      unsentPageUpdates.clear();
      return publishToPage(state.drill, { kind: 'incident', incident: record }, policy.pageId);
    });
    return pageChain;
  }

  function pageRecord(): PageIncident {
    return {
      id: state.id,
      name: state.title,
      status: state.status,
      impact: policy.severities[state.severity]?.impact ?? 'major',
      createdAt: state.startedAt,
      updatedAt: now(),
      startedAt: state.startedAt,
      monitoringAt: state.monitoringAt,
      resolvedAt: state.resolvedAt,
      components: state.components,
      updates: state.pageUpdates,
      eta: state.eta,
      nextUpdateAt: state.nextUpdateDue,
      componentStatuses: state.status === 'resolved' ? {} : state.componentStatuses,
      drill: state.drill,
    };
  }

  function factsFor(message: string | null): MessageFacts {
    return {
      kind: 'incident',
      id: state.id,
      title: state.title,
      scenario: state.scenario,
      status: state.status,
      severity: state.severity,
      impact: state.impact,
      ...(message ? { message } : {}),
      components: state.components,
      componentStatuses: state.componentStatuses,
      startedAt: state.startedAt,
      eta: state.eta,
      nextUpdateAt: state.nextUpdateDue,
      owner: state.owner,
      technicalDetail: state.technicalDetail,
    };
  }

  function record(kind: TimelineKind, message: string | null, by: string, eta?: string | null): number {
    state.seq += 1;
    state.timeline.push({
      seq: state.seq,
      at: now(),
      kind,
      status: state.status,
      message,
      by,
      ...(eta !== undefined ? { eta } : state.eta ? { eta: state.eta } : {}),
    });
    changed += 1;
    return state.seq;
  }

  function scheduleNextUpdate() {
    if (isClosed()) {
      state.nextUpdateDue = null;
      return;
    }
    const cadence = policy.severities[state.severity]?.cadenceMs;
    state.nextUpdateDue = cadence ? new Date(Date.parse(state.lastPublishedAt) + cadence).toISOString() : null;
  }

  function monitoringQuietDue(): number | null {
    if (state.status !== 'monitoring' || state.monitoring.state !== 'resolved' || !state.monitoring.since) return null;
    return Date.parse(state.monitoring.since) + policy.quietPeriodMs;
  }

  function addComponents(components: string[]): string[] {
    const added = components.filter((c) => !state.components.includes(c));
    state.components = [...state.components, ...added];
    deriveComponentStatuses();
    if (added.length > 0) refreshSearchAttributes();
    return added;
  }

  function currentComponentsExcept(added: string[]): string[] {
    return state.components.filter((c) => !added.includes(c));
  }

  function deriveComponentStatuses() {
    const derived = policy.severities[state.severity]?.componentStatus ?? 'major_outage';
    state.componentStatuses = Object.fromEntries(state.components.map((c) => [c, state.componentStatusOverrides[c] ?? derived]));
  }

  function refreshSearchAttributes() {
    upsertSearchAttributes([
      { key: HeraldSeverity, value: state.severity },
      { key: HeraldStatus, value: state.status },
      { key: HeraldComponents, value: state.components },
    ]);
  }

  function result(seq: number): PublishedResult {
    return {
      seq,
      status: state.status,
      nextUpdateDue: state.nextUpdateDue,
      approval: pendingPublications.some((p) => p.seq === seq) ? 'pending' : 'not-required',
    };
  }

  function isClosed() {
    return state.status === 'resolved' || state.status === 'postmortem';
  }

  function shouldContinueAsNew() {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= policy.continueAsNewAfterEvents;
  }

  function requireOpen() {
    if (isClosed()) throw new Error(`the incident is already ${state.status}`);
  }

  function validateComponents(components: string[]) {
    const unknown = components.filter((c) => !policy.componentIds.includes(c));
    if (unknown.length > 0)
      throw new Error(`components: unknown component${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')}`);
  }

  function guardOrThrow(field: string, text: string) {
    const findings = guardExternalText(text, policy.guard);
    if (findings.length > 0) throw new Error(`${field}: customers would see internal detail: ${describeFindings(findings)}`);
  }

  function validateUpdate(u: PostUpdateInput) {
    requireOpen();
    if (!u.by?.trim()) throw new Error('by: who posts the update is required');
    if (!INCIDENT_STATUSES.includes(u.status)) throw new Error(`status: must be one of ${INCIDENT_STATUSES.join(', ')}`);
    if (u.status === 'resolved' || u.status === 'postmortem') throw new Error('status: use resolve to resolve the incident');
    if (ORDER[u.status] < ORDER[state.status]) throw new Error(`status: cannot go back from ${state.status} to ${u.status}`);
    if (!u.message?.trim()) throw new Error('message: an update needs words for customers');
    if (u.message.length > 4000) throw new Error('message: at most 4000 characters');
    guardOrThrow('message', u.message);
    if (u.eta !== undefined && u.eta !== null) {
      const eta = Date.parse(u.eta);
      if (Number.isNaN(eta)) throw new Error('eta: not a date-time');
      if (eta <= nowMs()) throw new Error('eta: the ETA is in the past');
    }
    if (u.components) validateComponents(u.components);
  }
}

function initialState(input: IncidentInput, at: string): IncidentState {
  const derived = input.policy.severities[input.severity]?.componentStatus ?? 'major_outage';
  const overrides = input.componentStatuses ?? {};
  return {
    id: workflowInfo().workflowId,
    title: input.title,
    scenario: input.scenario,
    severity: input.severity,
    status: 'investigating',
    components: [...input.components],
    componentStatuses: Object.fromEntries(input.components.map((c) => [c, overrides[c] ?? derived])),
    componentStatusOverrides: { ...overrides },
    impact: input.impact,
    eta: input.eta ?? null,
    owner: input.owner ?? null,
    technicalDetail: input.technicalDetail ?? null,
    drill: input.drill,
    startedAt: at,
    identifiedAt: null,
    monitoringAt: null,
    resolvedAt: null,
    lastPublishedAt: at,
    nextUpdateDue: null,
    monitoring: { state: 'none', since: null, alerts: [], statusBefore: null },
    timeline: [
      {
        seq: 1,
        at,
        kind: 'declared',
        status: 'investigating',
        message: input.impact,
        by: input.declaredBy,
        ...(input.eta ? { eta: input.eta } : {}),
      },
    ],
    approvals: [],
    escalations: [],
    deliveries: [],
    pageUpdates: [],
    pageComponentStatuses: {},
    seq: 1,
    runs: 1,
  };
}
