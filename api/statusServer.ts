import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

// The public status server: serves the published snapshot directory only, from memory, and nothing
// else — no Temporal, no API, no store — so it keeps answering when everything else is down.

interface Entry {
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  etag: string;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.rss': 'application/rss+xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const HTML_SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};

export function loadSnapshotIntoMemory(dir: string): Map<string, Entry> {
  const files = new Map<string, Entry>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const body = readFileSync(full);
        const contentType = TYPES[extname(name)] ?? 'application/octet-stream';
        const compressible = body.length > 256 && /text|json|javascript|xml|svg/.test(contentType);
        files.set('/' + relative(dir, full).split(sep).join('/'), {
          body,
          etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
          contentType,
          gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
          br: compressible ? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }) : undefined,
        });
      }
    }
  };
  walk(dir);
  return files;
}

export interface StatusServer {
  server: Server;
  /** Re-reads the snapshot if the published directory now points elsewhere. */
  refresh(): boolean;
  close(): Promise<void>;
}

export function createStatusServer(publicDir: string, opts: { pollMs?: number } = {}): StatusServer {
  let current = '';
  let files = new Map<string, Entry>();
  const refresh = () => {
    let real: string;
    try {
      real = realpathSync(publicDir);
    } catch {
      return false; // nothing published yet, or a publish is swapping: keep serving what we have
    }
    if (real === current) return false;
    try {
      files = loadSnapshotIntoMemory(real);
      current = real;
      return true;
    } catch {
      return false; // pruned under us; the next poll sees the new target
    }
  };
  refresh();
  const timer = setInterval(refresh, opts.pollMs ?? 250);
  timer.unref();

  const server = createServer((req, res) => handle(req, res, files));
  server.keepAliveTimeout = 65_000;
  return {
    server,
    refresh,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, files: Map<string, Entry>): void {
  const method = req.method ?? 'GET';
  const rawPath = (req.url ?? '/').split('?')[0]!;
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    path = rawPath;
  }
  if (path.endsWith('/')) path += 'index.html';
  const entry = files.get(path) ?? files.get(`${path}/index.html`) ?? files.get(`${path}.html`);
  const isJson = path.endsWith('.json');
  if (isJson || path.endsWith('.js')) res.setHeader('Access-Control-Allow-Origin', '*');
  if (method === 'OPTIONS') {
    res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Max-Age': '86400' }).end();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
    return;
  }
  if (!entry) {
    const notFound = files.get('/404.html');
    res.writeHead(404, { 'Content-Type': notFound ? notFound.contentType : 'text/plain; charset=utf-8', ...HTML_SECURITY_HEADERS });
    res.end(method === 'HEAD' ? undefined : (notFound?.body ?? 'Not found\n'));
    return;
  }
  const headers: Record<string, string> = {
    'Content-Type': entry.contentType,
    ETag: entry.etag,
    'Cache-Control': isJson ? 'public, max-age=10, stale-while-revalidate=30, stale-if-error=86400' : 'public, max-age=30, stale-if-error=86400',
    Vary: 'Accept-Encoding',
  };
  if (entry.contentType.startsWith('text/html')) Object.assign(headers, HTML_SECURITY_HEADERS);
  if (req.headers['if-none-match'] === entry.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const accept = String(req.headers['accept-encoding'] ?? '');
  let body = entry.body;
  if (entry.br && /\bbr\b/.test(accept)) {
    body = entry.br;
    headers['Content-Encoding'] = 'br';
  } else if (entry.gzip && /\bgzip\b/.test(accept)) {
    body = entry.gzip;
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(method === 'HEAD' ? undefined : body);
}
