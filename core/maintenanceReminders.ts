import { parseDuration } from './duration';
import type { Plan } from './plan/schema';

// The reminders a maintenance window's plan promises, with when each goes out and whether it went:
// the window's start minus each offset; one whose moment had passed when the schedule was set is
// skipped (the announcement or the reschedule notice just told everyone).

export interface PlannedReminder {
  /** Before the start, as the plan writes it (e.g. "24h"). */
  before: string;
  at: string;
  state: 'sent' | 'planned' | 'skipped';
}

export function plannedReminders(
  plan: Plan,
  w: { scenario: string; status: string; scheduledFor: string; scheduleSetAt: string; remindersSent: number[] },
): PlannedReminder[] {
  const scenario = plan.scenarios[w.scenario];
  if (!scenario || scenario.kind !== 'maintenance') return [];
  const start = Date.parse(w.scheduledFor);
  return scenario.reminders
    .map((before) => ({ before, offset: parseDuration(before) }))
    .sort((a, b) => b.offset - a.offset)
    .map(({ before, offset }) => {
      const at = start - offset;
      const state = w.remindersSent.includes(offset)
        ? 'sent'
        : at <= Date.parse(w.scheduleSetAt) || w.status !== 'scheduled'
          ? 'skipped'
          : 'planned';
      return { before, at: new Date(at).toISOString(), state };
    });
}
