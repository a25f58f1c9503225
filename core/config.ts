import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

// Configuration is read from the environment once, here, into one typed object. Nothing else reads
// process.env. Every variable is documented in README.md.

const Port = z.coerce.number().int().min(0).max(65535);
const Flag = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');

/** Where snapshots are published besides $HERALD_DATA_DIR/public (issue 5): S3 buckets, one per region. */
export interface PublishConfig {
  /** HERALD_S3_BUCKETS=region:bucket,region:bucket — each bucket is written independently. */
  s3: { region: string; bucket: string }[];
  /** HERALD_S3_ENDPOINT: an S3-compatible endpoint (path-style), e.g. MinIO or a test server. */
  s3Endpoint?: string;
  /** HERALD_S3_PREFIX: key prefix inside each bucket, e.g. "status/" (default: the bucket root). */
  s3Prefix: string;
}

function publishConfig(buckets: string, endpoint: string | undefined, prefix: string): PublishConfig {
  const s3 = buckets
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^([a-z]{2}(?:-[a-z]+)+-\d+):([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(item);
      if (!m) throw new ConfigError(`HERALD_S3_BUCKETS: "${item}" is not region:bucket (e.g. us-east-1:acme-status-use1)`);
      return { region: m[1]!, bucket: m[2]! };
    });
  const clean = prefix.replace(/^\/+/, '');
  return { s3, s3Endpoint: endpoint, s3Prefix: clean && !clean.endsWith('/') ? `${clean}/` : clean };
}

const Env = z.object({
  HERALD_DATA_DIR: z.string().min(1).default('.herald'),
  HERALD_PLAN: z.string().min(1).default('plans/example.yaml'),
  HERALD_TEMPLATES_DIR: z.string().min(1).optional(),
  HERALD_BIND: z.string().min(1).default('127.0.0.1'),
  HERALD_API_PORT: Port.default(3000),
  HERALD_STATUS_PORT: Port.default(8080),
  HERALD_PUBLIC_URL: z.url().optional(),
  HERALD_OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HERALD_S3_BUCKETS: z.string().default(''),
  HERALD_S3_ENDPOINT: z.url().optional(),
  HERALD_S3_PREFIX: z.string().default(''),
  HERALD_STATUS_WORKERS: z.string().regex(/^(auto|[1-9]\d?)$/, 'use auto or a number of processes, e.g. 2').default('1'),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('herald'),
  TEMPORAL_PORT: Port.default(7233),
  TEMPORAL_UI_PORT: Port.default(8233),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: Flag.default(false),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_RETENTION: z.string().regex(/^\d+(h|d)$/).default('90d'),
  // API, webhooks and CLI (issue 6): more tokens, webhook secrets, limits.
  HERALD_VIEWER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_TOKENS: z.string().default(''),
  HERALD_SNS_TOPICS: z.string().default(''),
  HERALD_GRAFANA_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_GRAFANA_TIMESTAMP_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name').optional(),
  HERALD_GENERIC_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_RATE_LIMIT: z.string().regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 20/s,60').default('20/s,60'),
  HERALD_RATE_LIMIT_IP: z.string().regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 50/s,200').default('50/s,200'),
  HERALD_WEBHOOK_RATE_LIMIT: z.string().regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 200/s,1000').default('200/s,1000'),
  HERALD_TEMPORAL_TIMEOUT: z.string().regex(/^\d+(ms|s)$/, 'use e.g. 10s').default('10s'),
});

export interface TemporalConfig {
  /** host:port; when absent, `npm start` runs the embedded dev server on `devServerPort`. */
  address: string;
  embedded: boolean;
  namespace: string;
  taskQueue: string;
  devServerPort: number;
  uiPort: number;
  apiKey?: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  retention: string;
}

export interface HeraldConfig {
  dataDir: string;
  publicDir: string;
  planFile: string;
  templatesDir?: string;
  bind: string;
  apiPort: number;
  statusPort: number;
  /** Processes serving the status page (HERALD_STATUS_WORKERS, default 1; auto = one per CPU, at most 8). */
  statusWorkers: number;
  publicUrl: string;
  operatorToken?: string;
  webhookToken?: string;
  logLevel: z.infer<typeof Env>['HERALD_LOG_LEVEL'];
  publish: PublishConfig;
  temporal: TemporalConfig;
  api: ApiConfig;
}

export type TokenRole = 'viewer' | 'operator' | 'admin' | 'webhook';
export interface ConfiguredToken {
  name: string;
  role: TokenRole;
  token: string;
}
/** Requests per second and the bucket's burst. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}
export interface ApiConfig {
  /** HERALD_VIEWER_TOKEN, HERALD_ADMIN_TOKEN and HERALD_TOKENS (name:role:token,…); operator and webhook tokens are above. */
  tokens: ConfiguredToken[];
  /** SNS topics whose subscriptions Herald confirms and whose notifications it accepts. */
  snsTopics: string[];
  grafanaSecret?: string;
  grafanaTimestampHeader?: string;
  genericWebhookSecret?: string;
  /** Per token on operator routes; per client address before authentication; per token on webhooks. */
  rateLimit: RateLimit;
  rateLimitIp: RateLimit;
  webhookRateLimit: RateLimit;
  /** Deadline of each Temporal call the API makes. */
  temporalTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HeraldConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ConfigError(`${String(first.path[0])}: ${first.message}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.HERALD_DATA_DIR);
  const tlsWanted = e.TEMPORAL_TLS || !!e.TEMPORAL_TLS_CERT || !!e.TEMPORAL_TLS_CA;
  return {
    dataDir,
    publicDir: resolve(dataDir, 'public'),
    planFile: resolve(e.HERALD_PLAN),
    templatesDir: e.HERALD_TEMPLATES_DIR ? resolve(e.HERALD_TEMPLATES_DIR) : undefined,
    bind: e.HERALD_BIND,
    apiPort: e.HERALD_API_PORT,
    statusPort: e.HERALD_STATUS_PORT,
    statusWorkers: e.HERALD_STATUS_WORKERS === 'auto' ? Math.min(8, availableParallelism()) : Number(e.HERALD_STATUS_WORKERS),
    publicUrl: e.HERALD_PUBLIC_URL ?? `http://localhost:${e.HERALD_STATUS_PORT}`,
    operatorToken: e.HERALD_OPERATOR_TOKEN,
    webhookToken: e.HERALD_WEBHOOK_TOKEN,
    logLevel: e.HERALD_LOG_LEVEL,
    publish: publishConfig(e.HERALD_S3_BUCKETS, e.HERALD_S3_ENDPOINT, e.HERALD_S3_PREFIX),
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.TEMPORAL_PORT}`,
      embedded: !e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      devServerPort: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      apiKey: e.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? { certPath: e.TEMPORAL_TLS_CERT, keyPath: e.TEMPORAL_TLS_KEY, caPath: e.TEMPORAL_TLS_CA, serverName: e.TEMPORAL_TLS_SERVER_NAME }
        : undefined,
      retention: e.TEMPORAL_RETENTION,
    },
    api: apiConfig(e),
  };
}

function rate(text: string): RateLimit {
  const m = /^(\d+(?:\.\d+)?)\/s(?:,(\d+))?$/.exec(text)!;
  const perSecond = Number(m[1]);
  return { perSecond, burst: m[2] ? Number(m[2]) : Math.max(1, Math.ceil(perSecond)) };
}
