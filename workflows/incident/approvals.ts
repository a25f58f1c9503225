import type { LocalizedText } from '../../core/localizedText';
import type { PolicyAudience } from '../../core/policy';
import type { AwaitingApproval, IncidentState } from '../contracts/incident';
import type { IncidentPagePhase } from '../pageWording';

// What the audiences that need approval (external, requiresApproval) hear, and when. One message
// waits at a time: while it waits, every later publication folds into it, so nothing later goes out
// before it and, once approved, people get one message that says how things stand, in the words that
// stand (never the ones a later update replaced). A timeout sends the plan's wording of the phase the
// incident has reached; a rejection sends nothing. Pure: the clock is passed in, the caller starts
// the rounds and the timer.

/** Who a publication comes from: an operator, monitoring (alerts, their quiet period), or Herald's own clock. */
export type Origin = 'operator' | 'monitoring' | 'herald';

export interface Offer {
  seq: number;
  phase: IncidentPagePhase;
  /** The operator's words; null = the plan's wording. */
  message: LocalizedText | null;
  /** Only for subscribers of components newly affected (the others were told already). */
  newlyAffectedOnly: boolean;
}

export type Decision = 'send' | 'hold' | 'fold';

/** One round of a release: which phase's template, to whom, and whether it names newly affected functions. */
export interface GatedRound {
  phase: IncidentPagePhase;
  components: string[];
  excludeComponents?: string[];
  /** Components the readers have not heard about yet, named as newly affected (update rounds). */
  newlyAffected?: string[];
}

/** The origin of a recorded publication, from who recorded it. */
export function originOf(state: IncidentState, seq: number): Origin {
  const by = state.timeline.find((e) => e.seq === seq)?.by ?? '';
  if (by.startsWith('monitoring:') || by === 'herald:auto-resolve') return 'monitoring';
  if (by === 'herald' || by.startsWith('herald:')) return 'herald';
  return 'operator';
}

/** External audiences whose messages wait for approval. */
export function gatedAudiences(audiences: PolicyAudience[]): PolicyAudience[] {
  return audiences.filter((a) => a.kind === 'external' && a.requiresApproval);
}

export class ApprovalDesk {
  constructor(
    private readonly state: IncidentState,
    private readonly timeoutMs: number,
    private readonly clock: () => number,
  ) {}

  get waiting(): AwaitingApproval | null {
    return this.state.awaitingApproval ?? null;
  }

  /**
   * Components whose subscribers in the gated audiences have had a first notice. Runs that started
   * before it was kept: the components of every round the gated audiences got.
   */
  told(gated: string[]): string[] {
    if (!this.state.toldExternally) {
      const reached = this.state.deliveries.filter((d) => gated.includes(d.standsFor)).flatMap((d) => d.components);
      this.state.toldExternally = [...new Set(reached)];
    }
    return this.state.toldExternally;
  }

  /** A new publication for the gated audiences: sent now, held for approval, or folded into the one that waits. */
  offer(o: Offer, origin: Origin, audiences: string[]): Decision {
    const waiting = this.waiting;
    const now = new Date(this.clock()).toISOString();
    if (waiting) {
      const before = this.record(waiting.seq);
      if (before) Object.assign(before, { decision: 'folded', decidedAt: now, by: 'herald', foldedInto: o.seq });
      waiting.carries.push(o.seq);
      waiting.seq = o.seq;
      waiting.phase = o.phase;
      // The operator's latest words stand until a later change of status says something else.
      if (o.message !== null) Object.assign(waiting, { words: o.message, wordsSeq: o.seq });
      else if (origin === 'monitoring' || o.phase === 'resolved') Object.assign(waiting, { words: null, wordsSeq: null });
      this.state.approvals.push({
        seq: o.seq,
        phase: o.phase,
        requestedAt: now,
        decidedAt: null,
        decision: 'pending',
        by: null,
        audiences,
        ...(waiting.sendsAt ? { sendsAt: waiting.sendsAt } : {}),
      });
      return 'fold';
    }
    if (o.message === null && origin !== 'monitoring') return 'send';
    const sendsAt = new Date(this.clock() + this.timeoutMs).toISOString();
    this.state.awaitingApproval = {
      seq: o.seq,
      carries: [o.seq],
      phase: o.phase,
      audiences,
      words: o.message,
      wordsSeq: o.message !== null ? o.seq : null,
      requestedAt: now,
      sendsAt,
    };
    this.state.approvals.push({
      seq: o.seq,
      phase: o.phase,
      requestedAt: now,
      decidedAt: null,
      decision: 'pending',
      by: null,
      audiences,
      sendsAt,
    });
    return 'hold';
  }

  /** Decides the waiting message: approved, timed out (the plan's wording goes) or rejected (nothing goes). */
  decide(decision: 'approved' | 'timed-out' | 'rejected', by: string, reason?: string): AwaitingApproval {
    const waiting = this.waiting!;
    const record = this.record(waiting.seq);
    if (record)
      Object.assign(record, {
        decision,
        decidedAt: new Date(this.clock()).toISOString(),
        by,
        ...(reason !== undefined ? { reason } : {}),
      });
    this.state.awaitingApproval = null;
    return waiting;
  }

  /**
   * The rounds that tell the gated audiences how things stand: readers told before get the
   * phase's update, readers of components they have not heard about get their first notice (or,
   * once resolved, everyone the closing message). `newlyAffectedOnly` limits it to the latter.
   */
  plan(gated: string[], lastPhase: IncidentPagePhase, withWords: boolean, newlyAffectedOnly: boolean): GatedRound[] {
    const state = this.state;
    const told = this.told(gated);
    const untold = state.components.filter((c) => !told.includes(c));
    this.state.toldExternally = [...state.components];
    if (state.status === 'resolved' || state.status === 'postmortem') {
      if (newlyAffectedOnly && untold.length === 0) return [];
      return [{ phase: 'resolved', components: newlyAffectedOnly ? untold : [...state.components] }];
    }
    const rounds: GatedRound[] = [];
    if (!newlyAffectedOnly && told.length > 0) {
      // Readers told before hear of what is newly affected in an update, whatever else it folds in.
      const phase: IncidentPagePhase =
        !withWords && untold.length === 0 && (lastPhase === 'holding' || lastPhase === 'etaMissed') ? lastPhase : 'update';
      rounds.push({ phase, components: told, ...(untold.length > 0 ? { newlyAffected: untold } : {}) });
    }
    if (untold.length > 0)
      rounds.push({ phase: 'initial', components: untold, ...(told.length > 0 ? { excludeComponents: told } : {}) });
    return rounds;
  }

  private record(seq: number) {
    return this.state.approvals.find((r) => r.seq === seq);
  }
}
