import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Problem } from '../../api/problem';
import { guardExternal } from '../../api/routes/common';
import { resolveAgainstPlan } from '../../api/routes/incidents';
import { maintenanceAgainstPlan } from '../../api/routes/maintenances';
import { incidentSlug } from '../../core/incident';
import { examplePlan } from '../support/config';

// The API refuses what the workflows would: dates beyond the plan's horizon, and a title whose URL
// slug would carry internal detail.

const plan = examplePlan();
const DAY = 86_400_000;
const refusedAt = (path: string) => (err: unknown) =>
  err instanceof Problem && err.status === 422 && ((err.extra.errors as { path: string }[]) ?? []).some((e) => e.path === path);

test('declaring an incident with an ETA in year 9999 is refused', () => {
  const declare = { title: 'Payments down', scenario: 'outage', components: ['payments'], message: 'Card payments fail.' };
  assert.throws(
    () => resolveAgainstPlan(plan, { ...declare, eta: '9999-12-31T00:00:00Z' } as never, 'op', 'http://localhost:8080'),
    refusedAt('eta'),
  );
  const soon = new Date(Date.now() + 2 * 3_600_000).toISOString();
  assert.equal(resolveAgainstPlan(plan, { ...declare, eta: soon } as never, 'op', 'http://localhost:8080').eta, soon);
});

test('scheduling a window beyond the horizon, or ten years long, is refused', () => {
  const body = { title: 'Database upgrade', scenario: 'maintenance', components: ['payments'], message: 'Payments pause.' };
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  assert.throws(
    () =>
      maintenanceAgainstPlan(
        plan,
        { ...body, scheduledFor: '9999-01-01T00:00:00Z', scheduledUntil: '9999-01-01T02:00:00Z' } as never,
        'op',
        'x',
      ),
    refusedAt('scheduledFor'),
  );
  assert.throws(
    () => maintenanceAgainstPlan(plan, { ...body, scheduledFor: at(DAY), scheduledUntil: at(3650 * DAY) } as never, 'op', 'x'),
    refusedAt('scheduledUntil'),
  );
  maintenanceAgainstPlan(plan, { ...body, scheduledFor: at(DAY), scheduledUntil: at(DAY + 7_200_000) } as never, 'op', 'x');
});

test('a title whose slug names a machine is refused at the slug', () => {
  const title = 'Outage on Redis-Master-3';
  assert.equal(incidentSlug(title), 'outage-on-redis-master-3');
  const metrics = { guardRefusals: { inc: () => undefined } } as never;
  assert.throws(
    () => guardExternal({ plan, metrics }, 'incidents', { title, slug: incidentSlug(title), message: 'Payments fail.' }),
    refusedAt('slug'),
  );
});
