import { join } from 'node:path';
import { z } from 'zod';

// What `npm run start:cluster` needs besides Herald's own configuration (core/config.ts): where
// PostgreSQL listens and the ports of Temporal's four services. Read once, here, from the environment.
// Temporal's ports follow its usual layout around TEMPORAL_PORT (the frontend's gRPC port):
// history +1, matching +2, worker +6, frontend HTTP +10, and each service's membership port 300 below.

const Port = z.coerce.number().int().min(1).max(65535);
const Env = z.object({
  TEMPORAL_PORT: Port.default(7233),
  TEMPORAL_UI_PORT: Port.default(8233),
  HERALD_POSTGRES_PORT: Port.default(5433),
  HERALD_CLUSTER_WORKERS: z.coerce.number().int().min(1).max(8).default(2),
  HERALD_POSTGRES_SYNC: z.enum(['on', 'off']).default('on'),
});

export type TemporalService = 'frontend' | 'history' | 'matching' | 'worker';
export const TEMPORAL_SERVICES: TemporalService[] = ['history', 'matching', 'frontend', 'worker'];

export interface ClusterSettings {
  dir: string;
  postgres: { port: number; dataDir: string; logFile: string; synchronousCommit: boolean };
  temporal: {
    address: string;
    ports: Record<TemporalService, { grpc: number; membership: number }> & { frontendHttp: number };
    uiPort: number;
  };
  heraldWorkers: number;
  logDir: string;
}

export class ClusterSettingsError extends Error {}

export function clusterSettings(dataDir: string, env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ClusterSettingsError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const p = e.TEMPORAL_PORT;
  if (p < 301 || p + 10 > 65535)
    throw new ClusterSettingsError(`TEMPORAL_PORT: ${p} leaves no room for the other services' ports`);
  const dir = join(dataDir, 'cluster');
  return {
    dir,
    postgres: {
      port: e.HERALD_POSTGRES_PORT,
      dataDir: join(dir, 'postgres'),
      logFile: join(dataDir, 'logs', 'postgres.log'),
      synchronousCommit: e.HERALD_POSTGRES_SYNC === 'on',
    },
    temporal: {
      address: `127.0.0.1:${p}`,
      ports: {
        frontend: { grpc: p, membership: p - 300 },
        history: { grpc: p + 1, membership: p - 299 },
        matching: { grpc: p + 2, membership: p - 298 },
        worker: { grpc: p + 6, membership: p - 294 },
        frontendHttp: p + 10,
      },
      uiPort: e.TEMPORAL_UI_PORT,
    },
    heraldWorkers: e.HERALD_CLUSTER_WORKERS,
    logDir: join(dataDir, 'logs'),
  };
}

/** Every port the cluster listens on, with the variable that moves it. */
export function clusterPorts(s: ClusterSettings): [number, string][] {
  const t = s.temporal.ports;
  return [
    [s.postgres.port, 'HERALD_POSTGRES_PORT'],
    [t.frontend.grpc, 'TEMPORAL_PORT'],
    [t.frontendHttp, 'TEMPORAL_PORT (+10, the frontend HTTP port)'],
    [t.history.grpc, 'TEMPORAL_PORT (+1, history)'],
    [t.matching.grpc, 'TEMPORAL_PORT (+2, matching)'],
    [t.frontend.membership, 'TEMPORAL_PORT (-300, frontend membership)'],
    [t.history.membership, 'TEMPORAL_PORT (-299, history membership)'],
    [t.matching.membership, 'TEMPORAL_PORT (-298, matching membership)'],
    [t.worker.membership, 'TEMPORAL_PORT (-294, worker membership)'],
    [s.temporal.uiPort, 'TEMPORAL_UI_PORT'],
  ];
}

/** The environment scripts/cluster/config/herald.yaml reads (docker-compose.yml sets the same names). */
export function temporalServerEnv(s: ClusterSettings, dbPassword: string, dynamicConfig: string): Record<string, string> {
  const t = s.temporal.ports;
  return {
    TEMPORAL_DB_HOST: '127.0.0.1',
    TEMPORAL_DB_PORT: String(s.postgres.port),
    TEMPORAL_DB_USER: 'temporal',
    TEMPORAL_DB_PASSWORD: dbPassword,
    TEMPORAL_BIND_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_FRONTEND_ADDRESS: s.temporal.address,
    TEMPORAL_FRONTEND_HTTP_ADDRESS: `127.0.0.1:${t.frontendHttp}`,
    TEMPORAL_FRONTEND_GRPC_PORT: String(t.frontend.grpc),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(t.frontend.membership),
    TEMPORAL_FRONTEND_HTTP_PORT: String(t.frontendHttp),
    TEMPORAL_HISTORY_GRPC_PORT: String(t.history.grpc),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(t.history.membership),
    TEMPORAL_MATCHING_GRPC_PORT: String(t.matching.grpc),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(t.matching.membership),
    TEMPORAL_WORKER_GRPC_PORT: String(t.worker.grpc),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(t.worker.membership),
    TEMPORAL_DYNAMIC_CONFIG: dynamicConfig,
  };
}
