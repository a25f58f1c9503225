import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Worker } from '@temporalio/worker';
import { API_DEFAULTS, configureServer, createApp, type ApiDeps } from '../../api/app';
import type { ApiConfig, HeraldConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import type { Plan } from '../../core/plan/schema';
import { openWebhookLedger, type WebhookLedger } from '../../core/webhookLedger';
import type { Store } from '../../core/store';
import { ensureSecret } from '../../core/store/unsubscribe';
import { createHeraldWorker } from '../../worker/createWorker';
import { examplePlan, testConfig } from '../support/config';
import { testTemporal, type TestTemporal } from '../support/temporal';

// The API on a real dev server with a real worker, for the API, webhook, fuzz and CLI tests.

export const TOKENS = {
  operator: 'test-operator-token-0123456789',
  viewer: 'test-viewer-token-01234567890',
  admin: 'test-admin-token-012345678901',
  webhook: 'test-webhook-token-0123456789',
};

export interface ApiHarness {
  t: TestTemporal;
  base: string;
  plan: Plan;
  config: HeraldConfig;
  ledger: WebhookLedger;
  server: Server;
  call(method: string, path: string, body?: unknown, token?: string | null, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startApi(
  o: { api?: Partial<ApiConfig>; snsFetch?: ApiDeps['snsFetch']; worker?: boolean; t?: TestTemporal; plan?: Plan } = {},
): Promise<ApiHarness> {
  const t = o.t ?? (await testTemporal());
  const plan = o.plan ?? examplePlan();
  const config = testConfig(t.address);
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let workerClient: { connection: { close(): Promise<void> } } | undefined;
  let store: Store | undefined;
  if (o.worker !== false) {
    const w = await createHeraldWorker({ config, plan, workflowBundle: t.workflowBundle, connection: t.nativeConnection });
    worker = w.worker;
    workerClient = w.client;
    store = w.store;
    running = worker.run();
  }
  const ledger = openWebhookLedger(':memory:');
  const app = createApp({
    client: t.client,
    plan,
    taskQueue: config.temporal.taskQueue,
    tokens: [
      { token: TOKENS.operator, role: 'operator', name: 'alice' },
      { token: TOKENS.viewer, role: 'viewer', name: 'victor' },
      { token: TOKENS.admin, role: 'admin', name: 'ada' },
      { token: TOKENS.webhook, role: 'webhook', name: 'alertmanager' },
    ],
    log: createLogger('test', 'silent'),
    publicUrl: 'http://localhost:8080',
    api: {
      ...API_DEFAULTS,
      rateLimit: { perSecond: 1000, burst: 5000 },
      rateLimitIp: { perSecond: 1000, burst: 5000 },
      ...o.api,
    },
    ledger,
    snsFetch: o.snsFetch,
    // Public subscriptions and unsubscribe links work as in production: the worker's store and secret;
    // confirmations go out from the worker (its outbox), GET /v1/outbox lists them.
    store,
    secret: ensureSecret(config),
    outboxDir: config.delivery.outboxDir,
  });
  const server = configureServer(app.listen(0, '127.0.0.1'));
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    t,
    base,
    plan,
    config,
    ledger,
    server,
    call: (method, path, body, token = TOKENS.operator, headers = {}) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body:
          body === undefined
            ? undefined
            : typeof body === 'string' || Buffer.isBuffer(body)
              ? (body as string)
              : JSON.stringify(body),
      }),
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      ledger.close();
      if (worker) {
        worker.shutdown();
        await running;
        await workerClient!.connection.close();
        await store?.close();
      }
      if (!o.t) await t.teardown();
    },
  };
}

export const inAnHour = (h = 1) => new Date(Date.now() + h * 3_600_000).toISOString();
