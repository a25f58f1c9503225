import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { join, posix, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import Negotiator from 'negotiator';
import { cacheControlFor, contentTypeFor } from '../core/statuspage/http';

// The public status server: serves the published snapshot directory only, from memory, and nothing
// else — no Temporal, no API, no store — so it keeps answering when everything else is down. Every
// response's headers are computed once per snapshot, so a request is a map lookup and a write.

interface Variant {
  body: Buffer;
  etag: string;
  /** Response headers as Node's flat [name, value, …] list, the cheapest form to write. */
  headers: string[];
  /** The same without Content-Length and Content-Encoding, for 304. */
  notModified: string[];
}

const flat = (h: OutgoingHttpHeaders) => Object.entries(h).flatMap(([k, v]) => [k, String(v)]);

interface Entry {
  identity: Variant;
  gzip?: Variant;
  br?: Variant;
  /** Every ETag this file has (one per encoding), for If-None-Match. */
  etags: Set<string>;
}

const SECURITY_HEADERS: OutgoingHttpHeaders = { 'X-Content-Type-Options': 'nosniff' };
/** HTML headers; `formAction` adds origins forms may post to (the API, for the subscribe form). */
const htmlSecurityHeaders = (formAction: string[] = []): OutgoingHttpHeaders => ({
  ...HTML_SECURITY_HEADERS,
  'Content-Security-Policy': `${HTML_SECURITY_HEADERS['Content-Security-Policy']}${formAction.map((o) => ` ${o}`).join('')}`,
});
const HTML_SECURITY_HEADERS: OutgoingHttpHeaders = {
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};
/** Read-only data other sites may read (Statuspage does the same): JSON, feeds, the banner. */
const CORS_HEADERS: OutgoingHttpHeaders = { 'Access-Control-Allow-Origin': '*' };
const isCorsPath = (p: string) => p.endsWith('.json') || p.endsWith('.js') || p.endsWith('.atom') || p.endsWith('.rss');

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * One file, with its compressed forms. Compression runs on libuv's thread pool so loading a new
 * snapshot never stalls requests; brotli quality 6 is within a few per cent of 11 on these pages
 * at a hundredth of the time, which keeps a new snapshot live within milliseconds of its publish.
 */
async function entryFor(
  path: string,
  body: Buffer,
  previous?: Entry,
  htmlHeaders: OutgoingHttpHeaders = HTML_SECURITY_HEADERS,
): Promise<Entry> {
  const contentType = contentTypeFor(path);
  const hash = createHash('sha1').update(body).digest('base64url');
  if (previous?.identity.etag === `"${hash}"`) return previous; // unchanged since the last snapshot
  const base: OutgoingHttpHeaders = {
    'Content-Type': contentType,
    'Cache-Control': cacheControlFor(path),
    Vary: 'Accept-Encoding',
    ...SECURITY_HEADERS,
    ...(contentType.startsWith('text/html') ? htmlHeaders : {}),
    ...(isCorsPath(path) ? CORS_HEADERS : {}),
  };
  // A strong ETag names one representation, so each content coding has its own.
  const variant = (b: Buffer, etag: string, encoding?: string): Variant => ({
    body: b,
    etag,
    headers: flat({
      ...base,
      ETag: etag,
      'Content-Length': String(b.length),
      ...(encoding ? { 'Content-Encoding': encoding } : {}),
    }),
    notModified: flat({ ...base, ETag: etag }),
  });
  const identity = variant(body, `"${hash}"`);
  const compressible = body.length > 256 && /text|json|javascript|xml|svg/.test(contentType);
  const entry: Entry = { identity, etags: new Set([identity.etag]) };
  if (compressible) {
    const [gz, br] = await Promise.all([
      gzipAsync(body, { level: 6 }),
      brotliAsync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 6, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    ]);
    entry.gzip = variant(gz, `"${hash}-gz"`, 'gzip');
    entry.br = variant(br, `"${hash}-br"`, 'br');
    entry.etags.add(entry.gzip.etag).add(entry.br.etag);
  }
  return entry;
}

/** Reads a published snapshot directory into memory (files read at once, compressed off-thread). */
export async function loadSnapshotIntoMemory(
  dir: string,
  previous?: Map<string, Entry>,
  htmlHeaders?: OutgoingHttpHeaders,
): Promise<Map<string, Entry>> {
  const read: [string, Buffer][] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else read.push([relative(dir, full).split(sep).join('/'), readFileSync(full)]);
    }
  };
  walk(dir);
  const entries = await Promise.all(
    read.map(async ([path, body]) => ['/' + path, await entryFor(path, body, previous?.get('/' + path), htmlHeaders)] as const),
  );
  return new Map(entries);
}

export interface StatusServer {
  server: Server;
  /** Settles once the first snapshot (if any is published) is in memory; listen after it. */
  ready: Promise<void>;
  /** Re-reads the snapshot if the published directory now points elsewhere; true when it changed. */
  refresh(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StatusServerOptions {
  pollMs?: number;
  formAction?: string[];
  /** How long a client may take to send its headers, and its whole request (as the API's server). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The drill snapshot's directory: served under /drill/, where drill messages link. */
  drillDir?: string;
}

export function createStatusServer(publicDir: string, opts: StatusServerOptions = {}): StatusServer {
  const htmlHeaders = htmlSecurityHeaders(opts.formAction);
  let files = new Map<string, Entry>();
  let loading: Promise<boolean> | null = null;
  const sources = [{ dir: publicDir, prefix: '', current: '', files: new Map<string, Entry>() }];
  if (opts.drillDir) sources.push({ dir: opts.drillDir, prefix: '/drill', current: '', files: new Map<string, Entry>() });
  const loadOne = async (s: (typeof sources)[number]): Promise<boolean> => {
    let real: string;
    try {
      real = realpathSync(s.dir);
    } catch {
      return false; // nothing published yet, or a publish is swapping: keep serving what we have
    }
    if (real === s.current) return false;
    try {
      s.files = await loadSnapshotIntoMemory(real, s.files, htmlHeaders);
      s.current = real;
      return true;
    } catch {
      return false; // pruned under us; the next poll sees the new target
    }
  };
  const load = async (): Promise<boolean> => {
    let changed = false;
    for (const s of sources) changed = (await loadOne(s)) || changed;
    if (changed)
      // One assignment: a request sees the old snapshot or the new one, never a mix.
      files =
        sources.length === 1
          ? sources[0]!.files
          : new Map(sources.flatMap((s) => [...s.files].map(([path, entry]) => [s.prefix + path, entry] as const)));
    return changed;
  };
  /** One load at a time; a refresh asked for during a load runs right after it. */
  const refresh = (): Promise<boolean> => {
    const run = (loading ?? Promise.resolve(false)).then(load);
    loading = run.finally(() => {
      if (loading === guarded) loading = null;
    });
    const guarded = loading;
    return run;
  };
  const ready = refresh().then(() => undefined);
  const timer = setInterval(() => {
    if (!loading) void refresh();
  }, opts.pollMs ?? 250);
  timer.unref();

  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  // Timed-out connections are found by a sweep; sweeping every second holds a slow client for the
  // timeout, not for the timeout plus Node's default 30 s sweep.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) =>
    handle(req, res, files),
  );
  server.headersTimeout = headersTimeout;
  server.requestTimeout = Math.max(opts.requestTimeoutMs ?? 30_000, headersTimeout);
  server.keepAliveTimeout = 65_000;
  return {
    server,
    ready,
    refresh,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const PLAIN_PATH = /^\/[A-Za-z0-9_\-./]*$/;

/** The request path as a key of the snapshot: decoded, normalized, never above the root. */
function requestPath(url: string): string | null {
  // Fast path: nothing to decode and no dot segments (the usual request).
  if (PLAIN_PATH.test(url) && !url.includes('/.') && !url.includes('//')) return url;
  const q = url.indexOf('?');
  const raw = q >= 0 ? url.slice(0, q) : url;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return null;
  // The snapshot is a map of known paths, so nothing outside it can be served; normalizing only
  // makes "/a/../index.html" mean what a browser means by it.
  return posix.normalize(path);
}

type Coding = 'br' | 'gzip' | 'identity';
const CODINGS: Coding[] = ['br', 'gzip', 'identity'];
/** Accept-Encoding values seen, with the codings they accept in preference order (q-values, q=0 refused). */
const acceptedCodings = new Map<string, Coding[]>();

function codingsFor(header: string | undefined): Coding[] {
  if (!header) return ['identity'];
  let codings = acceptedCodings.get(header);
  if (!codings) {
    // negotiator 1.x breaks ties between equal q-values by `preferred` (its published types predate it).
    const negotiator = new Negotiator({ headers: { 'accept-encoding': header } }) as unknown as {
      encodings(available: Coding[], options: { preferred: Coding[] }): Coding[];
    };
    codings = negotiator.encodings(CODINGS, { preferred: CODINGS });
    if (acceptedCodings.size >= 1000) acceptedCodings.clear();
    acceptedCodings.set(header, codings);
  }
  return codings;
}

/** The best representation the client accepts; identity when it accepts none we have. */
function chooseVariant(entry: Entry, header: string | undefined): Variant {
  for (const coding of codingsFor(header)) {
    const v = coding === 'identity' ? entry.identity : entry[coding];
    if (v) return v;
  }
  return entry.identity;
}

function notModified(header: string | undefined, entry: Entry): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  for (const tag of header.split(',')) {
    const t = tag.trim();
    if (entry.etags.has(t.startsWith('W/') ? t.slice(2) : t)) return true;
  }
  return false;
}

function handle(req: IncomingMessage, res: ServerResponse, files: Map<string, Entry>): void {
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    res
      .writeHead(204, {
        ...CORS_HEADERS,
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Max-Age': '86400',
        Allow: 'GET, HEAD, OPTIONS',
      })
      .end();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    res
      .writeHead(405, { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
      .end('Method not allowed\n');
    return;
  }
  const path = requestPath(req.url ?? '/');
  let entry = path === null ? undefined : files.get(path.endsWith('/') ? `${path}index.html` : path);
  if (!entry && path !== null && !path.endsWith('/')) {
    if (files.has(`${path}/index.html`)) {
      // A directory without its slash: redirect, so the page's relative links resolve inside it.
      const q = (req.url ?? '').indexOf('?');
      res
        .writeHead(301, {
          Location: `${encodeURI(path)}/${q >= 0 ? (req.url ?? '').slice(q) : ''}`,
          'Cache-Control': 'public, max-age=3600',
          ...SECURITY_HEADERS,
        })
        .end();
      return;
    }
    entry = files.get(`${path}.html`);
  }
  if (!entry) {
    const notFound = files.get('/404.html');
    const page = notFound ? chooseVariant(notFound, req.headers['accept-encoding']) : undefined;
    res.writeHead(404, {
      'Content-Type': notFound ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'Cache-Control': 'public, max-age=10',
      Vary: 'Accept-Encoding',
      ...(page && page !== notFound!.identity ? { 'Content-Encoding': page === notFound!.br ? 'br' : 'gzip' } : {}),
      ...SECURITY_HEADERS,
      ...HTML_SECURITY_HEADERS,
    });
    res.end(method === 'HEAD' ? undefined : (page?.body ?? 'Not found\n'));
    return;
  }
  const variant = chooseVariant(entry, req.headers['accept-encoding']);
  if (notModified(req.headers['if-none-match'], entry)) {
    res.writeHead(304, variant.notModified).end();
    return;
  }
  res.writeHead(200, variant.headers);
  res.end(method === 'HEAD' ? undefined : variant.body);
}
