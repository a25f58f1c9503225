import { appendFileSync } from 'node:fs';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';

// The floor's worker, a process of its own like Herald's: TEMPORAL_ADDRESS, FLOOR_TASK_QUEUE, and
// FLOOR_MARKS (a file: one "<id> <epoch ms>" line per local activity run). Prints "ready" when polling.

async function main() {
  const marks = process.env.FLOOR_MARKS!;
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const quiet = { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error };
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.FLOOR_TASK_QUEUE!,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quiet as never }),
    activities: {
      async mark(id: string) {
        appendFileSync(marks, `${id} ${Date.now()}\n`);
      },
    },
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  console.log('ready');
  await running;
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
