import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import type { Role } from '../auth';
import { Problem } from '../problem';

// The local outbox (the embedded default's "provider"): every message Herald sent is a file under
// $HERALD_DATA_DIR/outbox/. GET /v1/outbox lists them (JSON, or an HTML page for a browser), newest
// first; GET /v1/outbox/:file returns one (.eml as message/rfc822, .json as JSON). Files hold
// recipients' addresses, so both need the viewer role; a browser may pass the token as
// ?access_token= (RFC 6750 §2.3) and the page's links carry it along.

export interface OutboxRouteDeps {
  /** The outbox directory; absent: the routes answer 404. */
  dir?: string;
  requireRole: (role: Role) => RequestHandler;
}

const FILE = /^[A-Za-z0-9_~+][A-Za-z0-9._~+-]*\.(eml|json)$/;

export interface OutboxEntry {
  name: string;
  roundId: string;
  recipientId: string;
  channel: string;
  size: number;
  modifiedAt: string;
}

export function outboxRoutes({ dir, requireRole }: OutboxRouteDeps): Router {
  const router = Router();
  const tokenFromQuery: RequestHandler = (req, _res, next) => {
    const token = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    if (token && !req.headers.authorization) req.headers.authorization = `Bearer ${token}`;
    next();
  };
  const noStore: RequestHandler = (_req, res, next) => {
    res.set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
    next();
  };
  const guard = [noStore, tokenFromQuery, requireRole('viewer')];

  router.get('/v1/outbox', ...guard, async (req, res) => {
    if (!dir) throw new Problem(404, 'No outbox', 'this deployment sends through real providers; there is no local outbox');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000);
    const round = typeof req.query.round === 'string' ? req.query.round : undefined;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => FILE.test(n) && (!round || n.startsWith(`${round}--`)));
    } catch {
      names = [];
    }
    const entries: OutboxEntry[] = [];
    for (const name of names) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (!s) continue;
      const [roundId = '', recipientId = '', rest = ''] = name.split('--');
      entries.push({
        name,
        roundId,
        recipientId,
        channel: rest.replace(/\.(eml|json)$/, ''),
        size: s.size,
        modifiedAt: s.mtime.toISOString(),
      });
    }
    entries.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt) || a.name.localeCompare(b.name));
    const shown = entries.slice(0, limit);
    const token = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const href = (name: string) =>
      `/v1/outbox/${encodeURIComponent(name)}${token ? `?access_token=${encodeURIComponent(token)}` : ''}`;
    if (req.accepts(['json', 'html']) === 'html') {
      res.type('html').send(page(shown, entries.length, href));
      return;
    }
    res.json({ total: entries.length, files: shown.map((e) => ({ ...e, url: `/v1/outbox/${encodeURIComponent(e.name)}` })) });
  });

  router.get('/v1/outbox/:file', ...guard, async (req, res) => {
    const name = String(req.params.file);
    if (!dir || !FILE.test(name)) throw new Problem(404, 'Not found', 'no such message in the outbox');
    let data: Buffer;
    try {
      data = await readFile(join(dir, name));
    } catch {
      throw new Problem(404, 'Not found', 'no such message in the outbox');
    }
    if (name.endsWith('.eml')) res.type('message/rfc822').set('content-disposition', `inline; filename="${name}"`);
    else res.type('application/json');
    res.send(data);
  });
  return router;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(entries: OutboxEntry[], total: number, href: (name: string) => string): string {
  const rows = entries
    .map(
      (e) =>
        `<tr><td><time datetime="${esc(e.modifiedAt)}">${esc(e.modifiedAt.replace('T', ' ').slice(0, 19))}</time></td><td>${esc(e.channel)}</td><td>${esc(e.recipientId)}</td><td>${esc(e.roundId)}</td><td><a href="${esc(href(e.name))}">${esc(e.name.endsWith('.eml') ? 'open .eml' : 'open .json')}</a></td><td>${e.size}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Herald outbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111827}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d1d5db;font-size:.95rem}a{color:#1d4ed8}caption{text-align:left;margin-bottom:.5rem;color:#4b5563}</style></head>
<body><h1>Outbox</h1>
<p>Messages Herald delivered to the local outbox (no provider account configured). Newest first; ${entries.length} of ${total} shown.</p>
<table><caption>Sent messages</caption><thead><tr><th scope="col">Written (UTC)</th><th scope="col">Channel</th><th scope="col">Recipient</th><th scope="col">Round</th><th scope="col">Message</th><th scope="col">Bytes</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">Nothing sent yet.</td></tr>'}
</tbody></table></body></html>
`;
}
