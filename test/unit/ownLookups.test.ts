import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveAgainstPlan } from '../../api/routes/incidents';
import { maintenanceAgainstPlan } from '../../api/routes/maintenances';
import { renderPreview } from '../../api/routes/plan';
import { Problem } from '../../api/problem';
import { buildDrillInput, DrillRequestError } from '../../core/drillInput';
import { incidentPolicy, maintenancePolicy } from '../../core/policy';
import { createTemplateRenderer } from '../../core/render';
import { routeAlert } from '../../core/routing';
import { componentNames, subscriptionLabels, SUBSCRIPTION_LABELS } from '../../core/subscriptions';
import { examplePlan } from '../support/config';

// Plan keys that come from requests are looked up on the plan's own entries: "constructor",
// "toString" or "__proto__" name nothing, and are refused the way any unknown name is.

const plan = examplePlan();
const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

test('an alert whose severity label names an inherited key gets the default severity, not a function', () => {
  for (const severity of INHERITED) {
    const labels = JSON.parse(JSON.stringify({ component: 'api', severity })) as Record<string, string>;
    const routed = routeAlert(plan, labels);
    assert.deepEqual(routed, { scenario: 'outage', severity: 'sev2', components: ['api'] }, severity);
  }
});

test('alert labels are read from the alert itself: a missing component label is not found on the prototype', () => {
  const routed = routeAlert({ ...plan, routing: { ...plan.routing, componentLabel: 'constructor' } }, { severity: 'critical' });
  assert.ok('error' in routed && /has no "constructor" label/.test(routed.error), JSON.stringify(routed));
});

test('a preview of an inherited scenario name is an unknown scenario (422), not a 500', () => {
  const renderer = createTemplateRenderer();
  for (const scenario of INHERITED.filter((s) => /^[a-z0-9][a-z0-9-]*$/.test(s))) {
    assert.throws(
      () => renderPreview(plan, renderer, { scenario, channel: 'email', kind: 'external' }),
      (err: unknown) => err instanceof Problem && err.status === 422 && err.title === 'Unknown scenario',
      scenario,
    );
  }
});

test('declaring an incident or scheduling maintenance with scenario "constructor" says it is unknown', () => {
  const declare = {
    title: 'Payments down',
    scenario: 'constructor',
    components: ['payments'],
    message: 'Card payments fail.',
  };
  assert.throws(
    () => resolveAgainstPlan(plan, declare, 'op', 'http://localhost:8080'),
    (err: unknown) =>
      err instanceof Problem &&
      /unknown scenario "constructor"/.test(err.detail ?? '') &&
      !/is a maintenance scenario/.test(err.detail ?? ''),
  );
  const start = new Date(Date.now() + 86_400_000);
  assert.throws(
    () =>
      maintenanceAgainstPlan(
        plan,
        {
          ...declare,
          scheduledFor: start.toISOString(),
          scheduledUntil: new Date(start.getTime() + 3_600_000).toISOString(),
        },
        'op',
        'http://localhost:8080',
      ),
    (err: unknown) => err instanceof Problem && /unknown scenario "constructor"/.test(err.detail ?? ''),
  );
  assert.throws(() => incidentPolicy(plan, 'constructor'), /"constructor" is not an incident scenario/);
  assert.throws(() => maintenancePolicy(plan, 'constructor'), /"constructor" is not a maintenance scenario/);
  assert.throws(
    () => buildDrillInput(plan, { scenario: 'constructor' } as never, { statusUrl: 'http://localhost:8080' }),
    (err: unknown) => err instanceof DrillRequestError && /unknown scenario "constructor"/.test(err.message),
  );
});

test('words and names in an inherited locale fall back to the default locale', () => {
  assert.equal(subscriptionLabels('constructor'), SUBSCRIPTION_LABELS.en);
  const [name] = componentNames(plan, [plan.components[0]!.id], 'constructor');
  assert.equal(name, plan.components[0]!.name[plan.page.defaultLocale]);
});
