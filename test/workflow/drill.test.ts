import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { FAULT_CHECK, FAULTS, STORM_ALERTS, type DrillReport, type DrillStep, type Injection } from '../../core/drill';
import { buildDrillInput, newDrillId } from '../../core/drillInput';
import { DRILL_WORKFLOW, type DrillWorkflow } from '../../workflows/contracts/drill';
import { startTestWorker, type RunningWorker } from '../support/herald';
import { testTemporal, type TestTemporal } from '../support/temporal';

// Every scenario of the example plan rehearsed as a drill on the real dev server, through the real
// incident and maintenance workflows, templates, guard, outbox provider and approvals.

describe('drills', () => {
  let t: TestTemporal;
  let w: RunningWorker;

  before(async () => {
    t = await testTemporal();
    w = await startTestWorker(t);
  });
  after(async () => {
    await w.stop();
    await t.teardown();
  });

  async function runDrill(
    scenario: string,
    timeScale: number,
    inject: Injection[] = [],
    timeline?: DrillStep[],
  ): Promise<DrillReport> {
    const drillId = newDrillId(scenario);
    const input = buildDrillInput(
      w.plan,
      { scenario, timeScale, inject, ...(timeline ? { timeline } : {}) },
      { statusUrl: 'http://localhost:8080/drill', drillId },
    );
    return t.client.workflow.execute<DrillWorkflow>(DRILL_WORKFLOW, {
      workflowId: drillId,
      taskQueue: w.config.temporal.taskQueue,
      args: [input],
    });
  }
  const failing = (r: DrillReport) => r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);

  // The maintenance drill's default timeline starts the window after the 72 h reminder; at 36,000x
  // the window lasts long enough (20 plan hours = 2 s) for the operator's steps to land inside it.
  const maintenanceTimeline: DrillStep[] = [
    {
      at: '0s',
      action: 'schedule',
      title: 'Planned upgrade (drill)',
      components: ['payments'],
      startsIn: '72h10m',
      lasts: '20h',
      message: 'Payments will be briefly unavailable during planned work.',
    },
    { at: '77h', action: 'maintenance-update', message: 'The work is going to plan.' },
    { at: '87h', action: 'complete' },
  ];
  for (const [scenario, scale, timeline] of [
    ['outage', 600, undefined],
    ['degradation', 600, undefined],
    ['regional-failover', 600, undefined],
    ['maintenance', 36_000, maintenanceTimeline],
  ] as const) {
    test(`the ${scenario} drill passes every check`, async () => {
      const report = await runDrill(scenario, scale, [], timeline);
      assert.deepEqual(failing(report), [], `${scenario} drill checks`);
      assert.equal(report.passed, true);
      assert.ok(report.checks.length >= 8);
      // Only the sandbox audience was written to, and the report files exist.
      for (const f of report.reportFiles ?? []) assert.ok(existsSync(f), f);
      const json = JSON.parse(readFileSync(report.reportFiles![0]!, 'utf8')) as DrillReport;
      assert.equal(json.passed, true);
      assert.ok(
        Object.values(report.counts.byAudience).every((a) => a.sent > 0),
        JSON.stringify(report.counts.byAudience),
      );
      assert.match(readFileSync(report.reportFiles![1]!, 'utf8'), /PASSED/);
      if (scenario === 'outage') console.log(`# outage drill at 600x took ${(report.latencies.drillMs / 1000).toFixed(1)} s`);
    });
  }

  test('an alert storm opens one incident and every sandbox recipient hears the first notice once per audience', async () => {
    const report = await runDrill('outage', 600, ['alert-storm']);
    assert.deepEqual(failing(report), [], 'storm drill checks');
    const absorbed = report.checks.find((c) => c.name === 'storm-absorbed')!;
    assert.match(absorbed.detail, new RegExp(`^${STORM_ALERTS} alert groups opened 1 incident`));
    const byRecipient = Object.entries(report.counts.byRecipient ?? {});
    assert.ok(byRecipient.length > 0, 'notices are counted per recipient');
    for (const [id, n] of byRecipient) {
      assert.ok(n.notices >= 1, `${id} heard something`);
      for (const [audience, k] of Object.entries(n.initial)) assert.equal(k, 1, `${id}: initial notices as ${audience}`);
    }
    assert.match(readFileSync(report.reportFiles![1]!, 'utf8'), /Notices per recipient/);
  });

  for (const fault of FAULTS) {
    test(`injecting ${fault} turns exactly the ${FAULT_CHECK[fault]} check red`, async () => {
      // A long silence between the first update and the resolution: only the holding updates fill it.
      const timeline: DrillStep[] | undefined =
        fault === 'cadence-missed'
          ? [
              {
                at: '0s',
                action: 'fire',
                alert: 'DrillOutage',
                components: ['payments'],
                severity: 'sev1',
                impact: 'Card payments are failing.',
              },
              { at: '5m', action: 'update', status: 'identified', message: 'We found the cause.' },
              { at: '100m', action: 'resolve', message: 'Card payments work again.' },
            ]
          : undefined;
      const report = await runDrill('outage', 600, [fault], timeline);
      const red = report.checks.filter((c) => !c.passed).map((c) => c.name);
      assert.deepEqual(red, [FAULT_CHECK[fault]], failing(report).join('\n'));
      assert.equal(report.passed, false);
      assert.ok(report.checks.find((c) => c.name === FAULT_CHECK[fault])!.detail.length > 10, 'with a clear reason');
    });
  }
});
