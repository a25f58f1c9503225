import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { formatMessageTime } from '../core/messageWords';
import { label, loadLabels, negotiateLocale } from '../core/statuspage/locale';

// Outage answers for a customer's own API, exported by the package:
//
//   const outage = heraldOutageResponses({ statusUrl: 'https://status.example.com', components: ['payments'] });
//   app.use('/payments', outage.guard, paymentsRouter, outage.errors);
//
// `guard` reads the published summary.json (cached briefly; the status page's own failure domain,
// never Herald's API) and answers 503 straight away while a guarded component is in a major outage
// or under maintenance; it also answers 504 when the handler takes longer than `timeoutMs`.
// `errors` turns an upstream failure (a thrown error or next(err) with no 4xx status) into 503 when
// a guarded component has an open incident or maintenance, else 502 (504 for timeouts). Every answer
// is RFC 9457 application/problem+json, worded in the caller's language (Accept-Language), with a
// link to the status page and, on 503, Retry-After from the incident's ETA or the maintenance's end.

// The package's templates (the answers' words): beside api/ when run from source, two levels up
// from the build (dist/api/). Only what this file imports is built (tsconfig.build.json), so it
// needs neither tsx nor the rest of Herald: `require('herald/middleware')`.
const DEFAULT_TEMPLATES_DIR =
  [join(__dirname, '..', 'templates'), join(__dirname, '..', '..', 'templates')].find((d) =>
    existsSync(join(d, 'pages', 'locales')),
  ) ?? join(__dirname, '..', 'templates');

type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

interface SummaryComponent {
  id: string;
  name: string;
  status: ComponentStatus;
  group?: boolean;
  components?: string[];
}
interface SummaryItem {
  id: string;
  name: string;
  status: string;
  shortlink: string;
  components: { id: string }[];
  eta?: string | null;
  next_update_at?: string | null;
  scheduled_until?: string;
}
export interface Summary {
  page: { name: string; url: string; time_zone?: string };
  components: SummaryComponent[];
  incidents: SummaryItem[];
  scheduled_maintenances: SummaryItem[];
}

export interface OutageResponsesOptions {
  /** The status page's public address, linked from every answer. */
  statusUrl: string;
  /** Where to read summary.json (default: <statusUrl>/api/v2/summary.json), or a published directory instead. */
  summaryUrl?: string;
  snapshotDir?: string;
  /** Component (or group) ids this API depends on. */
  components: string[];
  /** Statuses that turn every request away with 503 (default: major_outage and under_maintenance). */
  blockOn?: ComponentStatus[];
  /** Locales the answers are worded in (default: en and zh-TW), and the one used when none matches. */
  locales?: string[];
  defaultLocale?: string;
  /** Names per locale for the guarded components, when the page's own names are not enough. */
  names?: Record<string, Record<string, string>>;
  /** How long a read summary is trusted (default 10 s); a failed read keeps the last one up to 10 min. */
  cacheMs?: number;
  /** Answer 504 when the wrapped handler has not answered within this time (default: never). */
  timeoutMs?: number;
  /** Retry-After when nothing says when it will be over (default 60 s). */
  defaultRetryAfterSeconds?: number;
  templatesDir?: string;
  timeZone?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  status_page: string;
  incident?: { id: string; name: string; status: string; url: string; kind: 'incident' | 'maintenance' };
  components?: { id: string; name: string; status: ComponentStatus }[];
  retry_after?: number;
  eta?: string;
}

export interface OutageResponses {
  guard: RequestHandler;
  errors: ErrorRequestHandler;
  /** The summary as last read (null when it could not be read). */
  summary(): Promise<Summary | null>;
}

const STALE_LIMIT_MS = 10 * 60_000;

export function heraldOutageResponses(options: OutageResponsesOptions): OutageResponses {
  const statusUrl = options.statusUrl.replace(/\/+$/, '');
  const summaryUrl = options.summaryUrl ?? `${statusUrl}/api/v2/summary.json`;
  const locales = options.locales ?? ['en', 'zh-TW'];
  const defaultLocale = options.defaultLocale ?? locales[0] ?? 'en';
  const blockOn = new Set<ComponentStatus>(options.blockOn ?? ['major_outage', 'under_maintenance']);
  const cacheMs = options.cacheMs ?? 10_000;
  const templatesDir = options.templatesDir ?? DEFAULT_TEMPLATES_DIR;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;

  let cached: { at: number; summary: Summary } | null = null;
  let inFlight: Promise<Summary | null> | null = null;

  const read = async (): Promise<Summary> => {
    if (options.snapshotDir)
      return JSON.parse(await readFile(join(options.snapshotDir, 'api', 'v2', 'summary.json'), 'utf8')) as Summary;
    const res = await doFetch(summaryUrl, { signal: AbortSignal.timeout(2000), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`summary.json: HTTP ${res.status}`);
    return (await res.json()) as Summary;
  };
  const summary = (): Promise<Summary | null> => {
    if (cached && now() - cached.at < cacheMs) return Promise.resolve(cached.summary);
    inFlight ??= read()
      .then((s) => ((cached = { at: now(), summary: s }), s))
      .catch(() => (cached && now() - cached.at < STALE_LIMIT_MS ? cached.summary : null))
      .finally(() => (inFlight = null));
    return inFlight;
  };

  /** The guarded components as the page shows them, groups expanded to their children. */
  const guarded = (s: Summary) => {
    const ids = new Set<string>();
    for (const id of options.components) {
      const row = s.components.find((c) => c.id === id);
      if (row?.group && row.components) row.components.forEach((c) => ids.add(c));
      else ids.add(id);
    }
    return s.components.filter((c) => ids.has(c.id) && !c.group);
  };

  /** The worst-hit guarded component and the open incident or maintenance behind it. */
  const situation = (s: Summary | null) => {
    if (!s) return null;
    const rank: ComponentStatus[] = [
      'operational',
      'degraded_performance',
      'partial_outage',
      'under_maintenance',
      'major_outage',
    ];
    const hit = guarded(s)
      .filter((c) => c.status !== 'operational')
      .sort((a, b) => rank.indexOf(b.status) - rank.indexOf(a.status));
    const ids = new Set(guarded(s).map((c) => c.id));
    const touches = (i: SummaryItem) => i.components.some((c) => ids.has(c.id));
    const maintenance = s.scheduled_maintenances.find(
      (m) => (m.status === 'in_progress' || m.status === 'verifying') && touches(m),
    );
    const incident = s.incidents.find(touches);
    if (hit.length === 0 && !incident && !maintenance) return null;
    const worst = hit[0]?.status ?? (maintenance ? 'under_maintenance' : 'degraded_performance');
    const item =
      worst === 'under_maintenance' && maintenance
        ? { kind: 'maintenance' as const, ...maintenance }
        : incident
          ? { kind: 'incident' as const, ...incident }
          : maintenance
            ? { kind: 'maintenance' as const, ...maintenance }
            : null;
    return { worst, components: hit, item, page: s.page };
  };

  const retryAfter = (
    item: { kind: string; eta?: string | null; next_update_at?: string | null; scheduled_until?: string } | null,
  ): number => {
    const candidates = item?.kind === 'maintenance' ? [item.scheduled_until] : [item?.eta, item?.next_update_at];
    for (const c of candidates) {
      const t = c ? new Date(c).getTime() - now() : NaN;
      if (t > 0) return Math.ceil(t / 1000);
    }
    return options.defaultRetryAfterSeconds ?? 60;
  };

  const localeOf = (req: Request) => negotiateLocale(req.get('accept-language'), locales, defaultLocale);
  const componentName = (c: { id: string; name: string }, locale: string) => options.names?.[c.id]?.[locale] ?? c.name;

  const send = (
    req: Request,
    res: Response,
    kind: 'outage' | 'maintenance' | 'upstreamFailure' | 'upstreamTimeout',
    status: number,
    s: ReturnType<typeof situation>,
  ) => {
    const locale = localeOf(req);
    const t = loadLabels(templatesDir, locale);
    const timeZone = options.timeZone ?? s?.page.time_zone ?? 'Etc/UTC';
    const item = s?.item ?? null;
    const names = new Intl.ListFormat(locale, { type: 'conjunction' }).format(
      (s?.components ?? []).map((c) => componentName(c, locale)),
    );
    const key = kind === 'upstreamFailure' && item ? 'upstreamFailureIncident' : kind;
    const sentences = [label(t, `problem.${key}.detail`, { component: names, incident: item?.name ?? '' })];
    const when = (iso: string) => formatMessageTime(new Date(iso), locale, timeZone);
    if (item?.kind === 'maintenance' && item.scheduled_until)
      sentences.push(label(t, 'problem.untilSentence', { until: when(item.scheduled_until) }));
    else if (item?.eta && new Date(item.eta).getTime() > now())
      sentences.push(label(t, 'problem.etaSentence', { eta: when(item.eta) }));
    if (item?.next_update_at && new Date(item.next_update_at).getTime() > now())
      sentences.push(label(t, 'problem.nextUpdateSentence', { at: when(item.next_update_at) }));
    sentences.push(label(t, 'problem.statusSentence', { url: item?.shortlink ?? statusUrl }));
    const typeSlug = {
      outage: 'outage',
      maintenance: 'maintenance',
      upstreamFailure: 'upstream-failure',
      upstreamTimeout: 'upstream-timeout',
    }[kind];
    const problem: Problem = {
      type: `${statusUrl}/problems/${typeSlug}`,
      title: label(t, `problem.${key}.title`),
      status,
      detail: sentences.join(locale.startsWith('zh') ? '' : ' '),
      instance: item?.shortlink ?? `urn:uuid:${randomUUID()}`,
      status_page: statusUrl,
    };
    if (item) problem.incident = { id: item.id, name: item.name, status: item.status, url: item.shortlink, kind: item.kind };
    if (s?.components.length)
      problem.components = s.components.map((c) => ({ id: c.id, name: componentName(c, locale), status: c.status }));
    if (item?.eta) problem.eta = item.eta;
    res.status(status);
    res.set({
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Language': locale,
      Vary: 'Accept-Language',
      'Cache-Control': 'no-store',
      Link: `<${statusUrl}>; rel="related"`,
    });
    if (status === 503 || (item && status >= 500)) {
      problem.retry_after = retryAfter(item);
      res.set('Retry-After', String(problem.retry_after));
    }
    res.end(JSON.stringify(problem));
  };

  const guard: RequestHandler = (req, res, next) => {
    void summary().then((s) => {
      const now = situation(s);
      if (now && blockOn.has(now.worst as ComponentStatus) && now.components.some((c) => blockOn.has(c.status))) {
        return send(req, res, now.worst === 'under_maintenance' ? 'maintenance' : 'outage', 503, now);
      }
      if (options.timeoutMs) {
        const timer = setTimeout(() => {
          if (res.headersSent) return;
          void summary().then((latest) => {
            if (res.headersSent) return;
            send(req, res, 'upstreamTimeout', 504, situation(latest));
            // The handler may still answer later: what it writes now goes nowhere.
            res.setHeader = () => res;
            res.writeHead = (() => res) as never;
            res.write = (() => true) as never;
            res.end = (() => res) as never;
          });
        }, options.timeoutMs);
        res.once('close', () => clearTimeout(timer));
        res.once('finish', () => clearTimeout(timer));
      }
      next();
    }, next);
  };

  const errors: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = (err ?? {}) as { status?: number; statusCode?: number; name?: string; code?: string };
    const status = e.status ?? e.statusCode;
    if (status && status >= 400 && status < 500) return next(err);
    const timedOut =
      status === 504 || e.name === 'TimeoutError' || e.code === 'ETIMEDOUT' || e.code === 'UND_ERR_HEADERS_TIMEOUT';
    void summary().then((s) => {
      const now = situation(s);
      if (now?.item) send(req, res, now.item.kind === 'maintenance' ? 'maintenance' : 'upstreamFailure', 503, now);
      else send(req, res, timedOut ? 'upstreamTimeout' : 'upstreamFailure', timedOut ? 504 : 502, now);
    }, next);
  };

  return { guard, errors, summary };
}
