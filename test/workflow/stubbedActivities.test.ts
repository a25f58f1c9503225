import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { InlineRound } from '../../activities/deliver';
import { createDrillActivities } from '../../activities/drill';
import type { NotifyRequest } from '../../core/notify';
import { incidentPolicy } from '../../core/policy';
import type { PageChange, PageIncident } from '../../core/statuspage/types';
import {
  approve,
  INCIDENT_WORKFLOW,
  incidentStateQuery,
  resolveIncident,
  type IncidentInput,
  type IncidentState,
  type IncidentWorkflow,
} from '../../workflows/contracts/incident';
import { startDevServer, temporalCliPath, type DevServer } from '../../scripts/devServer';
import { bundleWorkflows } from '../../worker/createWorker';
import { examplePlan, testConfig } from '../support/config';
import { freePort } from '../support/ports';
import { eventually } from '../support/temporal';

// The incident workflow's logic with its activities stubbed (samples-typescript workflows-mocks): no
// store, no providers, no page rendering — a round is recorded and reported sent at once, a page
// change is recorded. Plan durations are shortened with the policy's time scale (the dev server does
// not skip time). These pin approval gating and the update cadence in seconds; the tests beside them
// run the same workflows with every real activity.

interface RoundCall {
  phase: string;
  standsFor: string;
  /** The operator's words the round carries; null = the plan's wording. */
  message: unknown;
  at: number;
}

describe('incident workflow with stubbed activities', () => {
  let env: TestWorkflowEnvironment;
  let own: DevServer | undefined;
  let workflowBundle: { code: string };
  let address: string;

  before(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    if (process.env.HERALD_TEST_TEMPORAL_ADDRESS) address = process.env.HERALD_TEST_TEMPORAL_ADDRESS;
    else {
      own = await startDevServer({ binary: temporalCliPath(), port: await freePort(), stdio: 'ignore' });
      address = own.address;
    }
    env = await TestWorkflowEnvironment.createFromExistingServer({ address });
    workflowBundle = process.env.HERALD_TEST_WORKFLOW_BUNDLE
      ? { code: readFileSync(process.env.HERALD_TEST_WORKFLOW_BUNDLE, 'utf8') }
      : await bundleWorkflows();
  });
  after(async () => {
    await env?.teardown();
    await own?.stop();
  });

  /** A worker whose activities record what the workflow asked for. */
  async function stubbedWorker() {
    const taskQueue = `stubbed-${randomBytes(4).toString('hex')}`;
    const rounds: RoundCall[] = [];
    const pages: PageIncident[] = [];
    const activities = {
      async runRoundInline(request: NotifyRequest): Promise<InlineRound> {
        rounds.push({
          phase: request.phase,
          standsFor: request.standsFor!,
          message: request.facts.message ?? null,
          at: Date.now(),
        });
        const now = new Date().toISOString();
        return {
          inline: true,
          report: {
            roundId: request.roundId,
            audienceId: request.audienceId,
            phase: request.phase,
            recipients: 1,
            sent: 1,
            failedPermanently: 0,
            suppressed: 0,
            optedOut: 0,
            retried: 0,
            possibleDuplicates: 0,
            byChannel: {},
            startedAt: now,
            finishedAt: now,
            firstSentAt: now,
          },
        };
      },
      async sendPageChange(input: { drill: boolean; change: PageChange }): Promise<void> {
        if (input.change.kind === 'incident') pages.push(input.change.incident);
      },
    };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
    return { worker, taskQueue, rounds, pages };
  }

  function input(scenario: string, timeScale: number): IncidentInput {
    const plan = examplePlan();
    return {
      title: 'Card payments failing',
      scenario,
      severity: 'sev1',
      components: ['payments'],
      impact: 'Card payments are failing for some customers.',
      owner: 'bob',
      drill: false,
      declaredBy: 'alice',
      policy: incidentPolicy(plan, scenario, { timeScale }),
    };
  }

  const start = (taskQueue: string, i: IncidentInput) =>
    env.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId: `incident-stubbed-${randomBytes(4).toString('hex')}`,
      taskQueue,
      args: [i],
    });
  const of = (rounds: RoundCall[], phase: string) =>
    rounds
      .filter((r) => r.phase === phase)
      .map((r) => r.standsFor)
      .sort();

  test('gated audiences wait for the approval; then they get the approved words, and so does the page', async () => {
    const { worker, taskQueue, rounds, pages } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1)); // approval timeout: 10 minutes
      await eventually(async () => (pages.length >= 1 && rounds.length >= 1 ? true : undefined), 10_000, 'staff round and page');
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(of(rounds, 'initial'), ['staff'], 'only the ungated audience heard');
      assert.equal(
        rounds[0]!.message,
        'Card payments are failing for some customers.',
        "staff hear the operator's words at once",
      );
      const first = pages[0]!.updates[0]!;
      assert.equal(first.body, undefined, 'the page does not show words nobody approved');
      assert.equal(first.wording?.[0]?.key, 'incident.initial', "the page shows the plan's wording meanwhile");

      const { approved } = await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
      assert.deepEqual(approved, [1]);
      await eventually(async () => (of(rounds, 'initial').length === 3 ? true : undefined), 10_000, 'gated rounds');
      assert.deepEqual(of(rounds, 'initial'), ['customers', 'enterprise', 'staff']);
      assert.ok(
        rounds.every((r) => r.message === 'Card payments are failing for some customers.'),
        'the approved words went out',
      );
      await eventually(async () => (pages.length >= 2 ? true : undefined), 10_000, 'the page updated in place');
      assert.equal(pages[1]!.updates[0]!.id, first.id, 'the same update, changed in place');
      assert.equal(pages[1]!.updates[0]!.body, 'Card payments are failing for some customers.');
      assert.equal((await h.query(incidentStateQuery)).approvals[0]!.decision, 'approved');
      await h.terminate('test done');
    });
  });

  test("an approval that does not come times out to the plan's wording for the gated audiences", async () => {
    const { worker, taskQueue, rounds, pages } = await stubbedWorker();
    await worker.runUntil(async () => {
      const started = Date.now();
      const h = await start(taskQueue, input('outage', 600)); // approval timeout: 10 minutes / 600 = 1 s
      await eventually(async () => (of(rounds, 'initial').length === 3 ? true : undefined), 10_000, 'every initial round');
      const gated = rounds.filter((r) => r.standsFor !== 'staff');
      assert.ok(
        gated.every((r) => r.message === null),
        "customers and enterprise got the plan's wording",
      );
      assert.ok(
        gated.every((r) => r.at - started >= 900),
        'not before the timeout',
      );
      const s: IncidentState = await h.query(incidentStateQuery);
      assert.equal(s.approvals[0]!.decision, 'timed-out');
      assert.equal(s.approvals[0]!.by, 'herald:approval-timeout');
      assert.ok(
        pages.every((p) => p.updates.every((u) => u.body === undefined)),
        'the unapproved words never reach the page',
      );
      await h.terminate('test done');
    });
  });

  test('a missed cadence posts the holding update and escalates to the owner and staff', async () => {
    const { worker, taskQueue, rounds, pages } = await stubbedWorker();
    await worker.runUntil(async () => {
      const started = Date.now();
      const h = await start(taskQueue, input('degradation', 1800)); // sev1 cadence: 30 minutes / 1800 = 1 s
      await eventually(async () => (of(rounds, 'holding').length === 2 ? true : undefined), 10_000, 'holding rounds');
      assert.deepEqual(of(rounds, 'holding'), ['customers', 'staff'], 'every audience hears the holding update');
      assert.ok(
        rounds.filter((r) => r.phase === 'holding').every((r) => r.message === null && r.at - started >= 900),
        "in the plan's wording, once the cadence has passed",
      );
      const s = await h.query(incidentStateQuery);
      assert.deepEqual(
        s.timeline.slice(0, 3).map((e) => e.kind),
        ['declared', 'holding', 'escalation'],
      );
      assert.equal(s.escalations[0]!.reason, 'update cadence missed');
      assert.deepEqual(s.escalations[0]!.to, ['bob', 'staff']);
      await eventually(
        async () => (pages.some((p) => p.updates.some((u) => u.wording?.[0]?.key === 'incident.holding')) ? true : undefined),
        10_000,
        'the holding update on the page',
      );
      const r = await h.executeUpdate(resolveIncident, { args: [{ message: 'Payments are fast again.', by: 'alice' }] });
      assert.equal(r.status, 'resolved');
      assert.equal((await h.result()).nextUpdateDue, null);
    });
  });

  test('drillAct (MockActivityEnvironment) reports what the incident accepted and what its validators refused', async () => {
    const { worker, taskQueue } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1));
      const config = testConfig(address);
      const activities = createDrillActivities({ config, plan: examplePlan(), client: env.client });
      const act = new MockActivityEnvironment({ attempt: 1 });
      const approved = await act.run(activities.drillAct, { workflowId: h.workflowId, action: { kind: 'approve' as const } });
      assert.deepEqual(approved, { ok: true, detail: 'approve' });
      const again = await act.run(activities.drillAct, { workflowId: h.workflowId, action: { kind: 'approve' as const } });
      assert.deepEqual(again, { ok: false, detail: 'approve refused: nothing is waiting for approval' });
      const which: Parameters<typeof activities.drillTargetState>[0] = { workflowId: h.workflowId, kind: 'incident' };
      const target = await act.run(activities.drillTargetState, which);
      const state = target as IncidentState;
      assert.deepEqual(
        state.timeline.map((e) => e.kind),
        ['declared', 'approval'],
      );
      await h.terminate('test done');
    });
  });
});
