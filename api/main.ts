import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { loadPlan } from '../core/plan/load';
import { temporalConnectionOptions } from '../core/temporalConnection';
import { secureDataDir } from '../core/dataDir';
import { ensureTokens, tokenGrants } from '../core/tokens';
import { openWebhookLedger } from '../core/webhookLedger';
import { openConfiguredStore } from '../core/store';
import { ensureSecret } from '../core/store/unsubscribe';
import { configureServer, createApp } from './app';

// The operator API process. It starts even when Temporal is down (the connection is lazy), so
// /healthz can say so; requests that need Temporal fail with a problem document until it is back.
async function main() {
  const config = loadConfig();
  const log = createLogger('herald-api', config.logLevel);
  const plan = loadPlan(config.planFile, config.templatesDir);
  secureDataDir(config.dataDir);
  const tokens = ensureTokens(config);
  const ledger = openWebhookLedger(join(config.dataDir, 'webhooks.sqlite'));
  // Deliveries are remembered for 30 days (longer than any sender retries).
  setInterval(() => ledger.prune(), 6 * 3_600_000).unref();
  const connection = Connection.lazy(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const store = await openConfiguredStore(config);
  const secret = ensureSecret(config);
  const app = createApp({
    client,
    plan,
    taskQueue: config.temporal.taskQueue,
    tokens: tokenGrants(config, tokens),
    log,
    publicUrl: config.publicUrl,
    api: config.api,
    ledger,
    templatesDir: config.templatesDir,
    outboxDir: config.delivery.outboxDir,
    store,
    secret,
    unsubscribeUrl: config.delivery.unsubscribeUrl,
  });
  const server = configureServer(app.listen(config.apiPort, config.bind));
  server.on('error', (err) => {
    console.error(`herald api: cannot listen on ${config.bind}:${config.apiPort}: ${err.message}`);
    process.exit(1);
  });
  server.on('listening', () => log.info({ port: config.apiPort }, 'api listening'));
  const stop = () => {
    server.close(() => {
      ledger.close();
      void store.close();
      void connection.close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(`herald api: ${(err as Error).message}`);
  process.exit(1);
});
