import type { ComponentStatus } from '../../core/plan/schema';
import type { PageMaintenance } from '../../core/statuspage/types';
import { publishToPage, startRounds, type RoundTracker } from '../rounds';
import type { MaintenancePublication, MaintenanceStateMachine } from './state';

// How the maintenance window tells people: the page first (one change at a time, each with the record
// as it is when its turn comes), then a round per audience of the plan.

export class MaintenancePublications {
  private pageChain: Promise<void> = Promise.resolve();
  private publishing = 0;

  constructor(
    private readonly maintenance: MaintenanceStateMachine,
    private readonly tracker: RoundTracker,
  ) {}

  /** No publication of this run is still running, and no round it started is in flight. */
  idle(): boolean {
    return this.publishing === 0 && this.tracker.inFlight === 0;
  }

  publish(p: MaintenancePublication): void {
    const { state, policy } = this.maintenance;
    this.publishing += 1;
    void (async () => {
      try {
        this.pageChain = this.pageChain.then(() =>
          publishToPage(state.drill, { kind: 'maintenance', maintenance: this.pageRecord() }),
        );
        await this.pageChain;
        await startRounds(
          this.tracker,
          {
            ownerId: state.id,
            seq: p.seq,
            phase: p.phase,
            templateId: policy.templates[p.phase],
            facts: p.facts,
            components: state.components,
            drill: state.drill,
            statusUrl: policy.statusUrl,
          },
          policy.audiences,
        );
      } finally {
        this.publishing -= 1;
        this.maintenance.changes += 1;
      }
    })();
  }

  private pageRecord(): PageMaintenance {
    const state = this.maintenance.state;
    const componentStatuses: Record<string, ComponentStatus> =
      state.status === 'in_progress' ? Object.fromEntries(state.components.map((c) => [c, 'under_maintenance' as const])) : {};
    return {
      id: state.id,
      name: state.title,
      status: state.status === 'cancelled' ? 'completed' : state.status,
      impact: 'maintenance',
      createdAt: state.createdAt,
      updatedAt: this.maintenance.now(),
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
}
