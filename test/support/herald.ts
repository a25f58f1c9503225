import type { Worker } from '@temporalio/worker';
import type { HeraldConfig } from '../../core/config';
import type { Plan } from '../../core/plan/schema';
import { createHeraldWorker } from '../../worker/createWorker';
import { examplePlan, testConfig } from './config';
import type { TestTemporal } from './temporal';

export interface RunningWorker {
  config: HeraldConfig;
  plan: Plan;
  worker: Worker;
  stop(): Promise<void>;
}

/** A Herald worker with its real activities on the test server, on a task queue of its own. */
export async function startTestWorker(
  t: TestTemporal,
  o: { plan?: Plan; env?: Record<string, string> } = {},
): Promise<RunningWorker> {
  const config = testConfig(t.address, o.env);
  const plan = o.plan ?? examplePlan();
  const { worker, client } = await createHeraldWorker({
    config,
    plan,
    workflowBundle: t.workflowBundle,
    connection: t.nativeConnection,
  });
  const running = worker.run();
  return {
    config,
    plan,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await client.connection.close();
    },
  };
}
