import type { Client } from '@temporalio/client';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { INCIDENT_STATUSES } from '../core/incident';
import { MAINTENANCE_STATUSES } from '../core/maintenance';

// The API's Prometheus metrics. One registry per app (tests build several apps in one process).
// Incidents and maintenances by state come from Temporal visibility counts, cached a few seconds so
// a scrape never costs more than a handful of count queries.

export interface ApiMetrics {
  registry: Registry;
  webhooks: Counter<'source' | 'result'>;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  guardRefusals: Counter<'route'>;
  rateLimited: Counter<'limiter'>;
  /** Express middleware that counts every request by its route pattern and status. */
  middleware: RequestHandler;
}

export function createApiMetrics(client: Client, { cacheMs = 5000, timeoutMs = 5000 } = {}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_api_' });
  const webhooks = new Counter({
    name: 'herald_webhooks_total',
    help: 'Monitoring webhook deliveries by source and result',
    labelNames: ['source', 'result'] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'herald_api_requests_total',
    help: 'API requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'herald_api_request_duration_seconds',
    help: 'API request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const guardRefusals = new Counter({
    name: 'herald_guard_refusals_total',
    help: 'Operator texts the content guard refused, by route',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'herald_rate_limited_total',
    help: 'Requests refused by a rate limiter',
    labelNames: ['limiter'] as const,
    registers: [registry],
  });

  let cached: { at: number; incidents: Record<string, number>; maintenances: Record<string, number> } | undefined;
  let pending: Promise<NonNullable<typeof cached>> | undefined;
  const counts = async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached;
    pending ??= (async () => {
      try {
        const count = async (q: string) => Number((await client.workflow.count(q)).count);
        const run = async () => {
          const [inc, mnt] = await Promise.all([
            Promise.all(
              INCIDENT_STATUSES.map((s) => count(`HeraldKind = 'incident' AND HeraldStatus = '${s}' AND HeraldDrill = false`)),
            ),
            Promise.all(
              MAINTENANCE_STATUSES.map((s) =>
                count(`HeraldKind = 'maintenance' AND HeraldStatus = '${s}' AND HeraldDrill = false`),
              ),
            ),
          ]);
          return {
            at: Date.now(),
            incidents: Object.fromEntries(INCIDENT_STATUSES.map((s, i) => [s, inc[i]!])),
            maintenances: Object.fromEntries(MAINTENANCE_STATUSES.map((s, i) => [s, mnt[i]!])),
          };
        };
        cached = await client.connection.withDeadline(Date.now() + timeoutMs, run);
        return cached;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  const up = new Gauge({
    name: 'herald_temporal_visibility_up',
    help: '1 when the last visibility count succeeded',
    registers: [registry],
  });
  new Gauge({
    name: 'herald_incidents',
    help: 'Incidents (not drills) by Statuspage status, from Temporal visibility',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const c = await counts();
        for (const [state, n] of Object.entries(c.incidents)) this.set({ state }, n);
        up.set(1);
      } catch {
        up.set(0);
      }
    },
  });
  new Gauge({
    name: 'herald_maintenances',
    help: 'Maintenance windows (not drills) by status, from Temporal visibility',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const c = await counts();
        for (const [state, n] of Object.entries(c.maintenances)) this.set({ state }, n);
      } catch {
        /* reported by herald_temporal_visibility_up */
      }
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      // The route pattern (/v1/incidents/:id), never the raw path: ids must not explode the label set.
      const route = req.route?.path
        ? `${req.baseUrl}${String(req.route.path)}`
        : res.statusCode === 404
          ? 'unmatched'
          : ((res.locals.routeName as string | undefined) ?? 'unmatched');
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      duration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
  return { registry, webhooks, requests, duration, guardRefusals, rateLimited, middleware };
}
