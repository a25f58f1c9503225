import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ownerOnlyFiles } from './dataDir';

// Configuration is read from the environment once, here, into one typed object that the processes
// pass on. Outside this module only the worker's metrics listener (worker/metrics.ts:
// HERALD_WORKER_METRICS_PORT, HERALD_WORKER_METRICS_BIND) and the development tools (scripts/,
// bench/, the test harness) read process.env. Every variable is documented in README.md.

const Port = z.coerce.number().int().min(0).max(65535);
const Flag = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');

/** Where snapshots are published besides $HERALD_DATA_DIR/public S3 buckets, one per region. */
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
  HERALD_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  HERALD_S3_BUCKETS: z.string().default(''),
  HERALD_S3_ENDPOINT: z.url().optional(),
  HERALD_S3_PREFIX: z.string().default(''),
  HERALD_STATUS_WORKERS: z
    .string()
    .regex(/^(auto|[1-9]\d?)$/, 'use auto or a number of processes, e.g. 2')
    .default('auto'),
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
  TEMPORAL_RETENTION: z
    .string()
    .regex(/^\d+(h|d)$/)
    .default('90d'),
  // Delivery: store, batching, providers and their regions.
  HERALD_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  HERALD_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_UNSUBSCRIBE_URL: z.url().optional(),
  HERALD_DELIVERY_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  HERALD_DELIVERY_PAGE_SIZE: z.coerce.number().int().min(1).max(200_000).default(20_000),
  HERALD_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(8),
  HERALD_PROVIDER_CONCURRENCY: z
    .string()
    .regex(
      /^\s*\d+\s*(,\s*(email|sms|push|voice|chat|webhook)\s*=\s*\d+\s*)*$/,
      'a number of requests, optionally with per-channel caps, e.g. 16 or 16,email=4',
    )
    .default('16'),
  HERALD_INLINE_ROUND_MAX: z.coerce.number().int().min(0).max(10_000).default(200),
  HERALD_IN_FLIGHT_RECIPIENTS: z.coerce.number().int().min(0).max(100_000).default(400),
  HERALD_REGION_COOLDOWN: z
    .string()
    .regex(/^\d+(ms|s|m)$/, 'use e.g. 30s')
    .default('30s'),
  HERALD_EMAIL_PROVIDER: z.enum(['outbox', 'ses', 'smtp']).default('outbox'),
  HERALD_SMS_PROVIDER: z.enum(['outbox', 'pinpoint', 'sms-v2']).default('outbox'),
  HERALD_PUSH_PROVIDER: z.enum(['outbox', 'pinpoint']).default('outbox'),
  HERALD_VOICE_PROVIDER: z.enum(['outbox', 'pinpoint']).default('outbox'),
  HERALD_CHAT_PROVIDER: z.enum(['outbox', 'http']).default('outbox'),
  HERALD_WEBHOOK_PROVIDER: z.enum(['outbox', 'http']).default('outbox'),
  HERALD_RATE_LIMITS: z.string().default(''),
  HERALD_EMAIL_FROM: z.string().min(3).default('Acme Status <status@example.com>'),
  HERALD_SES_REGIONS: z.string().default('us-east-1,us-west-2'),
  HERALD_SES_ENDPOINTS: z.string().default(''),
  HERALD_SES_CONFIGURATION_SET: z.string().min(1).optional(),
  HERALD_SES_API: z.enum(['bulk', 'single']).default('bulk'),
  HERALD_SMTP_URLS: z.string().default(''),
  HERALD_PINPOINT_REGIONS: z.string().default('us-east-1,us-west-2'),
  HERALD_PINPOINT_ENDPOINTS: z.string().default(''),
  HERALD_PINPOINT_APP_IDS: z.string().default(''),
  HERALD_SMS_ORIGINATION: z.string().default(''),
  HERALD_SMS_V2_REGIONS: z.string().default('us-east-1,us-west-2'),
  HERALD_SMS_V2_ENDPOINTS: z.string().default(''),
  HERALD_SMS_V2_CONFIGURATION_SET: z.string().min(1).optional(),
  HERALD_WEBHOOK_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_HTTP_TIMEOUT: z
    .string()
    .regex(/^\d+(ms|s)$/, 'use e.g. 10s')
    .default('10s'),
  // API, webhooks and CLI: more tokens, webhook secrets, limits.
  HERALD_VIEWER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_TOKENS: z.string().default(''),
  HERALD_SNS_TOPICS: z.string().default(''),
  HERALD_GRAFANA_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_GRAFANA_TIMESTAMP_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
    .optional(),
  HERALD_GENERIC_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_RATE_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 20/s,60')
    .default('20/s,60'),
  HERALD_RATE_LIMIT_IP: z
    .string()
    .regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 50/s,200')
    .default('50/s,200'),
  HERALD_WEBHOOK_RATE_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 200/s,1000')
    .default('200/s,1000'),
  HERALD_TEMPORAL_TIMEOUT: z
    .string()
    .regex(/^\d+(ms|s)$/, 'use e.g. 10s')
    .default('10s'),
  // Public subscriptions: confirmation links, limits, webhook targets.
  HERALD_API_PUBLIC_URL: z.url().optional(),
  HERALD_SUBSCRIBE_CONFIRM_TTL: z
    .string()
    .regex(/^\d+(m|h|d)$/, 'use e.g. 48h')
    .default('48h'),
  HERALD_SUBSCRIBE_RATE_LIMIT_IP: z
    .string()
    .regex(/^\d+(\.\d+)?\/s(,\d+)?$/, 'use requests per second and an optional burst, e.g. 0.05/s,10')
    .default('0.05/s,10'),
  HERALD_SUBSCRIBE_ADDRESS_LIMIT: z.coerce.number().int().min(1).max(1000).default(3),
  HERALD_SUBSCRIBE_PRIVATE_WEBHOOKS: Flag.default(false),
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
  /** Processes serving the status page (HERALD_STATUS_WORKERS, default auto = one per CPU, at most 8, as nginx's worker_processes auto). */
  statusWorkers: number;
  publicUrl: string;
  operatorToken?: string;
  webhookToken?: string;
  logLevel: z.infer<typeof Env>['HERALD_LOG_LEVEL'];
  /** A prebuilt workflow bundle (bundleWorkflowCode's code) the worker loads instead of bundling workflows/ at start. */
  workflowBundlePath?: string;
  publish: PublishConfig;
  temporal: TemporalConfig;
  delivery: DeliveryConfig;
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
  /** Public subscriptions: POST /v1/subscriptions and its confirmation links. */
  subscriptions: SubscriptionConfig;
}

export interface SubscriptionConfig {
  /** The API's public address (HERALD_API_PUBLIC_URL): confirmation links and the status page's form point here. */
  apiPublicUrl: string;
  /** How long a confirmation link works (HERALD_SUBSCRIBE_CONFIRM_TTL, default 48 h). */
  confirmTtlMs: number;
  /** Subscription requests per client address (token bucket). */
  rateLimitIp: RateLimit;
  /** Confirmation messages per address per hour. */
  perAddressPerHour: number;
  /** Webhook URLs on private, loopback or link-local addresses are refused unless this is set (tests). */
  allowPrivateWebhooks: boolean;
}

export type DeliveryChannel = 'email' | 'sms' | 'push' | 'voice' | 'chat' | 'webhook';

/** One region of a provider: its name (an AWS region or an SMTP host) and an optional endpoint override. */
export interface ProviderRegion {
  name: string;
  endpoint?: string;
}

export interface DeliveryConfig {
  /** PostgreSQL URL; absent = the SQLite file $HERALD_DATA_DIR/herald.db. */
  databaseUrl?: string;
  /** HMAC secret for unsubscribe links (and webhook signatures unless set apart); generated into the data dir when unset. */
  secret?: string;
  /** Where one-click unsubscribe links point (the API's /unsubscribe). */
  unsubscribeUrl: string;
  outboxDir: string;
  /** Recipients per batch activity, per workflow page (continue-as-new), batches in flight per round, requests in flight per batch. */
  batchSize: number;
  pageSize: number;
  concurrency: number;
  providerConcurrency: number;
  /** Per-channel caps within providerConcurrency (HERALD_PROVIDER_CONCURRENCY=16,email=4). */
  providerConcurrencyByChannel: Partial<Record<DeliveryChannel, number>>;
  /** Audiences up to this many recipients are sent inside the lifecycle's own workflow task (0: always a notify round). */
  inlineRoundMax: number;
  /** Most recipients a worker has in provider requests at once (what one crash can repeat); 0: no bound. */
  inFlightRecipients: number;
  regionCooldownMs: number;
  httpTimeoutMs: number;
  providers: {
    email: 'outbox' | 'ses' | 'smtp';
    sms: 'outbox' | 'pinpoint' | 'sms-v2';
    push: 'outbox' | 'pinpoint';
    voice: 'outbox' | 'pinpoint';
    chat: 'outbox' | 'http';
    webhook: 'outbox' | 'http';
  };
  /** Messages per second per channel, per worker (absent = unlimited). */
  rateLimits: Partial<Record<DeliveryChannel, number>>;
  emailFrom: string;
  /** api: SendBulkEmail (up to 50 recipients a call, the default) or SendEmail (one a call). */
  ses: { regions: ProviderRegion[]; configurationSet?: string; api?: 'bulk' | 'single' };
  smtp: { urls: string[] };
  pinpoint: { regions: (ProviderRegion & { applicationId: string })[] };
  /** SMS origination per region (a phone number, sender id or pool), used by Pinpoint and SMS v2. */
  smsOrigination: Record<string, string>;
  smsV2: { regions: ProviderRegion[]; configurationSet?: string };
  webhookSigningSecret?: string;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** "us-east-1=http://…,us-west-2=http://…" → map; a value without "name=" applies to every region ("*"). */
function regionMap(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(text)) {
    const eq = item.indexOf('=');
    if (eq < 0) out['*'] = item;
    else if (eq === 0) throw new ConfigError(`${name}: "${item}" needs a region before "="`);
    else out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}
function regions(names: string, endpoints: string, variable: string): ProviderRegion[] {
  const ep = regionMap(endpoints, variable);
  const out = list(names).map((n) => ({ name: n, ...((ep[n] ?? ep['*']) ? { endpoint: ep[n] ?? ep['*'] } : {}) }));
  if (out.length === 0) throw new ConfigError(`${variable}: list at least one region`);
  return out;
}
function millis(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text)!;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}
/** "16,email=4": 16 requests in flight per batch, of which at most 4 e-mail requests. */
function providerConcurrency(text: string): {
  providerConcurrency: number;
  providerConcurrencyByChannel: Partial<Record<DeliveryChannel, number>>;
} {
  const [total, ...caps] = text.split(',').map((x) => x.trim());
  const providerConcurrency = Number(total);
  const variable = 'HERALD_PROVIDER_CONCURRENCY';
  if (!(providerConcurrency >= 1 && providerConcurrency <= 1000))
    throw new ConfigError(`${variable}: between 1 and 1000 requests in flight, got ${total}`);
  const providerConcurrencyByChannel: Partial<Record<DeliveryChannel, number>> = {};
  for (const [channel, value] of Object.entries(regionMap(caps.join(','), variable))) {
    const n = Number(value);
    if (!(n >= 1 && n <= providerConcurrency))
      throw new ConfigError(`${variable}: ${channel}=${value} must be between 1 and the total (${providerConcurrency})`);
    providerConcurrencyByChannel[channel as DeliveryChannel] = n;
  }
  return { providerConcurrency, providerConcurrencyByChannel };
}

function rateLimits(text: string): Partial<Record<DeliveryChannel, number>> {
  const out: Partial<Record<DeliveryChannel, number>> = {};
  for (const [channel, value] of Object.entries(regionMap(text, 'HERALD_RATE_LIMITS'))) {
    if (!['email', 'sms', 'push', 'voice', 'chat', 'webhook'].includes(channel))
      throw new ConfigError(`HERALD_RATE_LIMITS: unknown channel "${channel}" (use e.g. email=14,sms=20)`);
    const n = Number(value);
    if (!(n > 0)) throw new ConfigError(`HERALD_RATE_LIMITS: ${channel} needs a positive number of messages per second`);
    out[channel as DeliveryChannel] = n;
  }
  return out;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HeraldConfig {
  ownerOnlyFiles();
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
    workflowBundlePath: e.HERALD_WORKFLOW_BUNDLE ? resolve(e.HERALD_WORKFLOW_BUNDLE) : undefined,
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
        ? {
            certPath: e.TEMPORAL_TLS_CERT,
            keyPath: e.TEMPORAL_TLS_KEY,
            caPath: e.TEMPORAL_TLS_CA,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      retention: e.TEMPORAL_RETENTION,
    },
    delivery: deliveryConfig(e, dataDir),
    api: apiConfig(e),
  };
}

function rate(text: string): RateLimit {
  const m = /^(\d+(?:\.\d+)?)\/s(?:,(\d+))?$/.exec(text)!;
  const perSecond = Number(m[1]);
  return { perSecond, burst: m[2] ? Number(m[2]) : Math.max(1, Math.ceil(perSecond)) };
}

/** The host part of the API's default public URL: a wildcard bind is reached as localhost. */
function apiHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::' || bind === '') return 'localhost';
  return bind.includes(':') ? `[${bind}]` : bind;
}

function apiConfig(e: z.infer<typeof Env>): ApiConfig {
  const tokens: ConfiguredToken[] = [];
  if (e.HERALD_VIEWER_TOKEN) tokens.push({ name: 'viewer', role: 'viewer', token: e.HERALD_VIEWER_TOKEN });
  if (e.HERALD_ADMIN_TOKEN) tokens.push({ name: 'admin', role: 'admin', token: e.HERALD_ADMIN_TOKEN });
  const items = (text: string) =>
    text
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  for (const item of items(e.HERALD_TOKENS)) {
    const [name, role, ...rest] = item.split(':');
    const token = rest.join(':');
    if (!name || !/^[A-Za-z0-9._@-]{1,64}$/.test(name))
      throw new ConfigError(`HERALD_TOKENS: "${item.split(':')[0]}" is not a token name (letters, digits, . _ @ -)`);
    if (!['viewer', 'operator', 'admin', 'webhook'].includes(role ?? ''))
      throw new ConfigError(`HERALD_TOKENS: token ${name} needs a role viewer, operator, admin or webhook (name:role:token)`);
    if (token.length < 16) throw new ConfigError(`HERALD_TOKENS: token ${name} must be at least 16 characters`);
    tokens.push({ name, role: role as TokenRole, token });
  }
  return {
    tokens,
    snsTopics: items(e.HERALD_SNS_TOPICS),
    grafanaSecret: e.HERALD_GRAFANA_SECRET,
    grafanaTimestampHeader: e.HERALD_GRAFANA_TIMESTAMP_HEADER?.toLowerCase(),
    genericWebhookSecret: e.HERALD_GENERIC_WEBHOOK_SECRET,
    rateLimit: rate(e.HERALD_RATE_LIMIT),
    rateLimitIp: rate(e.HERALD_RATE_LIMIT_IP),
    webhookRateLimit: rate(e.HERALD_WEBHOOK_RATE_LIMIT),
    temporalTimeoutMs: e.HERALD_TEMPORAL_TIMEOUT.endsWith('ms')
      ? parseInt(e.HERALD_TEMPORAL_TIMEOUT, 10)
      : parseInt(e.HERALD_TEMPORAL_TIMEOUT, 10) * 1000,
    subscriptions: {
      apiPublicUrl: (e.HERALD_API_PUBLIC_URL ?? `http://${apiHost(e.HERALD_BIND)}:${e.HERALD_API_PORT}`).replace(/\/+$/, ''),
      confirmTtlMs:
        parseInt(e.HERALD_SUBSCRIBE_CONFIRM_TTL, 10) *
        { m: 60_000, h: 3_600_000, d: 86_400_000 }[e.HERALD_SUBSCRIBE_CONFIRM_TTL.slice(-1) as 'm' | 'h' | 'd'],
      rateLimitIp: rate(e.HERALD_SUBSCRIBE_RATE_LIMIT_IP),
      perAddressPerHour: e.HERALD_SUBSCRIBE_ADDRESS_LIMIT,
      allowPrivateWebhooks: e.HERALD_SUBSCRIBE_PRIVATE_WEBHOOKS,
    },
  };
}

function deliveryConfig(e: z.infer<typeof Env>, dataDir: string): DeliveryConfig {
  const appIds = regionMap(e.HERALD_PINPOINT_APP_IDS, 'HERALD_PINPOINT_APP_IDS');
  const pinpointRegions = regions(e.HERALD_PINPOINT_REGIONS, e.HERALD_PINPOINT_ENDPOINTS, 'HERALD_PINPOINT_ENDPOINTS').map(
    (r) => ({ ...r, applicationId: appIds[r.name] ?? appIds['*'] ?? '' }),
  );
  const providers = {
    email: e.HERALD_EMAIL_PROVIDER,
    sms: e.HERALD_SMS_PROVIDER,
    push: e.HERALD_PUSH_PROVIDER,
    voice: e.HERALD_VOICE_PROVIDER,
    chat: e.HERALD_CHAT_PROVIDER,
    webhook: e.HERALD_WEBHOOK_PROVIDER,
  };
  const usesPinpoint = providers.sms === 'pinpoint' || providers.push === 'pinpoint' || providers.voice === 'pinpoint';
  const missing = pinpointRegions.find((r) => !r.applicationId);
  if (usesPinpoint && missing)
    throw new ConfigError(`HERALD_PINPOINT_APP_IDS: no Pinpoint application id for region ${missing.name}`);
  const smtpUrls = list(e.HERALD_SMTP_URLS);
  if (providers.email === 'smtp' && smtpUrls.length === 0)
    throw new ConfigError('HERALD_SMTP_URLS: list at least one smtp:// or smtps:// URL when HERALD_EMAIL_PROVIDER=smtp');
  return {
    databaseUrl: e.HERALD_DATABASE_URL,
    secret: e.HERALD_SECRET,
    unsubscribeUrl: e.HERALD_UNSUBSCRIBE_URL ?? `http://localhost:${e.HERALD_API_PORT}/unsubscribe`,
    outboxDir: resolve(dataDir, 'outbox'),
    batchSize: e.HERALD_DELIVERY_BATCH_SIZE,
    pageSize: Math.max(e.HERALD_DELIVERY_PAGE_SIZE, e.HERALD_DELIVERY_BATCH_SIZE),
    concurrency: e.HERALD_DELIVERY_CONCURRENCY,
    ...providerConcurrency(e.HERALD_PROVIDER_CONCURRENCY),
    inlineRoundMax: e.HERALD_INLINE_ROUND_MAX,
    inFlightRecipients: e.HERALD_IN_FLIGHT_RECIPIENTS,
    regionCooldownMs: millis(e.HERALD_REGION_COOLDOWN),
    httpTimeoutMs: millis(e.HERALD_HTTP_TIMEOUT),
    providers,
    rateLimits: rateLimits(e.HERALD_RATE_LIMITS),
    emailFrom: e.HERALD_EMAIL_FROM,
    ses: {
      regions: regions(e.HERALD_SES_REGIONS, e.HERALD_SES_ENDPOINTS, 'HERALD_SES_ENDPOINTS'),
      configurationSet: e.HERALD_SES_CONFIGURATION_SET,
      api: e.HERALD_SES_API,
    },
    smtp: { urls: smtpUrls },
    pinpoint: { regions: pinpointRegions },
    smsOrigination: regionMap(e.HERALD_SMS_ORIGINATION, 'HERALD_SMS_ORIGINATION'),
    smsV2: {
      regions: regions(e.HERALD_SMS_V2_REGIONS, e.HERALD_SMS_V2_ENDPOINTS, 'HERALD_SMS_V2_ENDPOINTS'),
      configurationSet: e.HERALD_SMS_V2_CONFIGURATION_SET,
    },
    webhookSigningSecret: e.HERALD_WEBHOOK_SIGNING_SECRET,
  };
}
