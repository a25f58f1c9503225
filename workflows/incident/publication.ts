import { condition } from '@temporalio/workflow';
import type { MessageFacts } from '../../core/messageContext';
import type { ComponentStatus } from '../../core/plan/schema';
import type { PolicyAudience } from '../../core/policy';
import type { LocalizedText } from '../../core/localizedText';
import type { PageIncident, PageUpdate, PageWording } from '../../core/statuspage/types';
import type { ApproveInput } from '../contracts/incident';
import { incidentPageWording } from '../pageWording';
import { publishToPage, startRounds, type RoundSpec, type RoundTracker } from '../rounds';
import type { IncidentStateMachine, PublicationRequest } from './state';

// How the incident tells people: each publication starts its rounds and updates the status page.
// Internal and ungated audiences hear at once, and so does the page, in the plan's wording until the
// operator's words are approved; gated audiences (external, requiresApproval) wait for the approval,
// or for its timeout and then get the plan's wording. Gated publications go out in the order they
// were written, and page changes one at a time.

interface Publication extends PublicationRequest {
  audiences: PolicyAudience[];
  toPage: boolean;
  needsApproval: boolean;
  approval: 'not-required' | 'pending' | 'approved' | 'timed-out';
}

export class IncidentPublications {
  private pending: Publication[] = [];
  private gatedChain: Promise<void> = Promise.resolve();
  private pageChain: Promise<void> = Promise.resolve();
  private readonly unsentPageUpdates = new Set<string>();
  private publishing = 0;

  constructor(
    private readonly incident: IncidentStateMachine,
    private readonly tracker: RoundTracker,
  ) {}

  /** No publication of this run is still running, and no round it started is in flight. */
  idle(): boolean {
    return this.publishing === 0 && this.tracker.inFlight === 0;
  }

  isPending(seq: number): boolean {
    return this.pending.some((p) => p.seq === seq);
  }

  pendingSeqs(): number[] {
    return this.pending.filter((p) => p.approval === 'pending').map((p) => p.seq);
  }

  /** Approves one pending publication by seq, or all of them. */
  approve(a: ApproveInput): { approved: number[] } {
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

  publish(p: PublicationRequest): void {
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
              Object.assign(pageUpdate, pageWords(pub.message, pageUpdate.wording));
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
      id: `${state.id}-${pub.seq}`,
      status: state.status,
      ...(withMessage && pub.message
        ? pageWords(pub.message, incidentPageWording(pub.phase, state.status, state.nextUpdateDue))
        : { wording: incidentPageWording(pub.phase, state.status, state.nextUpdateDue) }),
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

/**
 * An operator's words on the page: a plain string shows in every locale (as it always has); words per
 * locale show where given, and the plan's wording for the phase fills the other locales.
 */
function pageWords(words: LocalizedText, wording: PageWording | undefined): Pick<PageUpdate, 'body' | 'bodies' | 'wording'> {
  if (typeof words === 'string') return { body: words };
  return { bodies: { ...words }, ...(wording ? { wording } : {}) };
}
