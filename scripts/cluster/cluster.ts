import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { HeraldConfig } from '../../core/config';
import { PROJECT_ROOT } from '../../core/projectRoot';
import { waitForFrontend } from '../devServer';
import {
  ensureNamespace,
  ensureRetention,
  ensureSearchAttributes,
  waitForNamespace,
  waitForSearchAttributes,
} from '../setupTemporal';
import type { Supervisor } from '../supervisor';
import { clusterSecrets, initPostgres, postgresChild, postgresUrl, preparePostgres } from './postgres';
import { ensureTemporalSchema } from './schema';
import { TEMPORAL_SERVICES, temporalServerEnv, type ClusterSettings, type TemporalService } from './settings';

// `npm run start:cluster`, the Temporal part: PostgreSQL, Temporal's schema, the four services as
// separate supervised processes, the namespace with Herald's search attributes, and the Web UI when
// it could be built. Herald's own processes are started by scripts/start.ts, as for `npm start`.

// scripts/cluster in the sources (the compiled build has no YAML or shell scripts): config/herald.yaml,
// config/dynamicconfig.yaml and the provisioning scripts.
const CLUSTER_SOURCES = join(PROJECT_ROOT, 'scripts', 'cluster');

export class ClusterStartError extends Error {}

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  /** undefined when the UI server could not be had; `uiNote` says why. */
  ui?: string;
  uiNote?: string;
}

/** The binaries from the provisioning scripts (cached builds; built once with Go when missing). */
export function clusterBinaries(): ClusterBinaries {
  const server = lastLine('temporal-server.sh');
  if (!server.path)
    throw new ClusterStartError(server.error || 'no Temporal server: see the line above (scripts/cluster/temporal-server.sh)');
  const ui = lastLine('temporal-ui.sh');
  return {
    server: join(server.path, 'temporal-server'),
    sqlTool: join(server.path, 'temporal-sql-tool'),
    ui: ui.path,
    uiNote: ui.path ? undefined : ui.error,
  };
}

function lastLine(script: string): { path?: string; error?: string } {
  const r = spawnSync('bash', [join(CLUSTER_SOURCES, script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = r.stdout.trim().split('\n').pop() ?? '';
  const err = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('herald:'))
    .pop()
    ?.replace(/^herald: /, '');
  if (r.stderr && r.status !== 0)
    process.stderr.write(
      r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('herald:'))
        .join('\n'),
    );
  return r.status === 0 && out ? { path: out } : { error: err };
}

export interface RunningCluster {
  address: string;
  namespace: string;
  databaseUrl: string;
  uiUrl?: string;
  uiNote?: string;
  schema: Record<string, { before: string | null; after: string | null }>;
}

export async function startCluster(
  sup: Supervisor,
  config: HeraldConfig,
  s: ClusterSettings,
  binaries: ClusterBinaries,
  say: (line: string) => void,
): Promise<RunningCluster> {
  mkdirSync(s.logDir, { recursive: true });
  const secrets = clusterSecrets(s);
  const user = initPostgres(s, secrets, config.dataDir);
  const pg = sup.start(postgresChild(s, user));
  say(`herald: PostgreSQL on 127.0.0.1:${s.postgres.port} (data ${s.postgres.dataDir}; log ${s.postgres.logFile})`);
  await preparePostgres(s, secrets, () => (pg.restarts > 0 || !pg.process ? 'stopped' : undefined));

  const schemaLog = join(s.logDir, 'temporal-schema.log');
  const schema = await ensureTemporalSchema(binaries.sqlTool, s, secrets, (text) => appendFileSync(schemaLog, `${text}\n`));

  const dynamicConfig = join(CLUSTER_SOURCES, 'config', 'dynamicconfig.yaml');
  const env = { ...process.env, ...temporalServerEnv(s, secrets.temporal, dynamicConfig) };
  // Each service writes the cluster's metadata into an empty database when it starts, and all but
  // the first then fail on the duplicate row: history goes first, the others once it listens.
  const services: Record<string, ReturnType<Supervisor['start']>> = {};
  const start = (service: TemporalService) =>
    (services[service] = sup.start(temporalServiceChild(binaries.server, service, env, s)));
  // The supervisor restarts a service that stops; only one that keeps stopping fails the start.
  const died = () => {
    for (const [name, c] of Object.entries(services)) if (c.restarts >= 3) return `${name} keeps stopping`;
    return undefined;
  };
  const logOf = (service: string) => join(s.logDir, `temporal-${service}.log`);
  start('history');
  await waitForPort(s.temporal.ports.history.grpc, 120_000, died).catch((err) => {
    throw new ClusterStartError(`Temporal's history service did not start: ${(err as Error).message} (see ${logOf('history')})`);
  });
  for (const service of TEMPORAL_SERVICES) if (!services[service]) start(service);
  say(`herald: Temporal server v1.29.1: ${TEMPORAL_SERVICES.join(', ')} (logs ${logOf('<service>')})`);
  await waitForFrontend(s.temporal.address, 'temporal-system', 120_000, died).catch((err) => {
    throw new ClusterStartError(`Temporal did not start: ${(err as Error).message} (see ${logOf('frontend')})`);
  });
  await prepareNamespace(s.temporal.address, config.temporal.namespace, config.temporal.retention);

  let uiUrl: string | undefined;
  let uiNote = binaries.uiNote;
  if (binaries.ui) {
    sup.start(temporalUiChild(binaries.ui, s, config.temporal.namespace));
    uiUrl = `http://localhost:${s.temporal.uiPort}`;
  } else uiNote ??= 'not available';
  return {
    address: s.temporal.address,
    namespace: config.temporal.namespace,
    databaseUrl: postgresUrl(s, 'herald', secrets.herald, 'herald'),
    uiUrl,
    uiNote,
    schema: schema.versions,
  };
}

function temporalServiceChild(server: string, service: TemporalService, env: NodeJS.ProcessEnv, s: ClusterSettings) {
  return {
    name: `temporal-${service}`,
    command: server,
    args: ['--root', CLUSTER_SOURCES, '--config', 'config', '--env', 'herald', '--allow-no-auth', 'start', '--service', service],
    env,
    logFile: join(s.logDir, `temporal-${service}.log`),
    // The frontend stops before the services behind it; PostgreSQL last.
    stage: service === 'frontend' ? 2 : 1,
  };
}

function temporalUiChild(binary: string, s: ClusterSettings, namespace: string) {
  const root = join(s.dir, 'ui');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config', 'herald.yaml'),
    [
      `temporalGrpcAddress: ${s.temporal.address}`,
      'host: 127.0.0.1',
      `port: ${s.temporal.uiPort}`,
      'enableUi: true',
      `defaultNamespace: ${namespace}`,
      'notifyOnNewVersion: false',
      'refreshInterval: 1m',
      'cors:',
      '  cookieInsecure: true',
      `  allowOrigins: ["http://localhost:${s.temporal.uiPort}"]`,
      '',
    ].join('\n'),
  );
  return {
    name: 'temporal-ui',
    command: binary,
    args: ['--root', root, '--config', 'config', '--env', 'herald', 'start'],
    logFile: join(s.logDir, 'temporal-ui.log'),
    stage: 3,
  };
}

/** The namespace exists with Herald's retention and search attributes, usable at once (idempotent). */
async function prepareNamespace(address: string, namespace: string, retention: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    // The frontend answers before history and matching have joined: retry until they have.
    await retrying(() => ensureNamespace(connection, namespace, retention), 60_000).catch((err) => {
      throw new ClusterStartError(`cannot create the namespace ${namespace}: ${(err as Error).message}`);
    });
    await waitForNamespace(connection, namespace, 30_000);
    await ensureRetention(connection, namespace, retention);
    await retrying(() => ensureSearchAttributes(connection, namespace), 30_000);
    await waitForSearchAttributes(connection, namespace, 30_000);
  } finally {
    await connection.close();
  }
}

async function retrying<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitForPort(port: number, timeoutMs: number, died: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = died();
    if (why) throw new Error(why);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
