import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { plannedReminders } from '../../core/maintenanceReminders';
import { loadPlan } from '../../core/plan/load';

const plan = loadPlan(join(__dirname, '..', '..', 'plans', 'example.yaml'));
const HOUR = 3_600_000;

test('the planned reminder times: the start minus each offset, with what became of each', () => {
  const start = Date.parse('2026-03-13T10:00:00Z');
  const window = {
    scenario: 'maintenance',
    status: 'scheduled',
    scheduledFor: new Date(start).toISOString(),
    // Scheduled 48 hours ahead: the 72 h reminder was already due, so it is skipped.
    scheduleSetAt: new Date(start - 48 * HOUR).toISOString(),
    remindersSent: [24 * HOUR],
  };
  assert.deepEqual(plannedReminders(plan, window), [
    { before: '72h', at: '2026-03-10T10:00:00.000Z', state: 'skipped' },
    { before: '24h', at: '2026-03-12T10:00:00.000Z', state: 'sent' },
    { before: '1h', at: '2026-03-13T09:00:00.000Z', state: 'planned' },
  ]);
  assert.deepEqual(
    plannedReminders(plan, { ...window, status: 'cancelled' }).map((r) => r.state),
    ['skipped', 'sent', 'skipped'],
  );
  assert.deepEqual(plannedReminders(plan, { ...window, scenario: 'outage' }), []);
});
