import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { publishToDirectory } from '../../activities/publish/directory';
import { snapshotVersion } from '../../activities/publish/initial';
import { createStatusServer, type StatusServer } from '../../api/statusServer';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import { examplePlan } from '../support/config';
import { pageState } from '../support/pageStates';

// The public status server over a published directory: content types, compression, validators,
// CORS and security headers, directories and locales, and nothing outside the snapshot.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request, so paths like /../ reach the server exactly as written. */
function raw(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('public status server', () => {
  const plan = examplePlan();
  const templates = join(__dirname, '..', '..', 'templates');
  const publicDir = join(mkdtempSync(join(tmpdir(), 'herald-status-')), 'public');
  let status: StatusServer;
  let port: number;
  const get = (path: string, headers?: Record<string, string>, method?: string) => raw(port, path, headers, method);

  before(async () => {
    await publishToDirectory(publicDir, buildSnapshot(plan, pageState(plan, 'incident'), templates), snapshotVersion());
    status = createStatusServer(publicDir, { pollMs: 50 });
    await status.ready;
    status.server.listen(0, '127.0.0.1');
    await new Promise((r) => status.server.once('listening', r));
    port = (status.server.address() as AddressInfo).port;
  });
  after(() => status.close());

  test('serves every kind of file with its content type and cache policy', async () => {
    const types: Record<string, RegExp> = {
      '/': /^text\/html; charset=utf-8$/,
      '/api/v2/summary.json': /^application\/json; charset=utf-8$/,
      '/history.atom': /^application\/atom\+xml; charset=utf-8$/,
      '/history.rss': /^application\/rss\+xml; charset=utf-8$/,
      '/embed/banner.js': /^text\/javascript; charset=utf-8$/,
      '/embed/banner.json': /^application\/json/,
      '/maintenance.html': /^text\/html/,
      '/503.html': /^text\/html/,
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.match(String(res.headers['content-type']), type, path);
      assert.match(String(res.headers['cache-control']), /public, max-age=\d+/, path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(res.headers.vary, 'Accept-Encoding', path);
    }
    assert.match(String((await get('/api/v2/summary.json')).headers['cache-control']), /max-age=10\b.*stale-if-error/);
  });

  test('JSON, feeds and the banner are readable from any origin; HTML carries the security headers', async () => {
    for (const path of ['/api/v2/summary.json', '/api/v2/incidents/unresolved.json', '/embed/banner.json', '/history.atom']) {
      assert.equal((await get(path)).headers['access-control-allow-origin'], '*', path);
    }
    const preflight = await get(
      '/api/v2/summary.json',
      { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
      'OPTIONS',
    );
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    const html = await get('/');
    assert.equal(html.headers['access-control-allow-origin'], undefined);
    assert.match(String(html.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(html.headers['x-frame-options'], 'DENY');
    assert.ok(html.headers['referrer-policy']);
  });

  test('gzip and brotli decode to the same bytes, each encoding with its own ETag, and 304 on a match', async () => {
    const plain = await get('/index.html');
    const gz = await get('/index.html', { 'accept-encoding': 'gzip' });
    const br = await get('/index.html', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    assert.deepEqual(brotliDecompressSync(br.body), plain.body);
    assert.ok(br.body.length < plain.body.length / 3, 'brotli shrinks the page');
    const etags = new Set([plain.headers.etag, gz.headers.etag, br.headers.etag]);
    assert.equal(etags.size, 3);
    const again = await get('/index.html', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, br.headers.etag);
    assert.equal(
      (await get('/index.html', { 'if-none-match': `"other", W/${plain.headers.etag}` })).status,
      304,
      'a list and weak comparison',
    );
    assert.equal((await get('/index.html', { 'if-none-match': '"stale"' })).status, 200);
  });

  test('Accept-Encoding q-values decide: a coding with q=0 is never sent, the highest q wins', async () => {
    const plain = await get('/index.html');
    const cases: [string, string | undefined][] = [
      ['br;q=0, gzip', 'gzip'],
      ['gzip, br;q=0', 'gzip'],
      ['BR;Q=0, GZIP', 'gzip'],
      ['gzip;q=0, br;q=0', undefined],
      ['*;q=0.5, br;q=0', 'gzip'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['gzip;q=0.2, br;q=0.9', 'br'],
      ['identity', undefined],
      ['br;q=0.001', 'br'],
    ];
    for (const [accept, coding] of cases) {
      const res = await get('/index.html', { 'accept-encoding': accept });
      assert.equal(res.headers['content-encoding'], coding, accept);
      const body = coding === 'br' ? brotliDecompressSync(res.body) : coding === 'gzip' ? gunzipSync(res.body) : res.body;
      assert.deepEqual(body, plain.body, accept);
    }
  });

  test('the 404 page is compressed like every page, by the same negotiation', async () => {
    const plainPage = await get('/nope');
    const br = await get('/nope', { 'accept-encoding': 'gzip, br' });
    assert.equal(br.status, 404);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.deepEqual(brotliDecompressSync(br.body), plainPage.body);
    assert.ok(br.body.length < plainPage.body.length / 2);
    const gz = await get('/nope', { 'accept-encoding': 'br;q=0, gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plainPage.body);
    assert.equal((await get('/nope', { 'accept-encoding': 'identity' })).headers['content-encoding'], undefined);
  });

  test('a client that sends its headers slowly is cut off after the header timeout', async () => {
    assert.equal(status.server.headersTimeout, 10_000, 'the default header timeout');
    assert.equal(status.server.requestTimeout, 30_000, 'the default request timeout');
    const quick = createStatusServer(publicDir, { headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    await quick.ready;
    quick.server.listen(0, '127.0.0.1');
    await new Promise((r) => quick.server.once('listening', r));
    try {
      const started = Date.now();
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const socket = connect((quick.server.address() as AddressInfo).port, '127.0.0.1', () => {
          socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
          const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
          socket.on('close', () => {
            clearInterval(drip);
            resolve(Date.now() - started);
          });
        });
        socket.on('error', () => undefined);
        setTimeout(() => reject(new Error('still open after 8 s')), 8000).unref();
      });
      assert.ok(closedAfter < 3500, `closed after ${closedAfter} ms`);
    } finally {
      await quick.close();
    }
  });

  test('HEAD answers the headers of GET without a body', async () => {
    const get200 = await get('/api/v2/summary.json');
    const head = await get('/api/v2/summary.json', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(get200.body.length));
    assert.equal(head.headers.etag, get200.headers.etag);
  });

  test('directories serve their index, a directory without its slash redirects, pages work without .html', async () => {
    const zh = await get('/zh-TW/');
    assert.equal(zh.status, 200);
    assert.match(zh.body.toString(), /<html lang="zh-TW">/);
    const redirect = await get('/zh-TW?x=1');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/zh-TW/?x=1');
    assert.equal((await get('/zh-TW/index.html')).status, 200);
    assert.equal((await get('/incidents/inc-api-errors')).status, 200);
    assert.equal((await get('/zh-TW/incidents/inc-api-errors.html')).status, 200);
    assert.equal((await get('/history')).status, 200);
  });

  test('nothing outside the snapshot is reachable; unknown paths get the 404 page', async () => {
    for (const path of [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/%00',
      '/%E0%A4%A',
      '/api/v2/../../../package.json',
      '/\\..\\etc\\passwd',
      '/nope',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body.toString(), /root:|"name": "herald"/, path);
    }
    const res = await get('/nope');
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.body.toString(), /Page not found/);
    assert.equal((await get('/api/v2/summary.json', {}, 'POST')).status, 405);
  });

  test('switches to a newly published snapshot without a restart', async () => {
    await publishToDirectory(publicDir, buildSnapshot(plan, pageState(plan, 'maintenance'), templates), snapshotVersion());
    const deadline = Date.now() + 5000;
    let indicator = '';
    while (Date.now() < deadline) {
      indicator = (JSON.parse((await get('/api/v2/status.json')).body.toString()) as { status: { indicator: string } }).status
        .indicator;
      if (indicator === 'maintenance') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(indicator, 'maintenance');
  });
});
