import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startWorker, type WorkerProcess } from '../../bench/fanout';
import { stopProcess } from '../../scripts/devServer';
import { incidentPolicy } from '../../core/policy';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { INCIDENT_WORKFLOW, type IncidentWorkflow, incidentStateQuery } from '../../workflows/contracts/incident';
import { EXAMPLE_PLAN, examplePlan, testConfig } from '../support/config';
import { endpointsOf, FAKE_CREDENTIALS, fakeTotals, startFakeAws, type FakeAwsRegion } from '../support/fakeAws';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// An inline round (a small audience sent inside the incident's workflow task) survives its worker:
// the real worker process is killed with SIGKILL while the round is half sent; the workflow task
// times out, a new worker retries it, and the local activity runs again from the ledger. Every
// customer gets the notice; a repeat can only be a request that was in flight at the kill, and
// each one is counted in the report.

const REGIONS = ['us-east-1', 'us-west-2'];
const CUSTOMERS = 40;
const IN_FLIGHT = 2;

let t: TestTemporal;
let fakes: Record<string, FakeAwsRegion>;
let store: Store;
const workers: WorkerProcess[] = [];

before(async () => {
  t = await testTemporal();
  // Slow regions, one recipient a request, two requests at a time: the round takes seconds.
  fakes = await startFakeAws(REGIONS, { record: true, latencyMs: 150 });
});
after(async () => {
  for (const w of workers) await stopProcess(w.proc);
  await store?.close();
  for (const f of Object.values(fakes)) await f.stop();
  await t.teardown();
});

test('a worker killed halfway through an inline round: the retried task finishes it, every customer told, repeats only from the requests in flight and all counted', async (ctx) => {
  const plan = examplePlan();
  const config = testConfig(t.address);
  const bundle = join(config.dataDir, 'workflow-bundle.js');
  writeFileSync(bundle, t.workflowBundle.code);
  const env: Record<string, string> = {
    HERALD_DATA_DIR: config.dataDir,
    HERALD_PLAN: EXAMPLE_PLAN,
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    HERALD_WORKFLOW_BUNDLE: bundle,
    HERALD_WORKER_METRICS_PORT: '0',
    HERALD_EMAIL_PROVIDER: 'ses',
    HERALD_SES_API: 'single',
    HERALD_SES_REGIONS: REGIONS.join(','),
    HERALD_SES_ENDPOINTS: endpointsOf(fakes),
    HERALD_PROVIDER_CONCURRENCY: String(IN_FLIGHT),
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
  };
  store = await openConfiguredStore(config);
  const rows: SubscriberInput[] = [];
  for (let i = 0; i < CUSTOMERS; i++)
    rows.push({ id: `c${String(i).padStart(3, '0')}`, email: `crash-${i}@example.com`, components: ['payments'] });
  await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));

  const first = startWorker(env);
  workers.push(first);
  await first.ready;
  const h = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
    workflowId: `incident-crash-${Date.now()}`,
    taskQueue: config.temporal.taskQueue,
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
  const accepted = () => fakeTotals(Object.values(fakes)).accepted;
  await eventually(async () => (accepted() >= 10 ? true : undefined), 30_000, 'the inline round to be under way');
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));
  const atKill = accepted();
  assert.ok(atKill < CUSTOMERS, `the round was still sending at the kill (${atKill} of ${CUSTOMERS})`);

  const second = startWorker(env);
  workers.push(second);
  await second.ready;
  const round = await eventually(
    async () =>
      (await h.query(incidentStateQuery)).deliveries.find(
        (d) => d.phase === 'initial' && d.standsFor === 'customers' && d.report !== null,
      ),
    90_000,
    'the customers round to be reported by the second worker',
  );
  const report = round.report!;
  const totals = fakeTotals(Object.values(fakes));
  assert.equal(report.sent, CUSTOMERS);
  assert.equal(totals.unique, CUSTOMERS, 'every customer got the notice');
  assert.ok(
    totals.duplicates <= report.possibleDuplicates,
    `repeats (${totals.duplicates}) are all counted (${report.possibleDuplicates})`,
  );
  assert.ok(
    report.possibleDuplicates <= IN_FLIGHT,
    `only requests in flight at the kill can repeat (${report.possibleDuplicates} ≤ ${IN_FLIGHT})`,
  );
  ctx.diagnostic(
    `killed at ${atKill} of ${CUSTOMERS} accepted; after: ${totals.accepted} accepted, ${totals.duplicates} repeated, ${report.possibleDuplicates} counted as possible duplicates`,
  );
  const children = (await h.fetchHistory()).events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;
  assert.equal(children, 0, 'the retried workflow task finished the round inline');
});
