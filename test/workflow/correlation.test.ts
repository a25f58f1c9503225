import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alertId } from '../../core/correlation';
import { alertIncidentQuery, correlationSummaryQuery, correlationWorkflowId } from '../../workflows/contracts/correlation';
import { incidentStateQuery, postUpdate, resolveIncident, type IncidentState } from '../../workflows/contracts/incident';
import { groupDelivery, handToRouter, routerSettled } from '../support/correlation';
import { startTestWorker, type RunningWorker } from '../support/herald';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// The alert router and the incidents it feeds, on a real dev server and worker, without the API in
// between: a storm of 10,000 alerts, flapping, out-of-order deliveries, and what happens after the
// incident an alert belonged to is resolved.

describe('alert correlation on a real dev server', () => {
  let t: TestTemporal;
  let w: RunningWorker;
  const run = Math.random().toString(36).slice(2, 8);

  before(async () => {
    t = await testTemporal();
    w = await startTestWorker(t);
  });
  after(async () => {
    await w?.stop();
    await t?.teardown();
  });

  let decided = 0;
  const hand = async (deliveries: ReturnType<typeof groupDelivery>[], input = {}) => {
    await handToRouter(t.client, w.config.temporal.taskQueue, w.plan, deliveries, input);
    decided += deliveries.length;
    return routerSettled(t.client, w.plan, decided, 180_000);
  };
  const router = () => t.client.workflow.getHandle(correlationWorkflowId(w.plan.page.id));
  const incidentOf = async (fp: string) => router().query(alertIncidentQuery, alertId('alertmanager', fp));
  const state = (id: string) => t.client.workflow.getHandle(id).query(incidentStateQuery) as Promise<IncidentState>;
  const until = (id: string, check: (s: IncidentState) => boolean, what: string) =>
    eventually(
      async () => {
        const s = await state(id);
        return check(s) ? s : undefined;
      },
      30_000,
      what,
    );
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

  test('a storm of 10,000 alerts opens one incident; it keeps 20 alert details and the counts, and every history stays small', async () => {
    const deliveries = Array.from({ length: 10_000 }, (_, i) => groupDelivery(w.plan, `big-${run}-${i}`, 'api'));
    // The router continues as new often here, so the storm crosses several runs.
    for (let i = 0; i < deliveries.length; i += 500)
      await handToRouter(t.client, w.config.temporal.taskQueue, w.plan, deliveries.slice(i, i + 500), {
        continueAsNewAfterSteps: 20,
      });
    decided += deliveries.length;
    const s = await routerSettled(t.client, w.plan, decided, 300_000);
    const storm = s.incidents.filter((i) => i.components.includes('api'));
    assert.deepEqual(
      storm.map((i) => [i.alerts, i.firing]),
      [[10_000, 10_000]],
    );
    // It continues as new once nothing is in flight: the settled book may still be the first run's.
    const runs = await eventually(
      async () => {
        const r = (await router().query(correlationSummaryQuery)).runs;
        return r >= 2 ? r : undefined;
      },
      30_000,
      'the router to continue as new',
    );
    assert.ok(runs >= 2, `the router continued as new (${runs} runs) and kept what it knew`);
    const id = storm[0]!.id;
    const incident = await until(id, (x) => x.monitoring.total === 10_000, 'the counts to reach the incident');
    assert.equal(incident.monitoring.alerts.length, 20, 'the details of the first 20 alerts');
    assert.equal(incident.timeline.filter((e) => e.kind === 'alert').length, 20, 'the first 20 on the internal timeline');
    assert.equal(incident.monitoring.firing, 10_000);
    const events = (await t.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    assert.ok(events < 400, `the incident's history stays small (${events} events for 10,000 alerts)`);

    // An alert of the first batch resolves after the router continued as new: it still knows it.
    await hand([groupDelivery(w.plan, `big-${run}-0`, 'api', [{ fp: `big-${run}-0`, status: 'resolved', endsAt: ago(1000) }])]);
    await until(id, (x) => x.monitoring.firing === 9_999, 'the resolution to count');
    assert.equal((await state(id)).status, 'investigating', 'monitoring only when every alert has resolved');
  });

  test('flapping sends nothing new; monitoring only when all alerts resolved; an operator can take it back to identified', async () => {
    const g = `flap-${run}`;
    const [a, b] = [`${g}-a`, `${g}-b`];
    await hand([groupDelivery(w.plan, g, 'website', [{ fp: a }, { fp: b }])]);
    const id = (await incidentOf(a))!;
    assert.ok(id);
    const told = await until(id, (x) => x.deliveries.length > 0 && x.deliveries.every((d) => d.report), 'the first notices');
    const firstNotices = told.deliveries.length;

    await hand([groupDelivery(w.plan, g, 'website', [{ fp: a, status: 'resolved', endsAt: ago(500) }, { fp: b }])]);
    await until(id, (x) => x.monitoring.firing === 1, 'one of two resolved');
    assert.equal((await state(id)).status, 'investigating', 'one alert still fires');

    await hand([groupDelivery(w.plan, g, 'website', [{ fp: b, status: 'resolved', endsAt: ago(400) }])]);
    const watched = await until(id, (x) => x.status === 'monitoring' && x.deliveries.every((d) => d.report), 'monitoring');
    const afterMonitoring = watched.deliveries.length;
    assert.ok(afterMonitoring > firstNotices, 'customers hear that it is being monitored, once');

    // a fires again (a new episode), and resolves again: back and forth, recorded, told to nobody.
    await hand([groupDelivery(w.plan, g, 'website', [{ fp: a, startsAt: ago(300) }])]);
    await until(id, (x) => x.status === 'investigating', 'back to investigating');
    await hand([groupDelivery(w.plan, g, 'website', [{ fp: a, status: 'resolved', startsAt: ago(300), endsAt: ago(100) }])]);
    const flapped = await until(id, (x) => x.status === 'monitoring', 'monitoring again');
    assert.equal(flapped.deliveries.length, afterMonitoring, 'no new message for the flap');
    assert.equal(flapped.timeline.filter((e) => e.kind === 'monitoring').length, 3, 'each move is on the timeline');
    assert.equal(flapped.pageUpdates.length, watched.pageUpdates.length, 'and no new update on the page');

    const back = await t.client.workflow.getHandle(id).executeUpdate(postUpdate, {
      args: [{ status: 'identified', message: 'The fix did not hold; we are working on another.', by: 'alice' }],
    });
    assert.equal(back.status, 'identified');
    const s = await state(id);
    assert.equal(s.monitoring.statusBefore, null);
  });

  test('a resolution that arrives before its firing keeps that firing from opening an incident; a later episode opens one', async () => {
    const fp = `late-${run}`;
    const startsAt = ago(60_000);
    await hand([groupDelivery(w.plan, fp, 'invoicing', [{ fp, status: 'resolved', startsAt, endsAt: ago(30_000) }])]);
    const before = (await router().query(correlationSummaryQuery)).counts;
    await hand([groupDelivery(w.plan, fp, 'invoicing', [{ fp, startsAt }])]);
    const after = (await router().query(correlationSummaryQuery)).counts;
    assert.equal(after.stale, before.stale + 1);
    assert.equal(after.opened, before.opened);
    assert.equal(await incidentOf(fp), null, 'it opened nothing');
    await hand([groupDelivery(w.plan, fp, 'invoicing', [{ fp, startsAt: ago(1000) }])]);
    assert.ok(await incidentOf(fp), 'a firing that started after the resolution opens one');
  });

  test('after its incident is resolved, the router knows at once and new alerts open a new incident', async () => {
    const first = `after-${run}-1`;
    await hand([groupDelivery(w.plan, first, 'payments')]);
    const id = (await incidentOf(first))!;
    await until(id, (x) => x.deliveries.length > 0 && x.deliveries.every((d) => d.report), 'the first notices');
    await t.client.workflow
      .getHandle(id)
      .executeUpdate(resolveIncident, { args: [{ message: 'Payments work again.', by: 'alice' }] });
    await eventually(
      async () =>
        (await router().query(correlationSummaryQuery)).incidents.find((i) => i.id === id)?.closedAtMs ? true : undefined,
      20_000,
      'the incident to tell the router it closed',
    );
    const next = `after-${run}-2`;
    await hand([groupDelivery(w.plan, next, 'payments')]);
    const other = await incidentOf(next);
    assert.ok(other && other !== id, `a new incident (${other})`);
  });
});
