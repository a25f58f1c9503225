import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createProviders } from '../../activities/providers';
import { incidentPolicy } from '../../core/policy';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { createHeraldWorker } from '../../worker/createWorker';
import {
  INCIDENT_WORKFLOW,
  type IncidentWorkflow,
  incidentStateQuery,
  type IncidentState,
} from '../../workflows/contracts/incident';
import { examplePlan, testConfig } from '../support/config';
import { endpointsOf, FAKE_CREDENTIALS, fakeTotals, startFakeAws, type FakeAwsRegion } from '../support/fakeAws';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// A small audience hears the first notice from inside the incident's own workflow task (a local
// activity, no notify child); a larger one, or one the inline attempt cannot finish, gets the
// ordinary notify round, which picks up from the ledger. E-mail goes through the real SES v2 client
// to local regions, so "nothing lost, nothing doubled" is counted where the messages arrive.

const REGIONS = ['us-east-1', 'us-west-2'];
const CUSTOMERS = 30;

interface Rig {
  config: ReturnType<typeof testConfig>;
  store: Store;
  worker: Worker;
  running: Promise<void>;
}

describe('rounds: small audiences inline, larger ones as notify children', () => {
  let t: TestTemporal;
  let fakes: Record<string, FakeAwsRegion>;
  const plan = examplePlan();
  const rigs: Rig[] = [];
  let inline: Rig;
  let limited: Rig;

  async function rig(env: Record<string, string>): Promise<Rig> {
    const config = testConfig(t.address, {
      HERALD_EMAIL_PROVIDER: 'ses',
      HERALD_SES_REGIONS: REGIONS.join(','),
      HERALD_SES_ENDPOINTS: endpointsOf(fakes),
      HERALD_REGION_COOLDOWN: '1s',
      ...env,
    });
    const store = await openConfiguredStore(config);
    const rows: SubscriberInput[] = [];
    for (let i = 0; i < CUSTOMERS; i++)
      rows.push({
        id: `c${String(i).padStart(3, '0')}`,
        email: `c${i}-${config.temporal.taskQueue}@example.com`,
        components: ['payments'],
      });
    rows.push({ id: 'staff-1', email: `staff-${config.temporal.taskQueue}@example.com`, components: '*', internal: true });
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
    const providers = createProviders(config.delivery, {
      awsCredentials: FAKE_CREDENTIALS,
      webhookSecret: 'test-webhook-secret-0123',
    });
    const { worker } = await createHeraldWorker({
      config,
      plan,
      workflowBundle: t.workflowBundle,
      connection: t.nativeConnection,
      store,
      providers,
    });
    const r = { config, store, worker, running: worker.run() };
    rigs.push(r);
    return r;
  }

  before(async () => {
    t = await testTemporal();
    fakes = await startFakeAws(REGIONS, { record: true });
    inline = await rig({});
    limited = await rig({ HERALD_INLINE_ROUND_MAX: '10' });
  });
  after(async () => {
    for (const r of rigs) {
      r.worker.shutdown();
      await r.running;
      await r.store.close();
    }
    for (const f of Object.values(fakes)) await f.stop();
    await t.teardown();
  });

  const reset = (mode: 'up' | 'down' = 'up') => {
    for (const f of Object.values(fakes)) {
      f.setMode(mode);
      f.received.length = 0;
      f.counts.clear();
    }
  };

  async function declare(r: Rig): Promise<WorkflowHandle<IncidentWorkflow>> {
    return t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId: `incident-inline-${randomBytes(4).toString('hex')}`,
      taskQueue: r.config.temporal.taskQueue,
      args: [
        {
          title: 'Checkout is slow',
          scenario: 'degradation',
          severity: 'sev2',
          components: ['payments'],
          impact: 'Card payments take longer than usual.',
          drill: false,
          declaredBy: 'alice',
          policy: incidentPolicy(plan, 'degradation', { timeScale: 60 }),
        },
      ],
    });
  }

  const initialRounds = (
    h: WorkflowHandle<IncidentWorkflow>,
    what: string,
    done: (s: IncidentState) => boolean,
    timeoutMs = 20_000,
  ) =>
    eventually(
      async () => {
        const s = await h.query(incidentStateQuery);
        const rounds = s.deliveries.filter((d) => d.phase === 'initial');
        return rounds.length === 2 && done(s) ? rounds : undefined;
      },
      timeoutMs,
      what,
    );
  const byAudience = (rounds: IncidentState['deliveries']) => Object.fromEntries(rounds.map((d) => [d.standsFor, d]));
  const childStarts = async (h: WorkflowHandle<IncidentWorkflow>) =>
    (await h.fetchHistory()).events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;

  test('a small audience is told from inside the incident: no notify child, every customer once', async () => {
    reset();
    const h = await declare(inline);
    const rounds = byAudience(
      await initialRounds(h, 'both initial rounds reported', (s) => s.deliveries.every((d) => d.report !== null)),
    );
    assert.equal(rounds.customers!.report!.sent, CUSTOMERS);
    assert.equal(rounds.staff!.report!.sent, 1);
    assert.ok(rounds.customers!.report!.firstSentAt, 'the report says when the first message left');
    for (const d of Object.values(rounds))
      await assert.rejects(t.client.workflow.getHandle(d.roundId).describe(), WorkflowNotFoundError, `${d.roundId} ran inline`);
    assert.equal(await childStarts(h), 0);
    const totals = fakeTotals(Object.values(fakes));
    assert.deepEqual([totals.unique, totals.duplicates], [CUSTOMERS + 1, 0]);
  });

  test('an inline attempt that cannot finish (every region down) hands over to a notify round, which completes when a region returns, nothing doubled', async () => {
    reset('down');
    const h = await declare(inline);
    const customersRound = await eventually(
      async () =>
        (await h.query(incidentStateQuery)).deliveries.find((d) => d.phase === 'initial' && d.standsFor === 'customers'),
      20_000,
      'the customers round',
    );
    const child = await eventually(
      async () =>
        (
          await t.client.workflow
            .getHandle(customersRound.roundId)
            .describe()
            .catch(() => undefined)
        )?.status.name,
      20_000,
      'the notify child of the customers round',
    );
    assert.equal(child, 'RUNNING', 'the round waits for a region');
    assert.equal(fakeTotals(Object.values(fakes)).accepted, 0);
    fakes['us-west-2']!.setMode('up');
    const rounds = byAudience(
      await initialRounds(
        h,
        'both rounds reported once a region is back',
        (s) => s.deliveries.every((d) => d.report !== null),
        60_000,
      ),
    );
    assert.equal(rounds.customers!.report!.sent, CUSTOMERS);
    assert.equal(rounds.staff!.report!.sent, 1);
    const totals = fakeTotals(Object.values(fakes));
    assert.deepEqual([totals.unique, totals.duplicates], [CUSTOMERS + 1, 0]);
  });

  test('an audience over HERALD_INLINE_ROUND_MAX gets a notify round; one under it does not', async () => {
    reset();
    const h = await declare(limited);
    const rounds = byAudience(
      await initialRounds(h, 'both initial rounds reported', (s) => s.deliveries.every((d) => d.report !== null)),
    );
    assert.equal(rounds.customers!.report!.sent, CUSTOMERS);
    assert.equal((await t.client.workflow.getHandle(rounds.customers!.roundId).describe()).type, 'notify');
    await assert.rejects(
      t.client.workflow.getHandle(rounds.staff!.roundId).describe(),
      WorkflowNotFoundError,
      'one staff member is under the limit',
    );
    assert.equal(await childStarts(h), 1);
    const totals = fakeTotals(Object.values(fakes));
    assert.deepEqual([totals.unique, totals.duplicates], [CUSTOMERS + 1, 0]);
  });
});
