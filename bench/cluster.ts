import { chmodSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../core/config';
import { Supervisor } from '../scripts/supervisor';
import { clusterBinaries, startCluster } from '../scripts/cluster/cluster';
import { clusterSettings } from '../scripts/cluster/settings';
import { freePort } from '../test/support/ports';

// The cluster of `npm run start:cluster` (PostgreSQL, Temporal's four services as separate
// processes, the same config files) for a bench's `--cluster` run, on free ports in `dir`, without
// the Web UI. PostgreSQL commits without waiting for the disk (synchronous_commit=off), as the dev
// server's SQLite file runs with WAL and synchronous=NORMAL in the same benches.

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A TEMPORAL_PORT whose neighbours in Temporal's layout (-300…-294, +1, +2, +10) are free too. */
export async function clusterBasePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const p = 21_000 + Math.floor(Math.random() * 9_000);
    const all = [p, p + 1, p + 2, p + 10, p - 300, p - 299, p - 298, p - 294];
    if ((await Promise.all(all.map(bindable))).every(Boolean)) return p;
  }
  throw new Error('no free port range for the cluster');
}

export interface BenchCluster {
  address: string;
  /** Herald's store on the cluster's PostgreSQL (what start:cluster gives Herald). */
  databaseUrl: string;
  /** Process ids by name (postgres, temporal-frontend, …), for CPU accounting. */
  pids(): Record<string, number | undefined>;
}

export async function withBenchCluster<T>(dir: string, body: (cluster: BenchCluster) => Promise<T>): Promise<T> {
  const env = {
    TEMPORAL_PORT: String(await clusterBasePort()),
    HERALD_POSTGRES_PORT: String(await freePort()),
    HERALD_POSTGRES_SYNC: 'off',
  };
  // As root the cluster's PostgreSQL runs as the `postgres` user, which must pass through the bench's directory.
  chmodSync(dir, statSync(dir).mode | 0o011);
  const config = loadConfig({ HERALD_DATA_DIR: join(dir, 'cluster-herald') });
  const settings = clusterSettings(config.dataDir, env);
  const sup = new Supervisor({ log: (line) => console.error(line) });
  try {
    const started = Date.now();
    const binaries = { ...clusterBinaries(), ui: undefined };
    const running = await startCluster(sup, config, settings, binaries, (line) => console.error(line));
    console.error(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${running.address}`);
    return await body({ address: running.address, databaseUrl: running.databaseUrl, pids: () => sup.pids() as never });
  } finally {
    await sup.stopAll();
  }
}
