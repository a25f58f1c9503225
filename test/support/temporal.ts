import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { startDevServer, temporalCliPath, type DevServer } from '../../scripts/devServer';
import { freePort } from './ports';

// Shared by workflow and end-to-end tests: the dev server started by `npm test` (or one of our own
// when a file runs alone), a client, a native connection for workers, and the workflow bundle.

let runtimeInstalled = false;

export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
  workflowBundle: { code: string };
  teardown(): Promise<void>;
}

export async function testTemporal(): Promise<TestTemporal> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  let own: DevServer | undefined;
  let address = process.env.HERALD_TEST_TEMPORAL_ADDRESS;
  if (!address) {
    own = await startDevServer({ binary: temporalCliPath(), port: await freePort(), stdio: 'ignore' });
    address = own.address;
  }
  const bundlePath = process.env.HERALD_TEST_WORKFLOW_BUNDLE;
  const workflowBundle = bundlePath
    ? { code: readFileSync(bundlePath, 'utf8') }
    : await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    namespace: 'default',
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    workflowBundle,
    async teardown() {
      await nativeConnection.close();
      await connection.close();
      if (own) await own.stop();
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
