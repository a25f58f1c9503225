import express, { type Express, type RequestHandler } from 'express';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { ApiConfig } from '../core/config';
import type { Logger } from '../core/logger';
import type { Plan } from '../core/plan/schema';
import { openWebhookLedger, type WebhookLedger } from '../core/webhookLedger';
import { bearerAuth, type Role, type TokenGrant } from './auth';
import { requestDeadline, withCallDeadline } from './deadline';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { Problem, problemHandler } from './problem';
import { clientAddress, rateLimit, tokenBucket } from './rateLimit';
import type { RouteDeps } from './routes/common';
import { incidentRoutes } from './routes/incidents';
import { maintenanceRoutes } from './routes/maintenances';
import { planRoutes } from './routes/plan';
import { drillRoutes } from './routes/drills';
import { outboxRoutes } from './routes/outbox';
import { unsubscribeRoutes } from './routes/unsubscribe';
import { subscriptionRoutes } from './routes/subscriptions';
import { DEFAULT_TEMPLATES_DIR } from '../core/render';
import type { Store } from '../core/store';
import { webhookRoutes } from './routes/webhooks';
import type { FetchText } from './routes/webhooks/snsSignature';

export interface ApiDeps {
  client: Client;
  plan: Plan;
  taskQueue: string;
  tokens: TokenGrant[];
  log: Logger;
  publicUrl: string;
  /** Limits, webhook secrets and SNS topics; defaults suit tests and the embedded default. */
  api?: Partial<ApiConfig>;
  /** Processed webhook deliveries; an in-memory ledger when omitted (tests). */
  ledger?: WebhookLedger;
  templatesDir?: string;
  /** GETs SNS certificate and SubscribeURL URLs; injectable for tests. */
  snsFetch?: FetchText;
  metrics?: ApiMetrics;
  /** The local outbox directory ($HERALD_DATA_DIR/outbox), listed at GET /v1/outbox. */
  outboxDir?: string;
  /** Subscribers (one-click unsubscribe at /unsubscribe) and the secret their links are signed with. */
  store?: Store;
  secret?: string;
  /** Base of unsubscribe links shown after a subscription is confirmed. */
  unsubscribeUrl?: string;
  /** How long the same subscription request sends no second confirmation (default 10 minutes). */
  subscriptionDuplicateWindowMs?: number;
}

export const API_DEFAULTS: Omit<ApiConfig, 'tokens'> = {
  snsTopics: [],
  rateLimit: { perSecond: 20, burst: 60 },
  rateLimitIp: { perSecond: 50, burst: 200 },
  webhookRateLimit: { perSecond: 200, burst: 1000 },
  temporalTimeoutMs: 10_000,
  subscriptions: {
    apiPublicUrl: 'http://localhost:3000',
    confirmTtlMs: 48 * 3_600_000,
    rateLimitIp: { perSecond: 0.05, burst: 10 },
    perAddressPerHour: 3,
    allowPrivateWebhooks: false,
  },
};

/** /healthz answers within this, reachable or not. */
const HEALTH_TIMEOUT_MS = 2000;

export function createApp(deps: ApiDeps): Express {
  const { client, plan, taskQueue, tokens, log, publicUrl } = deps;
  const api = { ...API_DEFAULTS, ...deps.api };
  const metrics = deps.metrics ?? createApiMetrics(client);
  const ledger = deps.ledger ?? openWebhookLedger(':memory:');
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('etag', false);

  app.use(metrics.middleware);
  app.use(requestLog(log));
  app.use(requestDeadline(client.connection, (req) => (req.path === '/healthz' ? HEALTH_TIMEOUT_MS : api.temporalTimeoutMs)));

  // --- public: health, the API description, metrics ------------------------------------------
  app.get('/healthz', async (_req, res) => {
    try {
      await withCallDeadline(client.connection, HEALTH_TIMEOUT_MS, () => client.connection.workflowService.getSystemInfo({}));
      res.json({ status: 'ok', temporal: 'reachable' });
    } catch (err) {
      res
        .status(503)
        .type('application/problem+json')
        .json({
          type: 'https://herald.dev/problems/temporal-unreachable',
          title: 'Temporal unreachable',
          status: 503,
          detail: (err as Error).message.split('\n')[0],
        });
    }
  });
  const openapi = openApiDocument(plan);
  app.get('/openapi.json', (_req, res) => void res.json(openapi));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const perTokenLimiter = tokenBucket(api.rateLimit);
  const requireRole = (role: Role): RequestHandler => {
    const auth = bearerAuth(tokens, role);
    const limit = rateLimit(
      perTokenLimiter,
      (_req, res) => `token:${String(res.locals.actor)}`,
      429,
      () => metrics.rateLimited.inc({ limiter: 'token' }),
    );
    return (req, res, next) => auth(req, res, (err?: unknown) => (err ? next(err) : limit(req, res, next)));
  };
  const routeDeps: RouteDeps = {
    client,
    plan,
    taskQueue,
    requireRole,
    publicUrl,
    metrics,
    log,
    temporalTimeoutMs: api.temporalTimeoutMs,
  };

  // --- monitoring webhooks: raw bodies (signatures), 256 kB, their own limits and answers ---------
  app.use(unsubscribeRoutes({ store: deps.store, secret: deps.secret, plan, templatesDir: deps.templatesDir }));
  app.use(webhookRoutes({ ...routeDeps, ledger, api, snsFetch: deps.snsFetch, webhookAuth: bearerAuth(tokens, 'webhook') }));

  // --- operator API: JSON bodies up to 64 kB, limited per address before auth and per token after --
  app.use(
    '/v1',
    rateLimit(
      tokenBucket(api.rateLimitIp),
      (req) => `ip:${clientAddress(req)}`,
      429,
      () => metrics.rateLimited.inc({ limiter: 'ip' }),
    ),
  );
  // Public subscriptions: JSON or form posts (the status page's form), before the JSON-only check.
  app.use(
    subscriptionRoutes({
      plan,
      log,
      config: api.subscriptions,
      templatesDir: deps.templatesDir ?? DEFAULT_TEMPLATES_DIR,
      store: deps.store,
      secret: deps.secret,
      client,
      taskQueue,
      temporalTimeoutMs: api.temporalTimeoutMs,
      duplicateWindowMs: deps.subscriptionDuplicateWindowMs,
      unsubscribeUrl: deps.unsubscribeUrl,
      corsOrigins: [...new Set([publicUrl, plan.page.url].filter((u) => URL.canParse(u)).map((u) => new URL(u).origin))],
      onRateLimited: (limiter) => metrics.rateLimited.inc({ limiter }),
    }),
  );
  app.use('/v1', (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && req.method !== 'GET' && !req.is(['application/json', 'application/*+json'])) {
      return next(new Problem(415, 'Unsupported media type', 'send the body as application/json'));
    }
    next();
  });
  app.use(express.json({ limit: '64kb', strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(incidentRoutes(routeDeps));
  app.use(maintenanceRoutes(routeDeps));
  app.use(planRoutes({ ...routeDeps, templatesDir: deps.templatesDir }));
  app.use(drillRoutes(routeDeps));
  app.use(outboxRoutes({ dir: deps.outboxDir, requireRole }));

  app.use((req, _res, next) => next(new Problem(404, 'Not found', `no route ${req.method} ${req.path.slice(0, 200)}`)));
  app.use(problemHandler((err) => log.error({ err }, 'unexpected error')));
  return app;
}

/** Timeouts for the HTTP server: slow or stalled clients cannot hold connections open. */
export function configureServer(server: Server): Server {
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  return server;
}

/** One JSON line per request: method, route, status, time, who — never bodies or tokens. */
function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = Date.now();
    res.once('finish', () => {
      const quiet = req.path === '/healthz' || req.path === '/metrics';
      const entry = {
        method: req.method,
        path: req.path.slice(0, 200),
        status: res.statusCode,
        ms: Date.now() - start,
        ...(res.locals.actor ? { actor: res.locals.actor } : {}),
        ...(/^\/v1\/(incidents|maintenances)\/[a-z0-9-]+/.test(req.path)
          ? { [req.path.startsWith('/v1/incidents') ? 'incidentId' : 'maintenanceId']: req.path.split('/')[3] }
          : {}),
      };
      if (res.statusCode >= 500) log.warn(entry, 'request failed');
      else if (quiet) log.debug(entry, 'request');
      else log.info(entry, 'request');
    });
    next();
  };
}
