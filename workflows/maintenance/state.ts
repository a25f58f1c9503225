import type { LocalizedText } from '../../core/localizedText';
import type { MessageFacts } from '../../core/messageContext';
import type { MaintenancePolicy } from '../../core/policy';
import type { PageUpdate } from '../../core/statuspage/types';
import type {
  FinishInput,
  MaintenanceInput,
  MaintenanceNoteInput,
  MaintenancePhase,
  MaintenanceState,
  RescheduleInput,
} from '../contracts/maintenance';
import { maintenancePageWording, operatorPageWords } from '../pageWording';

// The maintenance window's state and its transitions, as a class over the state object: the
// operators' changes (reschedule, cancel, a note, completion) and the window's own clock (reminders
// at the plan's offsets, the start, an overrun). Pure: no Temporal API, the clock is passed in;
// what must happen outside the state goes through MaintenanceEffects, in the order the workflow's
// commands must keep. Unit-tested without a server (test/unit/maintenanceState.test.ts).

/** One thing to tell: the page first, then a round per audience. */
export interface MaintenancePublication {
  seq: number;
  phase: MaintenancePhase;
  facts: MessageFacts;
}

export interface MaintenanceEffects {
  /** Starts the publication of what was just recorded (maintenance/publication.ts). */
  publish(p: MaintenancePublication): void;
  /** The status changed: the search attributes follow. */
  refreshSearchAttributes(): void;
}

/** What the window's clock does next, and when. */
export interface ClockEvent {
  at: number;
  run: () => void;
}

export function initialMaintenanceState(input: MaintenanceInput, id: string, at: string): MaintenanceState {
  return {
    id,
    title: input.title,
    scenario: input.scenario,
    status: 'scheduled',
    components: [...input.components],
    message: input.message,
    owner: input.owner ?? null,
    technicalDetail: input.technicalDetail ?? null,
    drill: input.drill,
    createdAt: at,
    scheduledFor: input.scheduledFor,
    scheduledUntil: input.scheduledUntil,
    startedAt: null,
    completedAt: null,
    remindersSent: [],
    scheduleSetAt: at,
    overruns: 0,
    timeline: [],
    deliveries: [],
    pageUpdates: [],
    seq: 0,
    runs: 1,
  };
}

export class MaintenanceStateMachine {
  /** Bumped on every change the main loop must look at again. */
  changes = 0;
  /** The schedule a reschedule or overrun replaces, while its publication is written. */
  private previousSchedule: { scheduledFor: string; scheduledUntil: string } | null = null;

  constructor(
    readonly state: MaintenanceState,
    readonly policy: MaintenancePolicy,
    private readonly clock: () => number,
    private readonly effects: MaintenanceEffects,
  ) {}

  now(): string {
    return new Date(this.clock()).toISOString();
  }

  isFinished(): boolean {
    return this.state.status === 'completed' || this.state.status === 'cancelled';
  }

  announce(by: string): void {
    this.publish('announce', this.state.message, by);
  }

  reschedule(r: RescheduleInput): MaintenanceState {
    const state = this.state;
    this.previousSchedule = { scheduledFor: state.scheduledFor, scheduledUntil: state.scheduledUntil };
    const startMoved = r.scheduledFor !== state.scheduledFor;
    state.scheduledFor = r.scheduledFor;
    state.scheduledUntil = r.scheduledUntil;
    if (startMoved) {
      state.remindersSent = []; // every reminder is re-timed to the new start
      state.scheduleSetAt = this.now();
    }
    this.publish('reschedule', r.message ?? null, r.by);
    this.previousSchedule = null;
    return state;
  }

  cancel(c: FinishInput): MaintenanceState {
    return this.finish('cancelled', 'cancel', c);
  }

  complete(c: FinishInput): MaintenanceState {
    return this.finish('completed', 'complete', c);
  }

  note(u: MaintenanceNoteInput): MaintenanceState {
    this.publish('update', u.message, u.by);
    return this.state;
  }

  /** The next thing the window's clock will do: a reminder, the start, or an overrun. */
  nextEvent(): ClockEvent {
    const state = this.state;
    const policy = this.policy;
    const start = Date.parse(state.scheduledFor);
    if (state.status === 'scheduled') {
      // Reminders whose moment had already passed when this schedule was set are skipped: the
      // announcement (or the reschedule notice) just told everyone.
      const pending = policy.remindersMs.filter(
        (offset) => !state.remindersSent.includes(offset) && start - offset > Date.parse(state.scheduleSetAt),
      );
      if (pending.length > 0) {
        const offset = Math.max(...pending);
        return {
          at: start - offset,
          run: () => {
            state.remindersSent = [...state.remindersSent, offset];
            this.publish('reminder', null, 'herald', start - this.clock());
          },
        };
      }
      return {
        at: start,
        run: () => {
          state.status = 'in_progress';
          state.startedAt = this.now();
          this.effects.refreshSearchAttributes();
          this.publish('start', null, 'herald');
        },
      };
    }
    return {
      at: Date.parse(state.scheduledUntil),
      run: () => {
        this.previousSchedule = { scheduledFor: state.scheduledFor, scheduledUntil: state.scheduledUntil };
        // From now if the timer fired late, so the announced end is never already past.
        state.scheduledUntil = new Date(
          Math.max(Date.parse(state.scheduledUntil), this.clock()) + policy.overrunExtensionMs,
        ).toISOString();
        state.overruns += 1;
        this.publish('overrun', null, 'herald');
        this.previousSchedule = null;
      },
    };
  }

  private finish(status: 'completed' | 'cancelled', phase: 'complete' | 'cancel', c: FinishInput): MaintenanceState {
    this.state.status = status;
    this.state.completedAt = this.now();
    this.effects.refreshSearchAttributes();
    this.publish(phase, c.message ?? null, c.by);
    return this.state;
  }

  /** Records the phase on the timeline and the page, then hands it to the publication. */
  private publish(phase: MaintenancePhase, message: LocalizedText | null, by: string, startsInMs?: number): void {
    const state = this.state;
    state.seq += 1;
    const seq = state.seq;
    state.timeline.push({ seq, at: this.now(), phase, status: state.status, message, by });
    state.pageUpdates.push({
      id: `${state.id}-${seq}`,
      status: state.status === 'cancelled' ? 'completed' : state.status,
      ...(message !== null
        ? operatorPageWords(message, maintenancePageWording(phase, state))
        : { wording: maintenancePageWording(phase, state) }),
      createdAt: this.now(),
      affectedComponents: this.affectedFor(phase),
    });
    this.changes += 1;
    this.effects.publish({ seq, phase, facts: this.factsFor(message, startsInMs) });
  }

  private affectedFor(phase: MaintenancePhase): PageUpdate['affectedComponents'] {
    const components = this.state.components;
    if (phase === 'start')
      return components.map((id) => ({ id, oldStatus: 'operational' as const, newStatus: 'under_maintenance' as const }));
    if (phase === 'complete')
      return components.map((id) => ({ id, oldStatus: 'under_maintenance' as const, newStatus: 'operational' as const }));
    return null;
  }

  private factsFor(message: LocalizedText | null, startsInMs?: number): MessageFacts {
    const state = this.state;
    const previous = this.previousSchedule;
    return {
      kind: 'maintenance',
      id: state.id,
      title: state.title,
      scenario: state.scenario,
      status: state.status,
      impact: state.message,
      ...(message ? { message } : {}),
      components: state.components,
      componentStatuses: Object.fromEntries(
        state.components.map((c) => [c, state.status === 'in_progress' ? 'under_maintenance' : 'operational']),
      ),
      scheduledFor: state.scheduledFor,
      scheduledUntil: state.scheduledUntil,
      ...(previous ? { previousScheduledFor: previous.scheduledFor, previousScheduledUntil: previous.scheduledUntil } : {}),
      ...(startsInMs !== undefined ? { startsInMs: startsInMs * this.policy.timeScale } : {}),
      owner: state.owner,
      technicalDetail: state.technicalDetail,
    };
  }
}
