import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// The worker's Prometheus metrics: what happens in delivery activities (messages by channel,
// provider, region and result; provider request latency; region failovers; rounds the content
// guard refused), which the API's GET /metrics cannot see. Served by a small HTTP listener of the
// worker process (HERALD_WORKER_METRICS_PORT, loopback unless HERALD_WORKER_METRICS_BIND says
// otherwise, off when 0). The delivery activities take these hooks as an optional dependency.

/** The hooks the delivery activities call; every one is cheap and never throws. */
export interface DeliveryMetrics {
  /** One delivery settled or sent (result: sent, failed, retry, opted_out, suppressed). */
  message(labels: { channel: string; provider: string; region: string; result: string }, n?: number): void;
  /** One provider request (all its messages), timed until the region that answered did. */
  providerRequest(labels: { provider: string; region: string; channel: string; outcome: 'ok' | 'error' }, seconds: number): void;
  /** A region failed a request and the next one was tried (or none was left). */
  failover(labels: { provider: string; region: string }): void;
  /** The content guard refused a round's rendered text. */
  guardRefusal(labels: { phase: string; audience: string }): void;
}

export interface WorkerMetrics extends DeliveryMetrics {
  registry: Registry;
}

export function createWorkerMetrics({ defaultMetrics = true } = {}): WorkerMetrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'herald_worker_' });
  const messages = new Counter({
    name: 'herald_messages_total',
    help: 'Deliveries by channel, provider, region and result (sent, failed, retry, opted_out, suppressed)',
    labelNames: ['channel', 'provider', 'region', 'result'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'herald_provider_request_duration_seconds',
    help: 'Provider request latency by provider, region, channel and outcome',
    labelNames: ['provider', 'region', 'channel', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const failovers = new Counter({
    name: 'herald_provider_failovers_total',
    help: 'Provider requests a region failed, so the next region was tried',
    labelNames: ['provider', 'region'] as const,
    registers: [registry],
  });
  const guard = new Counter({
    name: 'herald_round_guard_refusals_total',
    help: 'Message rounds the content guard refused, by phase and audience',
    labelNames: ['phase', 'audience'] as const,
    registers: [registry],
  });
  return {
    registry,
    message: (labels, n = 1) => messages.inc(labels, n),
    providerRequest: (labels, seconds) => latency.observe(labels, seconds),
    failover: (labels) => failovers.inc(labels),
    guardRefusal: (labels) => guard.inc(labels),
  };
}

/** Where the listener goes: `{port: 0}` means off. Default 127.0.0.1:9464. */
export function workerMetricsAddress(env: NodeJS.ProcessEnv = process.env): { host: string; port: number } {
  const raw = env.HERALD_WORKER_METRICS_PORT?.trim() || '9464';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new Error(`HERALD_WORKER_METRICS_PORT: "${raw}" is not a port (0 switches the worker's metrics off)`);
  return { host: env.HERALD_WORKER_METRICS_BIND?.trim() || '127.0.0.1', port };
}

/** The URL the worker's metrics are scraped at, or null when they are off. */
export function workerMetricsUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  const { host, port } = workerMetricsAddress(env);
  return port === 0 ? null : `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
}

/** Serves GET /metrics (and nothing else) from the registry. Resolves once listening. */
export async function serveWorkerMetrics(
  registry: Registry,
  address: { host: string; port: number },
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}/metrics`;
  return { server, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}
