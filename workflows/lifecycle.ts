import { CancellationScope, condition, patched, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../core/searchAttributes';
import { KEEP_LOOP_TIMER } from './patches';

// What the incident and maintenance workflows do alike around their state: how the main loop waits
// for its next deadline, when to continue as new, and the search attributes the Temporal UI filters them by.

/** Continue as new when Temporal suggests it or the run's history reaches the plan's limit. */
export function shouldContinueAsNew(afterEvents: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= afterEvents;
}

/** Set once when a lifecycle starts: what it is and whether it is a drill (maintenance: its components too). */
export function markLifecycleStart(kind: 'incident' | 'maintenance', drill: boolean, components?: string[]): void {
  upsertSearchAttributes([
    { key: HeraldKind, value: kind },
    { key: HeraldDrill, value: drill },
    ...(components ? [{ key: HeraldComponents, value: components }] : []),
  ]);
}

/** Follows the lifecycle's state: its status, and for incidents its severity and components. */
export function refreshLifecycleAttributes(a: { severity?: string; status: string; components?: string[] }): void {
  upsertSearchAttributes([
    ...(a.severity !== undefined ? [{ key: HeraldSeverity, value: a.severity }] : []),
    { key: HeraldStatus, value: a.status },
    ...(a.components ? [{ key: HeraldComponents, value: a.components }] : []),
  ]);
}

interface PendingTimer {
  at: number;
  scope: CancellationScope;
  fired: boolean;
}

/**
 * How a lifecycle's main loop waits for its next deadline or a change. One timer, in its own scope,
 * outlives the wake-ups that leave its deadline where it was, so such a wake-up emits no command. A
 * round told inline wakes the loop when its local activity completes, and on replay that completion
 * arrives from its marker one activation earlier than it did when it ran: a timer cancelled and started
 * again there would not line up with the history. Runs that started before KEEP_LOOP_TIMER start a
 * timer on every wait and cancel it when woken.
 */
export class LoopTimer {
  private readonly keep = patched(KEEP_LOOP_TIMER);
  private timer: PendingTimer | undefined;

  /**
   * Waits for `woken`, or for the deadline `at` (ms since the epoch; none: for `woken` alone).
   * Resolves false when the deadline passed first, otherwise true or nothing.
   */
  wait(at: number | undefined, woken: () => boolean): Promise<boolean | void> {
    // The old path awaits exactly what the loop awaited before, so older runs replay tick for tick.
    if (!this.keep) return at === undefined ? condition(woken) : condition(woken, Math.max(1, at - Date.now()));
    return this.waitKeeping(at, woken);
  }

  /** Cancels the pending timer, if any (the loop is done, or its deadline moved). */
  stop(): void {
    const timer = this.timer;
    this.timer = undefined;
    if (timer && !timer.fired) timer.scope.cancel();
  }

  private async waitKeeping(at: number | undefined, woken: () => boolean): Promise<boolean> {
    if (this.timer && this.timer.at !== at) this.stop();
    if (at === undefined) {
      await condition(woken);
      return true;
    }
    const timer = this.timer ?? this.start(at);
    await condition(() => timer.fired || woken());
    // Woken as the deadline passed: the loop looks again, and the fired timer answers at once if the deadline stands.
    if (woken()) return true;
    this.timer = undefined;
    return false;
  }

  private start(at: number): PendingTimer {
    const scope = new CancellationScope();
    const timer: PendingTimer = { at, scope, fired: false };
    scope
      .run(() => sleep(Math.max(1, at - Date.now())))
      .then(
        () => void (timer.fired = true),
        () => undefined, // cancelled: a later deadline, or the run's end
      );
    this.timer = timer;
    return timer;
  }
}
