import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { describeFindings, guardExternalText } from '../core/guard';
import type { MessageFacts } from '../core/messageContext';
import type { ComponentStatus } from '../core/plan/schema';
import type { MaintenancePolicy } from '../core/policy';
import type { PageMaintenance, PageUpdate } from '../core/statuspage/types';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldStatus } from '../core/searchAttributes';
import {
  cancelMaintenance,
  completeMaintenance,
  maintenanceStateQuery,
  postMaintenanceUpdate,
  rescheduleMaintenance,
  type MaintenanceInput,
  type MaintenancePhase as Phase,
  type MaintenanceState,
  type MaintenanceStatus,
} from './contracts/maintenance';
import { publishToPage, startRounds, type RoundTracker } from './rounds';

// One planned maintenance window. The story: announce at creation; remind at the plan's offsets
// before the start; at the start mark the components under maintenance; post progress; complete.
// A reschedule re-times every reminder and says so; a cancel withdraws them and says so; a window
// whose end passes without completion is extended by the plan's overrun step, and customers hear
// the new end.

export async function maintenance(input: MaintenanceInput, carried?: MaintenanceState): Promise<MaintenanceState> {
  const policy = input.policy;
  const now = () => new Date().toISOString();
  const nowMs = () => Date.now();
  const state: MaintenanceState = carried ?? initialState(input, now());
  if (carried) state.runs += 1;
  const tracker: RoundTracker = { inFlight: 0, deliveries: state.deliveries };
  let changed = 0;
  let publishing = 0;
  let previousSchedule: { scheduledFor: string; scheduledUntil: string } | null = null;
  let pageChain: Promise<void> = Promise.resolve();

  // The announcement is made before any handler exists, so an update arriving with the start comes after it.
  if (!carried) {
    upsertSearchAttributes([
      { key: HeraldKind, value: 'maintenance' },
      { key: HeraldDrill, value: state.drill },
      { key: HeraldComponents, value: state.components },
    ]);
    refreshSearchAttributes();
    publish('announce', state.message, input.declaredBy);
  }

  setHandler(maintenanceStateQuery, () => state);

  setHandler(
    rescheduleMaintenance,
    (r) => {
      previousSchedule = { scheduledFor: state.scheduledFor, scheduledUntil: state.scheduledUntil };
      const startMoved = r.scheduledFor !== state.scheduledFor;
      state.scheduledFor = r.scheduledFor;
      state.scheduledUntil = r.scheduledUntil;
      if (startMoved) {
        state.remindersSent = []; // every reminder is re-timed to the new start
        state.scheduleSetAt = now();
      }
      publish('reschedule', r.message ?? null, r.by);
      previousSchedule = null;
      return state;
    },
    {
      validator: (r) => {
        requireStatus(['scheduled', 'in_progress'], 'reschedule');
        requireBy(r.by);
        const start = Date.parse(r.scheduledFor);
        const end = Date.parse(r.scheduledUntil);
        if (Number.isNaN(start) || Number.isNaN(end)) throw new Error('scheduledFor, scheduledUntil: must be date-times');
        if (end <= start) throw new Error('scheduledUntil: must be after scheduledFor');
        if (end <= nowMs()) throw new Error('scheduledUntil: the window would already be over');
        if (state.status === 'scheduled' && start <= nowMs()) throw new Error('scheduledFor: must be in the future');
        if (state.status === 'in_progress' && r.scheduledFor !== state.scheduledFor)
          throw new Error('scheduledFor: the window has started; only its end can move');
        if (r.message !== undefined) guardOrThrow('message', r.message);
      },
    },
  );

  setHandler(
    cancelMaintenance,
    (c) => {
      state.status = 'cancelled';
      state.completedAt = now();
      refreshSearchAttributes();
      publish('cancel', c.message ?? null, c.by);
      return state;
    },
    {
      validator: (c) => {
        requireStatus(['scheduled'], 'cancel (complete a window that has started)');
        requireBy(c.by);
        if (c.message !== undefined) guardOrThrow('message', c.message);
      },
    },
  );

  setHandler(
    postMaintenanceUpdate,
    (u) => {
      publish('update', u.message, u.by);
      return state;
    },
    {
      validator: (u) => {
        requireStatus(['scheduled', 'in_progress'], 'post an update');
        requireBy(u.by);
        if (!u.message?.trim()) throw new Error('message: an update needs words for customers');
        guardOrThrow('message', u.message);
      },
    },
  );

  setHandler(
    completeMaintenance,
    (c) => {
      state.status = 'completed';
      state.completedAt = now();
      refreshSearchAttributes();
      publish('complete', c.message ?? null, c.by);
      return state;
    },
    {
      validator: (c) => {
        requireStatus(['in_progress'], 'complete (cancel a window that has not started)');
        requireBy(c.by);
        if (c.message !== undefined) guardOrThrow('message', c.message);
      },
    },
  );

  while (!isFinished()) {
    if (shouldContinueAsNew()) break;
    const seen = changed;
    const next = nextEvent();
    const woke = await condition(() => changed !== seen || isFinished(), Math.max(1, next.at - nowMs()));
    if (woke || isFinished()) continue;
    next.run();
  }

  await condition(() => publishing === 0 && tracker.inFlight === 0 && allHandlersFinished());
  if (!isFinished()) await continueAsNew<typeof maintenance>(input, state);
  return state;

  /** The next thing the window's clock will do: a reminder, the start, or an overrun. */
  function nextEvent(): { at: number; run: () => void } {
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
            publish('reminder', null, 'herald', start - nowMs());
          },
        };
      }
      return {
        at: start,
        run: () => {
          state.status = 'in_progress';
          state.startedAt = now();
          refreshSearchAttributes();
          publish('start', null, 'herald');
        },
      };
    }
    return {
      at: Date.parse(state.scheduledUntil),
      run: () => {
        previousSchedule = { scheduledFor: state.scheduledFor, scheduledUntil: state.scheduledUntil };
        // From now if the timer fired late, so the announced end is never already past.
        state.scheduledUntil = new Date(
          Math.max(Date.parse(state.scheduledUntil), nowMs()) + policy.overrunExtensionMs,
        ).toISOString();
        state.overruns += 1;
        publish('overrun', null, 'herald');
        previousSchedule = null;
      },
    };
  }

  function publish(phase: Phase, message: string | null, by: string, startsInMs?: number) {
    state.seq += 1;
    const seq = state.seq;
    state.timeline.push({ seq, at: now(), phase, status: state.status, message, by });
    state.pageUpdates.push({
      id: `${state.id}-${seq}`,
      status: pageStatus(),
      body: message ?? pageWording(phase),
      createdAt: now(),
      affectedComponents: affectedFor(phase),
    });
    changed += 1;
    publishing += 1;
    const facts = factsFor(message, startsInMs);
    void (async () => {
      try {
        // One page change at a time, each with the record as it is when its turn comes.
        pageChain = pageChain.then(() => publishToPage(state.drill, { kind: 'maintenance', maintenance: pageRecord() }));
        await pageChain;
        await startRounds(
          tracker,
          {
            ownerId: state.id,
            seq,
            phase,
            templateId: policy.templates[phase],
            facts,
            components: state.components,
            drill: state.drill,
            statusUrl: policy.statusUrl,
          },
          policy.audiences,
        );
      } finally {
        publishing -= 1;
        changed += 1;
      }
    })();
  }

  function affectedFor(phase: Phase): PageUpdate['affectedComponents'] {
    if (phase === 'start')
      return state.components.map((id) => ({ id, oldStatus: 'operational' as const, newStatus: 'under_maintenance' as const }));
    if (phase === 'complete')
      return state.components.map((id) => ({ id, oldStatus: 'under_maintenance' as const, newStatus: 'operational' as const }));
    return null;
  }

  function pageWording(phase: Phase): string {
    const window = `${state.scheduledFor.slice(0, 16).replace('T', ' ')} – ${state.scheduledUntil.slice(0, 16).replace('T', ' ')} UTC`;
    switch (phase) {
      case 'reminder':
        return `Reminder: maintenance is scheduled for ${window}.`;
      case 'start':
        return `Maintenance is in progress until ${state.scheduledUntil.slice(11, 16)} UTC.`;
      case 'complete':
        return 'The maintenance has been completed.';
      case 'cancel':
        return 'This maintenance has been cancelled. No work will take place.';
      case 'reschedule':
        return `This maintenance has been rescheduled to ${window}.`;
      case 'overrun':
        return `The maintenance is taking longer than planned; it is now expected to end by ${state.scheduledUntil.slice(11, 16)} UTC.`;
      default:
        return `${state.message} Scheduled for ${window}.`;
    }
  }

  function pageStatus(): string {
    return state.status === 'cancelled' ? 'completed' : state.status;
  }

  function pageRecord(): PageMaintenance {
    const componentStatuses: Record<string, ComponentStatus> =
      state.status === 'in_progress' ? Object.fromEntries(state.components.map((c) => [c, 'under_maintenance' as const])) : {};
    return {
      id: state.id,
      name: state.title,
      status: state.status === 'cancelled' ? 'completed' : state.status,
      impact: 'maintenance',
      createdAt: state.createdAt,
      updatedAt: now(),
      startedAt: state.startedAt,
      resolvedAt: state.completedAt,
      scheduledFor: state.scheduledFor,
      scheduledUntil: state.scheduledUntil,
      components: state.components,
      updates: state.pageUpdates,
      nextUpdateAt: null,
      componentStatuses,
    };
  }

  function factsFor(message: string | null, startsInMs?: number): MessageFacts {
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
      ...(previousSchedule
        ? { previousScheduledFor: previousSchedule.scheduledFor, previousScheduledUntil: previousSchedule.scheduledUntil }
        : {}),
      ...(startsInMs !== undefined ? { startsInMs: startsInMs * policy.timeScale } : {}),
      owner: state.owner,
      technicalDetail: state.technicalDetail,
    };
  }

  function refreshSearchAttributes() {
    upsertSearchAttributes([{ key: HeraldStatus, value: state.status }]);
  }

  function isFinished() {
    return state.status === 'completed' || state.status === 'cancelled';
  }

  function shouldContinueAsNew() {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= policy.continueAsNewAfterEvents;
  }

  function requireStatus(allowed: MaintenanceStatus[], action: string) {
    if (!allowed.includes(state.status)) throw new Error(`cannot ${action}: the maintenance is ${state.status}`);
  }

  function requireBy(by: string) {
    if (!by?.trim()) throw new Error('by: who makes the change is required');
  }

  function guardOrThrow(field: string, text: string) {
    const findings = guardExternalText(text, policy.guard);
    if (findings.length > 0) throw new Error(`${field}: customers would see internal detail: ${describeFindings(findings)}`);
  }
}

function initialState(input: MaintenanceInput, at: string): MaintenanceState {
  return {
    id: workflowInfo().workflowId,
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
