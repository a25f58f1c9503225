import { condition, patched } from '@temporalio/workflow';
import type { LocalizedText } from '../../core/localizedText';
import type { MessageFacts } from '../../core/messageContext';
import type { ComponentStatus } from '../../core/plan/schema';
import type { PolicyAudience } from '../../core/policy';
import type { PageIncident, PageUpdate } from '../../core/statuspage/types';
import type { ApproveInput, AwaitingApproval, RejectInput } from '../contracts/incident';
import { incidentPageWording, namedIncidentPageWording, operatorPageWords, type IncidentPagePhase } from '../pageWording';
import { APPROVAL_DECIDED_ONCE, ORDERED_APPROVALS } from '../patches';
import { publishToPage, startRounds, type RoundSpec, type RoundTracker } from '../rounds';
import { ApprovalDesk, gatedAudiences, originOf } from './approvals';
import type { IncidentStateMachine, PublicationRequest } from './state';
import { validateApprove, validateApproveWaiting, validateReject } from './validators';

// How the incident tells people: each publication starts its rounds and updates the status page.
// Internal and ungated audiences hear at once, and so does the page, in the plan's wording until the
// operator's words are approved. Audiences that need approval (external, requiresApproval) hear in
// phase order through the approval desk (incident/approvals.ts): one message waits at a time, later
// publications fold into it, and it goes out approved (the words that stand), timed out (the plan's
// wording of the phase reached) or not at all (rejected). Rounds start one publication after another,
// and page changes go out one at a time.

interface Publication extends PublicationRequest {
  audiences: PolicyAudience[];
  toPage: boolean;
  needsApproval: boolean;
  approval: 'not-required' | 'pending' | 'approved' | 'timed-out';
}

/** A decision on the waiting message; an approval carries the rounds planned from the state it was given in. */
type Outcome = { decision: 'approved' | 'rejected'; message: AwaitingApproval; rounds?: RoundSpec[] };
/** Where runs before APPROVAL_DECIDED_ONCE keep their one decision (seqs start at 1). */
const SHARED_SLOT = 0;

export class IncidentPublications {
  private pending: Publication[] = [];
  private gatedChain: Promise<void> = Promise.resolve();
  private pageChain: Promise<void> = Promise.resolve();
  private roundChain: Promise<void> = Promise.resolve();
  private readonly unsentPageUpdates = new Set<string>();
  private publishing = 0;
  /** Runs that started before ordered approvals keep the pipeline they started with. */
  private readonly ordered: boolean;
  private readonly desk: ApprovalDesk;
  /**
   * Approve and reject decide the waiting message; its waiter takes the decision by the message's first
   * seq, so a decision is never lost to, or taken by, the wait of a message that starts waiting in the
   * same workflow task.
   */
  private readonly outcomes = new Map<number, Outcome>();
  /** Runs that started before it keep one shared decision slot, cleared by every new wait. */
  private readonly decidedOnce: boolean;
  /** The gated audiences each waiting message is for (by its first seq). */
  private readonly gatedFor = new Map<number, PolicyAudience[]>();

  constructor(
    private readonly incident: IncidentStateMachine,
    private readonly tracker: RoundTracker,
  ) {
    this.ordered = patched(ORDERED_APPROVALS);
    this.decidedOnce = this.ordered && patched(APPROVAL_DECIDED_ONCE);
    this.desk = new ApprovalDesk(incident.state, incident.policy.approvalTimeoutMs, () => Date.parse(incident.now()));
  }

  /** No publication of this run is still running, and no round it started is in flight. */
  idle(): boolean {
    return this.publishing === 0 && this.tracker.inFlight === 0;
  }

  isPending(seq: number): boolean {
    if (this.ordered) return !!this.desk.waiting?.carries.includes(seq);
    return this.pending.some((p) => p.seq === seq);
  }

  /** What waits for approval, to whom, and when it goes out by itself. */
  awaiting(): AwaitingApproval | null {
    if (this.ordered) return this.desk.waiting;
    const first = this.pending.find((p) => p.approval === 'pending');
    const record = first && this.incident.state.approvals.find((r) => r.seq === first.seq);
    if (!first || !record) return null;
    return {
      seq: first.seq,
      carries: this.pendingSeqs(),
      phase: first.phase,
      audiences: first.audiences.filter((a) => a.kind === 'external' && a.requiresApproval).map((a) => a.standsFor),
      words: first.message,
      wordsSeq: first.seq,
      requestedAt: record.requestedAt,
      sendsAt: null,
    };
  }

  checkApprove(a: ApproveInput): void {
    if (this.ordered) validateApproveWaiting(this.desk.waiting, a);
    else validateApprove(this.pendingSeqs(), a);
  }

  checkReject(r: RejectInput): void {
    if (!this.ordered) throw new Error('this incident started before messages could be rejected: approve it, or let it time out');
    validateReject(this.desk.waiting, r);
  }

  /** Approves the waiting message (ordered), or one pending publication by seq or all of them. */
  approve(a: ApproveInput): { approved: number[] } {
    if (this.ordered) {
      const message = this.desk.decide('approved', a.by);
      this.decide(message, 'approved');
      this.incident.record('approval', null, a.by);
      return { approved: [...message.carries] };
    }
    const approved: number[] = [];
    for (const p of this.pending) {
      if (p.approval === 'pending' && (a.seq === undefined || a.seq === p.seq)) {
        p.approval = 'approved';
        approved.push(p.seq);
        this.incident.decideApproval(p.seq, 'approved', a.by);
      }
    }
    this.incident.record('approval', null, a.by);
    return { approved };
  }

  /** Rejects the waiting message: the audiences it waits for get nothing of it. */
  reject(r: RejectInput): { rejected: number[] } {
    const message = this.desk.decide('rejected', r.by, r.reason);
    this.decide(message, 'rejected');
    this.incident.record('rejection', null, r.by);
    return { rejected: [...message.carries] };
  }

  private decide(message: AwaitingApproval, decision: Outcome['decision']): void {
    if (!this.decidedOnce) {
      this.outcomes.set(SHARED_SLOT, { decision, message });
      return;
    }
    const key = message.carries[0]!;
    // Planned now: an update or resolution taken after it in the same workflow task is a message of its own.
    const gated = this.gatedFor.get(key);
    const rounds =
      decision === 'approved' && gated ? this.gatedRounds(gated, message.seq, message.phase, message.words, false) : undefined;
    this.outcomes.set(key, { decision, message, ...(rounds ? { rounds } : {}) });
  }

  pendingSeqs(): number[] {
    if (this.ordered) return this.desk.waiting ? [this.desk.waiting.seq] : [];
    return this.pending.filter((p) => p.approval === 'pending').map((p) => p.seq);
  }

  publish(p: PublicationRequest): void {
    if (this.ordered) this.publishInOrder(p);
    else this.publishGatedChain(p);
  }

  // --- ordered approvals ------------------------------------------------------------------------

  private publishInOrder(p: PublicationRequest): void {
    const { state, policy } = this.incident;
    const audiences = p.audiences ?? policy.audiences;
    const gated = gatedAudiences(audiences);
    const others = audiences.filter((a) => !gated.includes(a));
    const decision =
      gated.length > 0
        ? this.desk.offer(
            { seq: p.seq, phase: p.phase, message: p.message, newlyAffectedOnly: (p.excludeComponents?.length ?? 0) > 0 },
            originOf(state, p.seq),
            gated.map((a) => a.standsFor),
          )
        : undefined;
    this.publishing += 1;
    // The page shows the operator's words only where nobody has to approve them first.
    const toPage = p.toPage ?? true;
    if (toPage) this.addNamedPageUpdate(p, gated.length === 0);
    // Staff and audiences that need no approval hear now; staff also hear what waits and until when.
    const waiting = this.desk.waiting;
    const facts: MessageFacts = {
      ...naming(this.incident.factsFor(p.message), p.newlyAffected),
      ...(waiting && waiting.sendsAt
        ? { awaitingApproval: { seq: waiting.seq, audiences: waiting.audiences, sendsAt: waiting.sendsAt } }
        : {}),
    };
    // What the gated audiences get is decided now, from the state as it is now; rounds start in order.
    const gatedRounds = decision === 'send' ? this.gatedRounds(gated, p.seq, p.phase, null, !!p.excludeComponents?.length) : [];
    const started = [
      toPage ? this.sendPage() : undefined,
      this.inOrder(() => startRounds(this.tracker, this.spec(p.seq, p.phase, facts, p), others, audiences)),
      this.startGated(gatedRounds, gated, audiences),
    ];
    const held = decision === 'hold' ? this.waitForDecision(gated, audiences) : undefined;
    void (async () => {
      try {
        await Promise.all(started);
        await held;
      } finally {
        this.publishing -= 1;
        this.incident.changes += 1;
      }
    })();
  }

  /** Waits for the waiting message's approval, rejection or timeout, and sends what it decides. */
  private async waitForDecision(gated: PolicyAudience[], audiences: PolicyAudience[]): Promise<void> {
    this.publishing += 1;
    try {
      const waiting = this.desk.waiting!;
      const key = this.decidedOnce ? waiting.carries[0]! : SHARED_SLOT;
      const sendsAt = Date.parse(waiting.sendsAt!);
      if (!this.decidedOnce) this.outcomes.clear();
      else this.gatedFor.set(key, gated);
      await condition(() => this.outcomes.has(key), Math.max(1, sendsAt - Date.parse(this.incident.now())));
      const outcome = this.outcomes.get(key);
      this.outcomes.delete(key);
      this.gatedFor.delete(key);
      if (outcome?.decision === 'rejected') return;
      const message = outcome?.message ?? this.desk.decide('timed-out', 'herald:approval-timeout');
      const approved = outcome?.decision === 'approved';
      const words = approved ? message.words : null;
      // Decided when it was decided: a resolution taken while the page is sent is a message of its own.
      const planned = this.decidedOnce
        ? (outcome?.rounds ?? this.gatedRounds(gated, message.seq, message.phase, words, false))
        : undefined;
      // The page shows the approved words before anyone is sent a link to it.
      if (approved && message.wordsSeq !== null && message.words !== null)
        await this.showApprovedWords(message.wordsSeq, message.words);
      const rounds = planned ?? this.gatedRounds(gated, message.seq, message.phase, words, false);
      await this.startGated(rounds, gated, audiences);
    } finally {
      this.publishing -= 1;
      this.incident.changes += 1;
    }
  }

  /**
   * How the gated audiences hear how things stand now: an update to readers told before (naming
   * what is newly affected), a first notice to readers of components they have not heard about.
   */
  private gatedRounds(
    gated: PolicyAudience[],
    seq: number,
    lastPhase: IncidentPagePhase,
    words: LocalizedText | null,
    newlyAffectedOnly: boolean,
  ): RoundSpec[] {
    const rounds = this.desk.plan(
      gated.map((a) => a.standsFor),
      lastPhase,
      words !== null,
      newlyAffectedOnly,
    );
    // Only the words that stand: the impact as first written is not one of them once later words
    // replaced it, and without approved words the plan's wording names the functions itself.
    const { impact: _replaced, ...current } = this.incident.factsFor(words);
    return rounds.map((r) => this.spec(seq, r.phase, naming(current, r.newlyAffected), r));
  }

  private startGated(specs: RoundSpec[], gated: PolicyAudience[], audiences: PolicyAudience[]): Promise<void> {
    if (specs.length === 0) return Promise.resolve();
    return this.inOrder(async () => {
      await Promise.all(specs.map((spec) => startRounds(this.tracker, spec, gated, audiences)));
    });
  }

  /** Rounds start in the order their publications were decided. */
  private inOrder(start: () => Promise<void>): Promise<void> {
    const run = this.roundChain.then(start);
    this.roundChain = run.catch(() => undefined);
    return run;
  }

  private spec(
    seq: number,
    phase: IncidentPagePhase,
    facts: MessageFacts,
    to: { components: string[]; excludeComponents?: string[] },
  ): RoundSpec {
    const { state, policy } = this.incident;
    return {
      ownerId: state.id,
      seq,
      phase,
      templateId: policy.templates[phase],
      // The functions the readers follow come first: a short message that cannot name all names theirs.
      facts: {
        ...facts,
        components: [...facts.components].sort((a, b) => +!to.components.includes(a) - +!to.components.includes(b)),
      },
      components: to.components,
      ...(to.excludeComponents?.length ? { excludeComponents: to.excludeComponents } : {}),
      drill: state.drill,
      statusUrl: policy.statusUrl,
    };
  }

  /** The approved words replace the plan's wording of the update they were written for, in place. */
  private showApprovedWords(seq: number, words: LocalizedText): Promise<void> {
    const update = this.incident.state.pageUpdates.find((u) => u.id === `${this.incident.state.id}-${seq}`);
    if (!update) return Promise.resolve();
    Object.assign(update, operatorPageWords(words, update.wording));
    if (typeof words === 'string') delete update.wording;
    this.unsentPageUpdates.add(update.id);
    return this.sendPage();
  }

  /** A page update that names the affected functions (and the newly affected ones) in the plan's words. */
  private addNamedPageUpdate(p: PublicationRequest, withMessage: boolean): void {
    const state = this.incident.state;
    const wording = namedIncidentPageWording(p.phase, state.status, state.nextUpdateDue, {
      components: p.excludeComponents?.length ? p.components : state.components,
      ...(p.newlyAffected?.length ? { newlyAffected: p.newlyAffected } : {}),
    });
    this.pushPageUpdate(p.seq, withMessage && p.message ? operatorPageWords(p.message, wording) : { wording });
  }

  // --- before ordered approvals: gated publications chained one after another ------------------

  private publishGatedChain(p: PublicationRequest): void {
    const { state, policy } = this.incident;
    const audiences = p.audiences ?? policy.audiences;
    const needsApproval = p.message !== null && audiences.some((a) => a.requiresApproval && a.kind === 'external');
    const pub: Publication = {
      ...p,
      audiences,
      toPage: p.toPage ?? true,
      needsApproval,
      approval: needsApproval ? 'pending' : 'not-required',
    };
    this.publishing += 1;
    if (needsApproval) {
      this.pending.push(pub);
      state.approvals.push({
        seq: pub.seq,
        phase: pub.phase,
        requestedAt: this.incident.now(),
        decidedAt: null,
        decision: 'pending',
        by: null,
      });
    }
    // The facts as they are now: a publication released later (after approval) still says what was
    // true when it was written, with the next-update time promised then.
    const factsNow = { withMessage: this.incident.factsFor(pub.message), plan: this.incident.factsFor(null) };
    const facts = (withMessage: boolean): MessageFacts => (withMessage ? factsNow.withMessage : factsNow.plan);
    const spec = (withMessage: boolean): RoundSpec => ({
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
        const previous = this.gatedChain;
        let release!: () => void;
        this.gatedChain = new Promise<void>((r) => (release = r));
        const ungatedStarted = startRounds(this.tracker, spec(true), ungated);
        await previous;
        try {
          const pageUpdate = pub.toPage ? this.addPageUpdate(pub, !pub.needsApproval) : undefined;
          await Promise.all([pub.toPage ? this.sendPage() : undefined, ungatedStarted]);
          if (pub.needsApproval) {
            const approved = await condition(() => pub.approval === 'approved', policy.approvalTimeoutMs);
            if (!approved) {
              pub.approval = 'timed-out';
              this.incident.decideApproval(pub.seq, 'timed-out', 'herald:approval-timeout');
            }
            this.pending = this.pending.filter((x) => x !== pub);
            if (approved && pageUpdate && pub.message) {
              // The approved words replace the plan's wording in place (the plan's stays for locales without words).
              Object.assign(pageUpdate, operatorPageWords(pub.message, pageUpdate.wording));
              if (typeof pub.message === 'string') delete pageUpdate.wording;
              this.unsentPageUpdates.add(pageUpdate.id);
              await this.sendPage();
            }
          }
          const withMessage = pub.approval !== 'timed-out';
          await startRounds(this.tracker, spec(withMessage), gated);
        } finally {
          release();
        }
      } finally {
        this.publishing -= 1;
        this.incident.changes += 1;
      }
    })();
  }

  // --- the page ---------------------------------------------------------------------------------

  /** Page changes go out one at a time, each with the record as it is when its turn comes. */
  sendPage(): Promise<void> {
    this.pageChain = this.pageChain.then(() => {
      // Only the updates the page has not seen (new, or changed in place): the page merges them by id.
      const record = this.pageRecord();
      record.updates = this.incident.state.pageUpdates.filter((u) => this.unsentPageUpdates.has(u.id));
      this.unsentPageUpdates.clear();
      return publishToPage(this.incident.state.drill, { kind: 'incident', incident: record }, this.incident.policy.pageId);
    });
    return this.pageChain;
  }

  private addPageUpdate(pub: Publication, withMessage: boolean): PageUpdate {
    const state = this.incident.state;
    return this.pushPageUpdate(
      pub.seq,
      withMessage && pub.message
        ? operatorPageWords(pub.message, incidentPageWording(pub.phase, state.status, state.nextUpdateDue))
        : { wording: incidentPageWording(pub.phase, state.status, state.nextUpdateDue) },
    );
  }

  private pushPageUpdate(seq: number, words: Pick<PageUpdate, 'body' | 'bodies' | 'wording'>): PageUpdate {
    const state = this.incident.state;
    const previous = state.pageComponentStatuses;
    const current: Record<string, ComponentStatus> =
      state.status === 'resolved'
        ? Object.fromEntries(state.components.map((c) => [c, 'operational' as const]))
        : state.componentStatuses;
    const affected = state.components
      .filter((c) => (previous[c] ?? 'operational') !== current[c])
      .map((c) => ({ id: c, oldStatus: previous[c] ?? 'operational', newStatus: current[c] ?? 'operational' }));
    state.pageComponentStatuses = { ...current };
    const update: PageUpdate = {
      id: `${state.id}-${seq}`,
      status: state.status,
      ...words,
      createdAt: this.incident.now(),
      affectedComponents: affected.length > 0 ? affected : null,
    };
    state.pageUpdates.push(update);
    this.unsentPageUpdates.add(update.id);
    return update;
  }

  private pageRecord(): PageIncident {
    const { state, policy } = this.incident;
    return {
      id: state.id,
      name: state.title,
      status: state.status,
      impact: policy.severities[state.severity]?.impact ?? 'major',
      createdAt: state.startedAt,
      updatedAt: this.incident.now(),
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
}

/** An update that widens the incident names what it newly affects. */
function naming(facts: MessageFacts, newlyAffected: string[] | undefined): MessageFacts {
  return newlyAffected?.length ? { ...facts, newlyAffected } : facts;
}

/**
 * An operator's words on the page: a plain string shows in every locale (as it always has); words per
 * locale show where given, and the plan's wording for the phase fills the other locales.
 */
