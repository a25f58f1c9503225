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
  changeImpact,
  INCIDENT_WORKFLOW,
  incidentStateQuery,
  monitoringSignal,
  postUpdate,
  rejectMessage,
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
  seq: number;
  request: NotifyRequest;
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
          seq: Number(/-(\d+)-[a-zA-Z]+-[a-z-]+$/.exec(request.roundId)?.[1]),
          request,
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
      assert.equal(first.wording?.[0]?.key, 'incident.investigatingFor', "the page shows the plan's wording meanwhile");
      assert.deepEqual(first.wording?.[0]?.functions, ['payments'], 'naming the affected function');

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
        async () => (pages.some((p) => p.updates.some((u) => u.wording?.[0]?.key === 'incident.holdingFor')) ? true : undefined),
        10_000,
        'the holding update on the page',
      );
      const r = await h.executeUpdate(resolveIncident, { args: [{ message: 'Payments are fast again.', by: 'alice' }] });
      assert.equal(r.status, 'resolved');
      assert.equal((await h.result()).nextUpdateDue, null);
    });
  });

  /** An update its validator refused, for the reason given. */
  const refused = (update: Promise<unknown>, reason: RegExp, message?: string) =>
    assert.rejects(update, (err: Error & { cause?: Error }) => reason.test(err.cause?.message ?? err.message), message);
  const gatedOf = (rounds: RoundCall[]) => rounds.filter((r) => r.standsFor === 'customers' || r.standsFor === 'enterprise');
  const settle = () => new Promise((r) => setTimeout(r, 700));

  test('a newer update folds into the message that waits: one message, the words that stand, framed as the first notice', async () => {
    const { worker, taskQueue, rounds } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1)); // approval timeout: 10 minutes
      const identified = await h.executeUpdate(postUpdate, {
        args: [{ status: 'identified', message: 'We found the cause and are fixing it.', by: 'alice' }],
      });
      assert.equal(identified.approval, 'pending');
      await eventually(async () => (rounds.filter((r) => r.standsFor === 'staff').length === 2 ? true : undefined));
      await settle();
      assert.deepEqual(gatedOf(rounds), [], 'customers hear nothing while the first notice waits');
      const waiting = (await h.query(incidentStateQuery)).awaitingApproval!;
      assert.equal(waiting.seq, identified.seq);
      assert.deepEqual(waiting.carries, [1, identified.seq]);
      assert.deepEqual(waiting.audiences, ['customers', 'enterprise']);
      const staffNote = rounds.find((r) => r.standsFor === 'staff' && r.seq === identified.seq)!.request.facts.awaitingApproval;
      assert.deepEqual(staffNote, { seq: identified.seq, audiences: ['customers', 'enterprise'], sendsAt: waiting.sendsAt });
      assert.equal(gatedOf(rounds).length, 0);
      await refused(
        h.executeUpdate(approve, { args: [{ by: 'carol', seq: 1 }] }),
        /1 was folded into 2.*approve 2/,
        'the superseded message cannot be approved on its own',
      );
      const { approved } = await h.executeUpdate(approve, { args: [{ by: 'carol', seq: identified.seq }] });
      assert.deepEqual(approved, [1, identified.seq]);
      await eventually(async () => (gatedOf(rounds).length === 2 ? true : undefined), 10_000, 'the gated rounds');
      await settle();
      const gated = gatedOf(rounds);
      assert.equal(gated.length, 2, 'one message per audience');
      for (const r of gated) {
        assert.equal(r.phase, 'initial', 'framed as the first notice');
        assert.equal(r.message, 'We found the cause and are fixing it.', 'the words that stand');
        assert.equal(r.request.facts.status, 'identified', 'the state as it is now');
        assert.equal(r.request.facts.impact, undefined, 'the superseded first words do not go');
      }
      const s = await h.query(incidentStateQuery);
      assert.equal(s.awaitingApproval, null);
      assert.deepEqual(
        s.approvals.map((a) => [a.seq, a.decision, a.foldedInto ?? null]),
        [
          [1, 'folded', identified.seq],
          [identified.seq, 'approved', null],
        ],
      );
      const page = s.pageUpdates.find((u) => u.id.endsWith(`-${identified.seq}`))!;
      assert.equal(page.body, 'We found the cause and are fixing it.', 'the approved words on the page');
      assert.equal(s.pageUpdates[0]!.body, undefined, 'the superseded words never reach the page');
      await h.terminate('test done');
    });
  });

  test('monitoring waits for approval too, and later messages follow in phase order', async () => {
    const { worker, taskQueue, rounds } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1));
      await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
      await eventually(async () => (gatedOf(rounds).length === 2 ? true : undefined));
      await h.signal(monitoringSignal, {
        state: 'resolved',
        alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'p' },
      });
      await eventually(async () => ((await h.query(incidentStateQuery)).awaitingApproval ? true : undefined), 10_000, 'held');
      await eventually(async () =>
        rounds.filter((r) => r.standsFor === 'staff' && r.phase === 'update').length ? true : undefined,
      );
      await settle();
      assert.equal(gatedOf(rounds).length, 2, 'the monitoring update does not bypass approval');
      const r = await h.executeUpdate(resolveIncident, { args: [{ message: 'Payments work again.', by: 'alice' }] });
      assert.equal(r.approval, 'pending');
      await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
      await h.result();
      const later = gatedOf(rounds).slice(2);
      assert.deepEqual(
        later.map((x) => [x.phase, x.message]),
        [
          ['resolved', 'Payments work again.'],
          ['resolved', 'Payments work again.'],
        ],
        'one closing message, never the superseded monitoring one',
      );
    });
  });

  test("each waiting message times out from when it was asked for, to the plan's wording of the phase reached", async () => {
    const { worker, taskQueue, rounds } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 600)); // approval timeout 1 s, sev1 cadence 3 s
      await new Promise((r) => setTimeout(r, 400));
      await h.executeUpdate(postUpdate, { args: [{ status: 'identified', message: 'We found the cause.', by: 'alice' }] });
      await eventually(async () => (gatedOf(rounds).length === 2 ? true : undefined), 10_000, 'the timed-out first notice');
      let s = await h.query(incidentStateQuery);
      const ms = (iso: string | null | undefined) => Date.parse(iso!);
      const [declared, identified] = s.approvals;
      assert.equal(ms(identified!.sendsAt) - ms(declared!.requestedAt), 1_000, 'the fold keeps the first request’s deadline');
      assert.ok(ms(identified!.decidedAt) >= ms(identified!.sendsAt));
      const first = gatedOf(rounds);
      assert.ok(
        first.every((r) => r.at >= ms(identified!.sendsAt)),
        'not before its time',
      );
      assert.ok(
        first.every((r) => r.phase === 'initial' && r.message === null && r.request.facts.status === 'identified'),
        "the plan's wording of the phase reached",
      );
      assert.ok(
        first.every((r) => r.request.facts.impact === undefined),
        'no unapproved words',
      );
      await h.executeUpdate(postUpdate, { args: [{ status: 'monitoring', message: 'The fix is in.', by: 'alice' }] });
      await eventually(async () => (gatedOf(rounds).length === 4 ? true : undefined), 10_000, 'the second timeout');
      s = await h.query(incidentStateQuery);
      const monitoring = s.approvals[2]!;
      assert.equal(ms(monitoring.sendsAt) - ms(monitoring.requestedAt), 1_000, 'its own timer, from its own request');
      const second = gatedOf(rounds).slice(2);
      assert.ok(second.every((r) => r.at >= ms(monitoring.sendsAt) && r.phase === 'update' && r.message === null));
      assert.deepEqual(
        s.approvals.map((a) => a.decision),
        ['folded', 'timed-out', 'timed-out'],
      );
      await h.terminate('test done');
    });
  });

  test('a rejected message goes to nobody; the next one is framed as the first notice', async () => {
    const { worker, taskQueue, rounds, pages } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1));
      await refused(h.executeUpdate(rejectMessage, { args: [{ seq: 1, reason: ' ', by: 'carol' }] }), /reason: say why/);
      const { rejected } = await h.executeUpdate(rejectMessage, {
        args: [{ seq: 1, reason: 'Names the wrong product.', by: 'carol' }],
      });
      assert.deepEqual(rejected, [1]);
      await refused(h.executeUpdate(approve, { args: [{ by: 'carol' }] }), /nothing is waiting for approval/);
      await settle();
      assert.deepEqual(gatedOf(rounds), []);
      const s = await h.query(incidentStateQuery);
      assert.deepEqual(
        [s.approvals[0]!.decision, s.approvals[0]!.reason, s.approvals[0]!.by],
        ['rejected', 'Names the wrong product.', 'carol'],
      );
      assert.ok(s.timeline.some((e) => e.kind === 'rejection' && e.by === 'carol'));
      assert.ok(
        pages.every((p) => p.updates.every((u) => u.body === undefined)),
        'the rejected words never reach the page',
      );
      const u = await h.executeUpdate(postUpdate, {
        args: [{ status: 'investigating', message: 'Card payments fail for most customers.', by: 'alice' }],
      });
      await h.executeUpdate(approve, { args: [{ by: 'carol', seq: u.seq }] });
      await eventually(async () => (gatedOf(rounds).length === 2 ? true : undefined));
      assert.ok(gatedOf(rounds).every((r) => r.phase === 'initial' && r.message === 'Card payments fail for most customers.'));
      await h.terminate('test done');
    });
  });

  test('widening tells everyone: an update naming the new function to those told, the first notice to the newly affected', async () => {
    const { worker, taskQueue, rounds, pages } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1));
      await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
      await eventually(async () => (gatedOf(rounds).length === 2 ? true : undefined));
      const before = rounds.length;
      const c = await h.executeUpdate(changeImpact, { args: [{ components: ['invoicing'], by: 'alice' }] });
      await eventually(async () => (rounds.length - before === 6 ? true : undefined), 10_000, 'six rounds');
      await settle();
      const widened = rounds.slice(before);
      assert.equal(widened.length, 6, widened.map((r) => `${r.standsFor} ${r.phase}`).join(', '));
      for (const audience of ['customers', 'enterprise', 'staff']) {
        const update = widened.find((r) => r.standsFor === audience && r.phase === 'update')!;
        assert.deepEqual(update.request.components, ['payments'], `${audience}: the update goes to those told before`);
        assert.deepEqual(update.request.facts.newlyAffected, ['invoicing'], `${audience}: and names what is new`);
        const initial = widened.find((r) => r.standsFor === audience && r.phase === 'initial')!;
        assert.deepEqual(initial.request.components, ['invoicing']);
        assert.deepEqual(initial.request.excludeComponents, ['payments'], `${audience}: a first notice to the newly affected`);
      }
      await eventually(
        async () =>
          pages.some((p) =>
            p.updates.some((u) => u.id.endsWith(`-${c.seq}`) && u.wording?.some((w) => w.key === 'incident.widened')),
          )
            ? true
            : undefined,
        10_000,
        'the page entry',
      );
      const entry = pages.flatMap((p) => p.updates).find((u) => u.id.endsWith(`-${c.seq}`))!;
      assert.deepEqual(entry.wording?.find((w) => w.key === 'incident.widened')?.functions, ['invoicing']);
      await h.terminate('test done');
    });
  });

  test('a subscriber in several audiences of one message hears it from the one with the highest precedence', async () => {
    const { worker, taskQueue, rounds } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1));
      await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
      await eventually(async () => (gatedOf(rounds).length === 2 ? true : undefined));
      const outranked = (who: string) => rounds.find((r) => r.standsFor === who)!.request.outrankedBy ?? [];
      assert.deepEqual(outranked('customers'), [{ audienceId: 'enterprise', channels: ['email', 'sms', 'chat', 'webhook'] }]);
      assert.deepEqual(outranked('enterprise'), []);
      assert.deepEqual(outranked('staff'), []);
      await h.terminate('test done');
    });
  });

  test('drillAct (MockActivityEnvironment) reports what the incident accepted and what its validators refused', async () => {
    const { worker, taskQueue } = await stubbedWorker();
    await worker.runUntil(async () => {
      const h = await start(taskQueue, input('outage', 1));
      const config = testConfig(address);
      // No store here: drillAct and drillTargetState never read the delivery ledger.
      const store = { deliveriesOf: () => Promise.reject(new Error('this test has no delivery ledger')) };
      const activities = createDrillActivities({ config, plan: examplePlan(), client: env.client, store });
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
