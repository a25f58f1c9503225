import type { IncidentStatus } from '../../core/incidentStatus';
import type { LocalizedText } from '../../core/localizedText';
import type { MessageFacts } from '../../core/messageContext';
import { monitoringQuietNote } from '../../core/messageWords';
import type { ComponentStatus } from '../../core/plan/schema';
import type { IncidentPolicy, PolicyAudience } from '../../core/policy';
import { ALERT_DETAILS_PER_INCIDENT } from '../../core/correlationBook';
import type {
  AlertInfo,
  AlertsInput,
  ChangeImpactInput,
  IncidentInput,
  IncidentState,
  MonitoringInput,
  PostUpdateInput,
  PublishedResult,
  TimelineKind,
} from '../contracts/incident';
import type { IncidentPagePhase } from '../pageWording';

// The incident's state and every transition it goes through, as a class over the state object: what
// an operator's update, an impact change, a monitoring signal or a due timer does to it. Pure: no
// Temporal API, the clock is passed in, and what must happen outside the state (publish, send the
// page, refresh the search attributes) goes through IncidentEffects, called in the order the
// workflow's commands must keep. Unit-tested without a server (test/unit/incidentState.test.ts).

export const STATUS_ORDER: Record<IncidentStatus, number> = {
  investigating: 0,
  identified: 1,
  monitoring: 2,
  resolved: 3,
  postmortem: 4,
};

/** One thing to tell: the rounds to its audiences and, unless `toPage` is false, the status page. */
export interface PublicationRequest {
  seq: number;
  phase: IncidentPagePhase;
  /** The operator's words; null = the plan's approved wording. */
  message: LocalizedText | null;
  components: string[];
  excludeComponents?: string[];
  /** Only these audiences (e.g. internal reminders); all of the scenario's when omitted. */
  audiences?: PolicyAudience[];
  /** Whether the status page shows this publication (default true). */
  toPage?: boolean;
  /** Components this update newly affects: its messages and page entry name them. */
  newlyAffected?: string[];
}

export interface IncidentFeatures {
  /** A widening posts an update naming the newly affected functions to everyone told before (runs from WIDENING_TELLS on). */
  wideningTells: boolean;
}

export interface IncidentEffects {
  /** Starts the publication of what was just recorded (incident/publication.ts). */
  publish(p: PublicationRequest): void;
  /** Sends the page the incident as it is now, without a new update. */
  sendPage(): void;
  /** Severity, status and components changed: the search attributes follow. */
  refreshSearchAttributes(): void;
  /** Components or severity changed, or the incident closed: the alert router that routes alerts to it is told. */
  correlationChanged?(): void;
}

export function initialIncidentState(input: IncidentInput, id: string, at: string): IncidentState {
  const derived = input.policy.severities[input.severity]?.componentStatus ?? 'major_outage';
  const overrides = input.componentStatuses ?? {};
  return {
    id,
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
        message: input.message ?? input.impact,
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

export class IncidentStateMachine {
  /** Bumped on every change the main loop must look at again. */
  changes = 0;

  constructor(
    readonly state: IncidentState,
    readonly policy: IncidentPolicy,
    private readonly clock: () => number,
    private readonly effects: IncidentEffects,
    private readonly features: IncidentFeatures = { wideningTells: false },
  ) {}

  now(): string {
    return new Date(this.clock()).toISOString();
  }

  isClosed(): boolean {
    return this.state.status === 'resolved' || this.state.status === 'postmortem';
  }

  /** The first notice: monitoring that opened the incident is firing, and the impact is announced. */
  declare(input: IncidentInput): void {
    const state = this.state;
    if (input.alert) state.monitoring = { state: 'firing', since: this.now(), alerts: [input.alert], statusBefore: null };
    this.publish({ seq: state.seq, phase: 'initial', message: input.message ?? input.impact, components: state.components });
    if (input.alert && input.correlationId) {
      // Opened by the alert router: the opening alert is the first of its alert set.
      Object.assign(state.monitoring, { total: 1, firing: 1 });
      this.recordAlert(input.alert, `monitoring:${input.alert.source}`);
    }
  }

  /** An operator's update: new status, ETA and components, published in their words. */
  postUpdate(u: PostUpdateInput): number {
    const state = this.state;
    const prev = state.status;
    state.status = u.status;
    // Taken back by an operator (from monitoring): monitoring no longer decides where it returns to.
    if (STATUS_ORDER[u.status] < STATUS_ORDER[prev]) state.monitoring.statusBefore = null;
    if (u.status === 'identified' && !state.identifiedAt) state.identifiedAt = this.now();
    if (u.status === 'monitoring' && !state.monitoringAt) state.monitoringAt = this.now();
    if (u.eta !== undefined) state.eta = u.eta;
    const added = u.components ? this.addComponents(u.components) : [];
    const seq = this.record('update', u.message, u.by);
    if (prev !== u.status) this.effects.refreshSearchAttributes();
    this.publish({
      seq,
      phase: 'update',
      message: u.message,
      components: this.componentsExcept(added),
      ...(added.length > 0 && this.features.wideningTells ? { newlyAffected: added } : {}),
    });
    if (added.length > 0) this.publishInitialFor(added, u.by);
    return seq;
  }

  /** An impact change (operator or monitoring): a new severity moves the cadence clock's due time. */
  changeImpact(c: ChangeImpactInput): number {
    const state = this.state;
    if (c.severity && c.severity !== state.severity) {
      state.severity = c.severity;
      this.scheduleNextUpdate();
      this.effects.correlationChanged?.();
    }
    if (c.impact) state.impact = c.impact;
    if (c.componentStatuses) Object.assign(state.componentStatusOverrides, c.componentStatuses);
    const added = c.components ? this.addComponents(c.components) : [];
    this.deriveComponentStatuses();
    const seq = this.record('impact', null, c.by);
    this.effects.refreshSearchAttributes();
    if (added.length > 0 && this.features.wideningTells) {
      // Everyone told before hears what is newly affected, and the page entry names it.
      this.publish({ seq, phase: 'update', message: null, components: this.componentsExcept(added), newlyAffected: added });
    } else this.effects.sendPage();
    if (added.length > 0) this.publishInitialFor(added, c.by);
    return seq;
  }

  resolve(message: LocalizedText | null, by: string, reviewUrl?: string): number {
    const state = this.state;
    state.status = 'resolved';
    state.resolvedAt = this.now();
    state.nextUpdateDue = null;
    if (reviewUrl) state.reviewUrl = reviewUrl;
    const seq = this.record('resolved', message, by);
    this.deriveComponentStatuses();
    this.effects.refreshSearchAttributes();
    this.effects.correlationChanged?.();
    // Resolution goes to every audience that heard about any component of this incident.
    this.publish({ seq, phase: 'resolved', message, components: state.components });
    return seq;
  }

  /** Monitoring's view: a resolved alert moves the incident to `monitoring`, a re-fire moves it back. */
  onMonitoring(m: MonitoringInput): void {
    const state = this.state;
    if (this.isClosed()) return;
    state.monitoring.alerts = [
      ...state.monitoring.alerts.filter((a) => a.fingerprint !== m.alert.fingerprint || !m.alert.fingerprint),
      m.alert,
    ].slice(-20);
    if (m.state === 'firing' && m.routed) this.widenFromMonitoring(m.routed, `monitoring:${m.alert.source}`);
    if (m.state === state.monitoring.state) return;
    state.monitoring.state = m.state;
    state.monitoring.since = this.now();
    this.changes += 1;
    if (m.state === 'resolved' && STATUS_ORDER[state.status] < STATUS_ORDER.monitoring) {
      state.monitoring.statusBefore = state.status;
      state.status = 'monitoring';
      state.monitoringAt = this.now();
      const seq = this.record('monitoring', null, `monitoring:${m.alert.source}`);
      this.effects.refreshSearchAttributes();
      this.publish({ seq, phase: 'update', message: null, components: state.components });
    } else if (m.state === 'firing' && state.status === 'monitoring' && state.monitoring.statusBefore) {
      // Re-fired while we watched: back to where we were, and say so.
      state.status = state.monitoring.statusBefore;
      state.monitoring.statusBefore = null;
      const seq = this.record('monitoring', null, `monitoring:${m.alert.source}`);
      this.effects.refreshSearchAttributes();
      this.publish({ seq, phase: 'update', message: null, components: state.components });
    }
  }

  /**
   * The alert router's news: the first alerts go on the internal timeline, the counts are kept, and
   * the incident follows its whole alert set: `monitoring` once every alert has resolved, back where it
   * was when one fires again. Customers hear the first move to `monitoring`; a flap back and forth is
   * recorded for staff and shown on the page, and told to nobody.
   */
  onAlerts(a: AlertsInput): void {
    const state = this.state;
    const m = state.monitoring;
    const by = `monitoring:${a.source}`;
    // The internal timeline stays bounded whatever the router sends: the first alerts, then counts.
    for (const alert of a.joined) {
      const known = m.alerts.some((k) => !!k.fingerprint && k.fingerprint === alert.fingerprint);
      if (known || m.alerts.length >= ALERT_DETAILS_PER_INCIDENT) continue;
      m.alerts.push(alert);
      this.recordAlert(alert, by);
    }
    m.total = a.total;
    m.firing = a.firing;
    if (a.firing > 0 && a.routed) this.widenFromMonitoring(a.routed, by);
    const next = a.total === 0 ? m.state : a.firing > 0 ? 'firing' : 'resolved';
    if (next === m.state) return;
    m.state = next;
    m.since = this.now();
    this.changes += 1;
    if (next === 'resolved' && STATUS_ORDER[state.status] < STATUS_ORDER.monitoring) {
      m.statusBefore = state.status;
      state.status = 'monitoring';
      state.monitoringAt ??= this.now();
      const seq = this.record('monitoring', null, by);
      this.effects.refreshSearchAttributes();
      if (m.announced) this.effects.sendPage();
      else {
        m.announced = true;
        this.publish({ seq, phase: 'update', message: null, components: state.components });
      }
    } else if (next === 'firing' && state.status === 'monitoring' && m.statusBefore) {
      state.status = m.statusBefore;
      m.statusBefore = null;
      this.record('monitoring', null, by);
      this.effects.refreshSearchAttributes();
      this.effects.sendPage();
    }
  }

  /** How long until the next timer is due (cadence, ETA, quiet monitoring); undefined when none is set. */
  msToNextTimer(): number | undefined {
    const at = this.nextTimerAt();
    return at === undefined ? undefined : Math.max(1, at - this.clock());
  }

  /** When the next timer is due (ms since the epoch); undefined when none is set. */
  nextTimerAt(): number | undefined {
    const dues: number[] = [];
    if (this.state.nextUpdateDue) dues.push(Date.parse(this.state.nextUpdateDue));
    if (this.state.eta) dues.push(Date.parse(this.state.eta));
    const quietDue = this.monitoringQuietDue();
    if (quietDue !== null) dues.push(quietDue);
    return dues.length > 0 ? Math.min(...dues) : undefined;
  }

  /** A timer fired: the missed ETA is admitted, quiet monitoring resolves or reminds, a missed cadence gets the holding update. */
  onTimersDue(): void {
    const state = this.state;
    const policy = this.policy;
    const t = this.clock();
    if (state.eta && Date.parse(state.eta) <= t) {
      const missed = state.eta;
      state.eta = null;
      const seq = this.record('eta-missed', null, 'herald', missed);
      this.publish({ seq, phase: 'etaMissed', message: null, components: state.components });
      return;
    }
    const quietDue = this.monitoringQuietDue();
    if (quietDue !== null && quietDue <= t) {
      state.monitoring.since = null; // handled: one resolve or one reminder per quiet period
      if (policy.autoResolve) {
        this.resolve(null, 'herald:auto-resolve');
      } else {
        const seq = this.record('reminder', null, 'herald');
        this.publish({
          seq,
          phase: 'update',
          message: monitoringQuietNote(policy.quietPeriodMs * policy.timeScale),
          components: state.components,
          audiences: policy.audiences.filter((a) => a.kind === 'internal'),
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
      const seq = this.record('holding', null, 'herald');
      state.escalations.push({
        at: this.now(),
        reason: 'update cadence missed',
        to: [state.owner ?? 'incident owner', ...policy.audiences.filter((a) => a.kind === 'internal').map((a) => a.standsFor)],
      });
      this.record('escalation', null, 'herald');
      this.publish({ seq, phase: 'holding', message: null, components: state.components });
    }
  }

  /** An approval was decided (approved, or timed out and the plan's wording went out). */
  decideApproval(seq: number, decision: 'approved' | 'timed-out', by: string): void {
    const rec = this.state.approvals.find((r) => r.seq === seq);
    if (rec) Object.assign(rec, { decision, decidedAt: this.now(), by });
  }

  /** Appends to the timeline; returns the new entry's seq. */
  record(kind: TimelineKind, message: LocalizedText | null, by: string, eta?: string | null): number {
    const state = this.state;
    state.seq += 1;
    state.timeline.push({
      seq: state.seq,
      at: this.now(),
      kind,
      status: state.status,
      message,
      by,
      ...(eta !== undefined ? { eta } : state.eta ? { eta: state.eta } : {}),
    });
    this.changes += 1;
    return state.seq;
  }

  /** The next update is due one cadence after what customers last saw; none once closed. */
  scheduleNextUpdate(): void {
    const state = this.state;
    if (this.isClosed()) {
      state.nextUpdateDue = null;
      return;
    }
    const cadence = this.policy.severities[state.severity]?.cadenceMs;
    state.nextUpdateDue = cadence ? new Date(Date.parse(state.lastPublishedAt) + cadence).toISOString() : null;
  }

  result(seq: number, pending: boolean): PublishedResult {
    return {
      seq,
      status: this.state.status,
      nextUpdateDue: this.state.nextUpdateDue,
      approval: pending ? 'pending' : 'not-required',
    };
  }

  /** The facts a message round is rendered from, as they are now. */
  factsFor(message: LocalizedText | null): MessageFacts {
    const state = this.state;
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
      ...(state.resolvedAt ? { resolvedAt: state.resolvedAt } : {}),
      ...(state.reviewUrl ? { reviewUrl: state.reviewUrl } : {}),
      eta: state.eta,
      nextUpdateAt: state.nextUpdateDue,
      owner: state.owner,
      technicalDetail: withAlertCounts(state.technicalDetail, state.monitoring),
    };
  }

  private publish(p: PublicationRequest): void {
    if (p.toPage ?? true) {
      // Only what customers see restarts the cadence clock; an internal reminder does not.
      this.state.lastPublishedAt = this.now();
      this.scheduleNextUpdate();
    }
    this.changes += 1;
    this.effects.publish(p);
  }

  /** A firing alert group that grew: the components it adds and a more severe severity (the plan lists severities most severe first). */
  private widenFromMonitoring(routed: NonNullable<MonitoringInput['routed']>, by: string): void {
    const state = this.state;
    const ranks = Object.keys(this.policy.severities);
    const components = routed.components.filter((c) => this.policy.componentIds.includes(c) && !state.components.includes(c));
    const raised =
      ranks.includes(routed.severity) && ranks.indexOf(routed.severity) < ranks.indexOf(state.severity)
        ? routed.severity
        : undefined;
    if (components.length === 0 && !raised) return;
    this.changeImpact({ ...(components.length > 0 ? { components } : {}), ...(raised ? { severity: raised } : {}), by });
  }

  /** Subscribers of newly affected components get the initial notice, not just the next update. */
  private publishInitialFor(added: string[], by: string): void {
    const seq = this.record('update', null, by);
    this.publish({
      seq,
      phase: 'initial',
      message: null,
      components: added,
      excludeComponents: this.state.components.filter((c) => !added.includes(c)),
      // The update before it names the newly affected functions on the page.
      ...(this.features.wideningTells ? { toPage: false } : {}),
    });
  }

  private monitoringQuietDue(): number | null {
    const state = this.state;
    if (state.status !== 'monitoring' || state.monitoring.state !== 'resolved' || !state.monitoring.since) return null;
    return Date.parse(state.monitoring.since) + this.policy.quietPeriodMs;
  }

  private addComponents(components: string[]): string[] {
    const state = this.state;
    const added = components.filter((c) => !state.components.includes(c));
    state.components = [...state.components, ...added];
    this.deriveComponentStatuses();
    if (added.length > 0) this.effects.refreshSearchAttributes();
    if (added.length > 0) this.effects.correlationChanged?.();
    return added;
  }

  /** An internal timeline entry for a joined alert (the router sends only the first few). */
  private recordAlert(alert: AlertInfo, by: string): void {
    const state = this.state;
    state.seq += 1;
    const detail = [alert.name, alert.summary].filter(Boolean).join(': ').slice(0, 300);
    state.timeline.push({ seq: state.seq, at: this.now(), kind: 'alert', status: state.status, message: null, by, detail });
  }

  private componentsExcept(added: string[]): string[] {
    return this.state.components.filter((c) => !added.includes(c));
  }

  private deriveComponentStatuses(): void {
    const state = this.state;
    const derived = this.policy.severities[state.severity]?.componentStatus ?? 'major_outage';
    state.componentStatuses = Object.fromEntries(
      state.components.map((c): [string, ComponentStatus] => [c, state.componentStatusOverrides[c] ?? derived]),
    );
  }
}

/** Staff read the alert set with the technical detail: how many alerts, how many still fire, the first names. */
function withAlertCounts(detail: string | null, m: IncidentState['monitoring']): string | null {
  if (!m.total) return detail;
  const names = [...new Set(m.alerts.map((a) => a.name))].slice(0, 5).join(', ');
  const line = `Alerts: ${m.total} (${m.firing ?? 0} firing)${names ? `; first: ${names}` : ''}.`;
  return detail ? `${detail}\n${line}` : line;
}
