import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { loadConfig, type TemporalConfig } from '../core/config';
import { parseDuration } from '../core/duration';
import { HERALD_SEARCH_ATTRIBUTES } from '../core/searchAttributes';
import { temporalConnectionOptions } from '../core/temporalConnection';

// Makes a Temporal namespace ready for Herald: its search attributes exist and, when asked, its
// retention is long enough for audits, and (--create-namespace) it exists. Idempotent. Runs from
// `npm start` and as a one-shot container in docker-compose
// (`node --import tsx scripts/setupTemporal.ts --create-namespace --retention`).

const INDEXED: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** Registers the namespace with the given retention when it does not exist yet (a fresh self-hosted cluster has none). */
export async function ensureNamespace(connection: Connection, namespace: string, retention: string): Promise<boolean> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(Math.round(parseDuration(retention) / 1000)), nanos: 0 },
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 6 /* ALREADY_EXISTS */) return false;
    throw err;
  }
}

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = HERALD_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED[k.type]!])),
  });
  return missing.map((k) => k.name);
}

/**
 * Resolves once a visibility query naming every Herald attribute is accepted: a start that sets them
 * right after they were created can otherwise fail until the namespace's cache has them.
 */
export async function waitForSearchAttributes(connection: Connection, namespace: string, timeoutMs: number): Promise<void> {
  const query = HERALD_SEARCH_ATTRIBUTES.map((k) => `${k.name} IS NOT NULL`).join(' AND ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Herald's search attributes are not usable in ${namespace}: ${(err as Error).message.split('\n')[0]}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function waitForNamespace(connection: Connection, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function ensureRetention(connection: Connection, namespace: string, retention: string): Promise<void> {
  const seconds = Math.round(parseDuration(retention) / 1000);
  const ns = await connection.workflowService.describeNamespace({ namespace });
  const current = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  if (current >= seconds) return;
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: { seconds: Long.fromNumber(seconds), nanos: 0 } },
  });
}

export async function setupTemporal(t: TemporalConfig, opts: { retention: boolean; createNamespace?: boolean }): Promise<void> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(t), connectTimeout: 5000 });
  try {
    if (opts.createNamespace && (await ensureNamespace(connection, t.namespace, t.retention)))
      // A namespace just registered reaches the frontend's cache within seconds.
      await waitForNamespace(connection, t.namespace, 30_000);
    await ensureSearchAttributes(connection, t.namespace);
    await waitForSearchAttributes(connection, t.namespace, 30_000);
    if (opts.retention) await ensureRetention(connection, t.namespace, t.retention);
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  const config = loadConfig();
  setupTemporal(config.temporal, {
    retention: process.argv.includes('--retention'),
    createNamespace: process.argv.includes('--create-namespace'),
  })
    .then(() => console.log(`herald: namespace ${config.temporal.namespace} at ${config.temporal.address} is ready`))
    .catch((err) => {
      console.error(`herald: cannot set up Temporal at ${config.temporal.address}: ${(err as Error).message.split('\n')[0]}`);
      process.exit(1);
    });
}
