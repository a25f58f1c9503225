import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { incidentPolicy, type PolicyOptions } from '../../core/policy';
import { HeraldComponents, HeraldSeverity, HeraldStatus } from '../../core/searchAttributes';
import {
  approve,
  changeImpact,
  INCIDENT_WORKFLOW,
  type IncidentWorkflow,
  incidentStateQuery,
  monitoringSignal,
  postUpdate,
  resolveIncident,
  type IncidentInput,
  type IncidentState,
} from '../../workflows/contracts/incident';
import { pageStateQuery, statusPageWorkflowId } from '../../workflows/contracts/statusPage';
import { startTestWorker, type RunningWorker } from '../support/herald';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// Durations are compressed through the plan's own parameters: a time scale divides every plan
// duration (cadence, approval timeout, quiet period), as drills do.

describe('incident lifecycle on a real dev server', () => {
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

  function input(over: Partial<IncidentInput> = {}, policy: PolicyOptions & { scenario?: string } = {}): IncidentInput {
    const scenario = over.scenario ?? policy.scenario ?? 'outage';
    return {
      title: 'Card payments failing',
      scenario,
      severity: 'sev1',
      components: ['payments'],
      impact: 'Card payments are failing for some customers.',
      drill: false,
      declaredBy: 'alice',
      technicalDetail: 'payments-db-3.acme.internal connection pool exhausted',
      owner: 'bob',
      policy: incidentPolicy(w.plan, scenario, { timeScale: 60, ...policy }),
      ...over,
    };
  }

  async function declare(i: IncidentInput): Promise<WorkflowHandle<IncidentWorkflow>> {
    return t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId: `incident-test-${randomBytes(4).toString('hex')}`,
      taskQueue: w.config.temporal.taskQueue,
      args: [i],
    });
  }
  const state = (h: WorkflowHandle<IncidentWorkflow>) => h.query(incidentStateQuery);
  const until = (h: WorkflowHandle<IncidentWorkflow>, check: (s: IncidentState) => boolean, what: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const s = await state(h);
        return check(s) ? s : undefined;
      },
      timeoutMs,
      what,
    );
  /** Resolves, approving the resolution's wording where the plan wants approval. */
  async function finish(h: WorkflowHandle<IncidentWorkflow>): Promise<IncidentState> {
    const r = await h.executeUpdate(resolveIncident, { args: [{ message: 'Resolved.', by: 'alice' }] });
    if (r.approval === 'pending') await h.executeUpdate(approve, { args: [{ by: 'carol', seq: r.seq }] });
    const final = await h.result();
    assertRoundsSucceeded(final);
    return final;
  }
  function assertRoundsSucceeded(s: IncidentState) {
    const failed = s.deliveries.filter((d) => d.error !== null || d.report === null);
    assert.deepEqual(
      failed.map((d) => `${d.roundId}: ${d.error}`),
      [],
      'every round completed',
    );
  }
  const roundsOf = (s: IncidentState, phase: string) => s.deliveries.filter((d) => d.phase === phase);

  test('declare → update → resolved: every audience hears the initial notice, the update and the resolution', async () => {
    const h = await declare(input({}, { timeScale: 1 }));
    // Staff hear at once; customers and enterprise wait for approval of the operator's words.
    let s = await until(
      h,
      (x) => roundsOf(x, 'initial').length === 1 && x.approvals.length === 1,
      'the internal initial round and a pending approval',
    );
    assert.equal(roundsOf(s, 'initial')[0]!.standsFor, 'staff');
    assert.equal(s.approvals[0]!.decision, 'pending');
    await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
    s = await until(h, (x) => roundsOf(x, 'initial').length === 3, 'initial rounds for all three audiences');
    assert.deepEqual(
      roundsOf(s, 'initial')
        .map((d) => d.standsFor)
        .sort(),
      ['customers', 'enterprise', 'staff'],
    );
    assert.ok(
      roundsOf(s, 'initial').every((d) => d.operatorWording),
      'the approved words went out',
    );
    assert.equal(s.approvals[0]!.decision, 'approved');
    assert.equal(s.approvals[0]!.by, 'carol');

    const eta = new Date(Date.now() + 3_600_000).toISOString();
    const posted = await h.executeUpdate(postUpdate, {
      args: [{ status: 'identified', message: 'We found the cause and are deploying a fix.', eta, by: 'alice' }],
    });
    assert.equal(posted.status, 'identified');
    assert.ok(posted.nextUpdateDue && Date.parse(posted.nextUpdateDue) > Date.now());
    await h.executeUpdate(approve, { args: [{ by: 'carol', seq: posted.seq }] });
    const resolved = await h.executeUpdate(resolveIncident, {
      args: [{ message: 'Card payments work again. We are sorry for the disruption.', by: 'alice' }],
    });
    assert.equal(resolved.approval, 'pending', 'the resolution wording needs approval too');
    await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
    const final = await h.result();
    assert.equal(final.status, 'resolved');
    assert.ok(final.resolvedAt);
    assert.equal(final.nextUpdateDue, null);
    assert.deepEqual(
      final.timeline.map((e) => e.kind),
      ['declared', 'approval', 'update', 'approval', 'resolved', 'approval'],
    );
    assert.deepEqual(
      roundsOf(final, 'resolved')
        .map((d) => d.standsFor)
        .sort(),
      ['customers', 'enterprise', 'staff'],
    );
    assertRoundsSucceeded(final);

    const described = await h.describe();
    assert.equal(described.typedSearchAttributes.get(HeraldStatus), 'resolved');
    assert.equal(described.typedSearchAttributes.get(HeraldSeverity), 'sev1');
    const page = await t.client.workflow.getHandle(statusPageWorkflowId(w.plan.page.id, false)).query(pageStateQuery);
    const onPage = page.incidents.find((i) => i.id === h.workflowId)!;
    assert.equal(onPage.status, 'resolved');
    assert.deepEqual(
      onPage.updates.map((u) => u.status),
      ['investigating', 'identified', 'resolved'],
    );
    // The page showed the plan's wording at once; the approved words replaced it in place.
    assert.equal(onPage.updates[0]!.body, 'Card payments are failing for some customers.');
    assert.equal(onPage.updates[1]!.body, 'We found the cause and are deploying a fix.');
    assert.equal(page.components.payments?.status, 'operational');
  });

  test('an approval and a new message that waits, taken in one workflow task: each goes out once', async () => {
    // Both updates reach the incident while no worker polls, so the next workflow task carries them
    // together: the update's approval, then a resolution that has to wait for approval itself.
    const w1 = await startTestWorker(t);
    const queue = w1.config.temporal.taskQueue;
    let w2: RunningWorker | undefined;
    try {
      const h = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: `incident-test-${randomBytes(4).toString('hex')}`,
        taskQueue: queue,
        args: [{ ...input({}, { timeScale: 1 }), policy: incidentPolicy(w1.plan, 'outage', { timeScale: 1 }) }],
      });
      await until(h, (x) => x.approvals.length === 1, 'the first notice waits');
      await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
      const posted = await h.executeUpdate(postUpdate, {
        args: [{ status: 'identified', message: 'We found the cause.', by: 'alice' }],
      });
      await until(h, (x) => roundsOf(x, 'initial').length === 3 && x.awaitingApproval?.seq === posted.seq, 'the update waits');
      await w1.stop();
      const approved = h.executeUpdate(approve, { args: [{ by: 'carol', seq: posted.seq }] });
      await new Promise((r) => setTimeout(r, 300));
      const resolved = h.executeUpdate(resolveIncident, { args: [{ message: 'Card payments work again.', by: 'alice' }] });
      w2 = await startTestWorker(t, { plan: w1.plan, env: { TEMPORAL_TASK_QUEUE: queue, HERALD_DATA_DIR: w1.config.dataDir } });
      await approved;
      const r = await resolved;
      assert.equal(r.approval, 'pending', 'the resolution waits for its own approval');
      await until(
        h,
        (x) => roundsOf(x, 'update').length === 3,
        'the approved update goes out without waiting for its timeout',
        60_000,
      );
      await h.executeUpdate(approve, { args: [{ by: 'carol', seq: r.seq }] });
      const final = await h.result();
      const heard = (phase: string) =>
        roundsOf(final, phase)
          .map((d) => d.standsFor)
          .sort();
      assert.deepEqual(heard('update'), ['customers', 'enterprise', 'staff']);
      assert.deepEqual(heard('resolved'), ['customers', 'enterprise', 'staff'], 'every audience hears the resolution once');
    } finally {
      await w2?.stop();
    }
  });

  test('a missed cadence posts the holding update and escalates', async () => {
    // sev1 cadence 30m at time scale 900 = 2 s.
    const h = await declare(input({ severity: 'sev1' }, { timeScale: 900 }));
    const s = await until(h, (x) => roundsOf(x, 'holding').length >= 3, 'a holding update to every audience', 15_000);
    assert.ok(s.escalations.length >= 1);
    assert.match(s.escalations[0]!.to.join(','), /bob/);
    assert.ok(s.escalations[0]!.to.includes('staff'));
    const holding = roundsOf(s, 'holding').slice(0, 3);
    assert.deepEqual(holding.map((d) => d.standsFor).sort(), ['customers', 'enterprise', 'staff']);
    assert.ok(
      holding.every((d) => !d.operatorWording),
      "the holding update is the plan's approved wording, no approval wait",
    );
    const holdingAt = Date.parse(s.timeline.find((e) => e.kind === 'holding')!.at);
    assert.ok(Date.parse(s.nextUpdateDue!) > holdingAt, 'the next update is due after the holding update');
    await finish(h);
  });

  test('when the ETA passes unresolved, customers are told honestly and the ETA is cleared', async () => {
    const h = await declare(input({ severity: 'sev3' }, { timeScale: 60 }));
    await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
    const posted = await h.executeUpdate(postUpdate, {
      args: [
        {
          status: 'identified',
          message: 'A fix is being deployed.',
          eta: new Date(Date.now() + 1500).toISOString(),
          by: 'alice',
        },
      ],
    });
    await h.executeUpdate(approve, { args: [{ by: 'carol', seq: posted.seq }] });
    const s = await until(h, (x) => roundsOf(x, 'etaMissed').length === 3, 'the ETA-missed notice to every audience');
    assert.equal(s.eta, null);
    const missed = roundsOf(s, 'etaMissed');
    assert.deepEqual(missed.map((d) => d.standsFor).sort(), ['customers', 'enterprise', 'staff']);
    assert.ok(s.timeline.find((e) => e.kind === 'eta-missed')!.eta, 'the timeline keeps the ETA that was missed');
    await finish(h);
  });

  test('an approval that never comes times out to the pre-approved wording, never silence', async () => {
    // approval timeout 10m at time scale 600 = 1 s.
    const h = await declare(input({}, { timeScale: 600 }));
    const s = await until(h, (x) => roundsOf(x, 'initial').length === 3, 'all initial rounds');
    assert.equal(s.approvals[0]!.decision, 'timed-out');
    const external = roundsOf(s, 'initial').filter((d) => d.standsFor !== 'staff');
    assert.ok(
      external.every((d) => !d.operatorWording),
      "external audiences got the plan's wording",
    );
    assert.ok(
      roundsOf(s, 'initial').find((d) => d.standsFor === 'staff')!.operatorWording,
      "staff got the operator's words at once",
    );
    assert.equal(s.pageUpdates[0]!.body, undefined, "the page does not show the operator's unapproved words");
    assert.equal(s.pageUpdates[0]!.wording?.[0]?.key, 'incident.investigatingFor', "the page shows the plan's wording");
    assert.deepEqual(s.pageUpdates[0]!.wording?.[0]?.functions, ['payments'], 'naming the affected function');
    await finish(h);
  });

  test('monitoring resolved moves to monitoring, and a quiet period auto-resolves where the plan allows', async () => {
    // degradation: autoResolve, quiet period 20m at time scale 600 = 2 s.
    const h = await declare(
      input({ scenario: 'degradation', severity: 'sev3', components: ['website'] }, { scenario: 'degradation', timeScale: 600 }),
    );
    await h.signal(monitoringSignal, {
      state: 'resolved',
      alert: { source: 'alertmanager', name: 'HighLatency', fingerprint: 'f1' },
    });
    const s = await until(h, (x) => x.status === 'monitoring', 'monitoring status');
    assert.ok(s.monitoringAt);
    const final = await h.result();
    assert.equal(final.status, 'resolved');
    assert.equal(final.timeline.at(-1)!.by, 'herald:auto-resolve');
  });

  test('without auto-resolve, a quiet period reminds the operator instead', async () => {
    // outage: no autoResolve, quiet period 30m at time scale 900 = 2 s; cadence far away (sev3 2h = 8 s).
    const h = await declare(input({ severity: 'sev3' }, { timeScale: 900 }));
    await h.signal(monitoringSignal, {
      state: 'resolved',
      alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'f2' },
    });
    const s = await until(h, (x) => x.timeline.some((e) => e.kind === 'reminder'), 'a reminder');
    assert.equal(s.status, 'monitoring');
    const reminder = s.deliveries.filter((d) => d.seq === s.timeline.find((e) => e.kind === 'reminder')!.seq);
    assert.deepEqual(
      reminder.map((d) => d.standsFor),
      ['staff'],
      'only the internal audience is reminded',
    );
    // Re-firing goes back to where the incident was.
    await h.signal(monitoringSignal, {
      state: 'firing',
      alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'f2' },
    });
    await until(h, (x) => x.status === 'investigating', 'back to investigating');
    await finish(h);
  });

  test('components added later: their subscribers get the initial notice, the others an update', async () => {
    const h = await declare(input({ severity: 'sev2' }, { timeScale: 600 }));
    await until(h, (x) => roundsOf(x, 'initial').length === 3, 'initial rounds');
    await h.executeUpdate(changeImpact, { args: [{ components: ['payments', 'invoicing'], by: 'alice' }] });
    const s = await until(h, (x) => roundsOf(x, 'initial').length === 6, 'initial rounds for the added component');
    const added = roundsOf(s, 'initial').slice(3);
    assert.ok(added.every((d) => d.components.length === 1 && d.components[0] === 'invoicing'));
    assert.ok(
      added.every((d) => d.excludeComponents.includes('payments')),
      'subscribers of payments already heard',
    );
    assert.deepEqual(s.components, ['payments', 'invoicing']);
    assert.equal(s.componentStatuses.invoicing, 'partial_outage');
    const described = await h.describe();
    assert.deepEqual(described.typedSearchAttributes.get(HeraldComponents), ['payments', 'invoicing']);
    const final = await finish(h);
    assert.deepEqual(roundsOf(final, 'resolved')[0]!.components, ['payments', 'invoicing']);
  });

  test('a firing alert group that grew widens the incident: added components hear the initial notice, a more severe severity brings the cadence forward', async () => {
    // degradation (no approvals): sev3 cadence 2h, sev1 30m; at time scale 60: 120 s and 30 s.
    const h = await declare(
      input({ scenario: 'degradation', severity: 'sev3', components: ['website'] }, { scenario: 'degradation', timeScale: 60 }),
    );
    let s = await until(h, (x) => roundsOf(x, 'initial').length === 2, 'initial rounds');
    assert.equal(Date.parse(s.nextUpdateDue!) - Date.parse(s.lastPublishedAt), 120_000);
    const alert = { source: 'alertmanager', name: 'HighLatency', fingerprint: 'g1' };
    // What older senders (and recorded histories) send: no routing, nothing changes.
    await h.signal(monitoringSignal, { state: 'firing', alert });
    // Less severe, unknown components and what it already has: nothing changes either.
    await h.signal(monitoringSignal, {
      state: 'firing',
      alert,
      routed: { components: ['website', 'billing-db'], severity: 'sev3' },
    });
    s = await until(h, (x) => x.monitoring.alerts.length === 1 && x.monitoring.state === 'firing', 'the alerts noted');
    assert.equal(s.timeline.filter((e) => e.kind === 'impact').length, 0);
    // The group grew: another component, and sev1.
    await h.signal(monitoringSignal, {
      state: 'firing',
      alert: { ...alert, fingerprint: 'g2' },
      routed: { components: ['website', 'invoicing'], severity: 'sev1' },
    });
    s = await until(h, (x) => roundsOf(x, 'initial').length === 4, 'initial rounds for the added component');
    assert.deepEqual(s.components, ['website', 'invoicing']);
    assert.equal(s.severity, 'sev1');
    assert.deepEqual(
      Object.values(s.componentStatuses),
      ['partial_outage', 'partial_outage'],
      'sev1 degradation: partial outage on both',
    );
    assert.deepEqual(
      s.timeline.filter((e) => e.kind === 'impact').map((e) => e.by),
      ['monitoring:alertmanager'],
    );
    const added = roundsOf(s, 'initial').slice(2);
    assert.ok(
      added.every((d) => d.components.join() === 'invoicing' && d.excludeComponents.join() === 'website'),
      'only subscribers of the added component get the initial notice',
    );
    assert.equal(Date.parse(s.nextUpdateDue!) - Date.parse(s.lastPublishedAt), 30_000, 'the sev1 cadence');
    const described = await h.describe();
    assert.equal(described.typedSearchAttributes.get(HeraldSeverity), 'sev1');
    // A later, less severe alert on components it has never lowers or widens it again.
    await h.signal(monitoringSignal, {
      state: 'firing',
      alert: { ...alert, fingerprint: 'g3' },
      routed: { components: ['invoicing'], severity: 'sev3' },
    });
    s = await until(h, (x) => x.monitoring.alerts.length === 3, 'the later alert noted');
    assert.equal(s.severity, 'sev1');
    assert.equal(s.timeline.filter((e) => e.kind === 'impact').length, 1);
    await finish(h);
  });

  test('validators refuse bad updates without touching history', async () => {
    const h = await declare(input({}, { timeScale: 1 }));
    await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
    await h.executeUpdate(postUpdate, { args: [{ status: 'identified', message: 'Cause found.', by: 'alice' }] });
    await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
    // Wait until nothing runs in the background (every round reported), then count events.
    await until(h, (x) => x.deliveries.length === 6 && x.deliveries.every((d) => d.report || d.error), 'all rounds reported');
    const before = (await h.fetchHistory()).events?.length ?? 0;
    const refused: [string, () => Promise<unknown>, RegExp][] = [
      [
        'status going backwards',
        () => h.executeUpdate(postUpdate, { args: [{ status: 'investigating', message: 'Hmm.', by: 'alice' }] }),
        /cannot go back from identified/,
      ],
      [
        'ETA in the past',
        () =>
          h.executeUpdate(postUpdate, {
            args: [{ status: 'identified', message: 'Soon.', eta: '2020-01-01T00:00:00Z', by: 'alice' }],
          }),
        /ETA is in the past/,
      ],
      [
        'unknown component',
        () =>
          h.executeUpdate(postUpdate, {
            args: [{ status: 'identified', message: 'More.', components: ['billing-db'], by: 'alice' }],
          }),
        /unknown component "billing-db"/,
      ],
      [
        'guard: a hostname',
        () =>
          h.executeUpdate(postUpdate, {
            args: [{ status: 'identified', message: 'db-7.prod.acme.internal is down', by: 'alice' }],
          }),
        /customers would see internal detail/,
      ],
      [
        'guard: a code name',
        () => h.executeUpdate(resolveIncident, { args: [{ message: 'Kestrel is fixed.', by: 'alice' }] }),
        /code name/,
      ],
      [
        'unknown severity',
        () => h.executeUpdate(changeImpact, { args: [{ severity: 'sev9', by: 'alice' }] }),
        /unknown severity/,
      ],
      [
        'resolve through postUpdate',
        () => h.executeUpdate(postUpdate, { args: [{ status: 'resolved', message: 'Done.', by: 'alice' }] }),
        /use resolve/,
      ],
    ];
    for (const [name, call, pattern] of refused) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, `${name}: ${String(err)}`);
        assert.match(String(((err as Error).cause as Error | undefined)?.message ?? err), pattern, name);
        return true;
      });
    }
    const afterCount = (await h.fetchHistory()).events?.length ?? 0;
    assert.equal(afterCount, before, 'rejected updates leave no events in history');
    await h.executeUpdate(resolveIncident, { args: [{ message: 'Resolved.', by: 'alice' }] });
    await h.executeUpdate(approve, { args: [{ by: 'carol' }] });
    await h.result();
  });

  test('a week-long incident with updates every 15 minutes continues as new and stays under 10,000 events per run', async () => {
    // 7 days of 15-minute holding updates (672), cadence compressed to 40 ms. Each update publishes to
    // the status page; rounds are left out here (their cost is per round, not per history) to keep it quick.
    const base = input({ severity: 'sev3', scenario: 'degradation', components: ['website'] }, { scenario: 'degradation' });
    const policy = { ...base.policy, audiences: [] as typeof base.policy.audiences };
    policy.severities = { ...policy.severities, sev3: { ...policy.severities.sev3!, cadenceMs: 40 } };
    const h = await declare({ ...base, policy });
    const s = await until(h, (x) => x.timeline.filter((e) => e.kind === 'holding').length >= 672, '672 holding updates', 300_000);
    assert.ok(s.runs >= 2, `continued as new (${s.runs} runs)`);
    const final = await finish(h);
    assert.equal(final.status, 'resolved');
    assert.ok(final.pageUpdates.length >= 673, 'every update is kept for the page across runs');
    // Every run of this workflow id kept its history under the limit.
    let runs = 0;
    for await (const exec of t.client.workflow.list({ query: `WorkflowId = '${h.workflowId}'` })) {
      const events = (await t.client.workflow.getHandle(h.workflowId, exec.runId).fetchHistory()).events?.length ?? 0;
      assert.ok(events < 10_000, `run ${exec.runId} has ${events} events`);
      runs += 1;
    }
    assert.ok(runs >= 2);
  });
});
