import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/createWorker';

// Histories of the lifecycles' main paths (recorded by `npm run replay:capture`) replayed against
// today's workflow code, with no server: a non-deterministic change fails here.

const DIR = join(__dirname, '..', 'replay');

test('recorded lifecycle histories replay deterministically against the current workflows', async () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length >= 3, `histories in test/replay (${files.join(', ')})`);
  const workflowBundle = process.env.HERALD_TEST_WORKFLOW_BUNDLE
    ? { code: readFileSync(process.env.HERALD_TEST_WORKFLOW_BUNDLE, 'utf8') }
    : await bundleWorkflows();
  // Files are named by workflow id.
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
});

test('a history that no longer matches the code fails replay', async () => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, 'replay-incident-main.json'), 'utf8')));
  // As if the code had once started a different child: the commands the code emits now differ.
  const child = history.events?.find(
    (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
  )?.startChildWorkflowExecutionInitiatedEventAttributes;
  assert.equal(child?.workflowType?.name, 'notify');
  child!.workflowType!.name = 'notifyRenamed';
  const workflowBundle = process.env.HERALD_TEST_WORKFLOW_BUNDLE
    ? { code: readFileSync(process.env.HERALD_TEST_WORKFLOW_BUNDLE, 'utf8') }
    : await bundleWorkflows();
  await assert.rejects(Worker.runReplayHistory({ workflowBundle }, history, 'replay-incident-main'), /[Nn]ondetermin|TMPRL1100/);
});
