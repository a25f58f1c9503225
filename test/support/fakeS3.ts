import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local S3-compatible endpoint on 127.0.0.1 speaking the S3 REST wire format for what Herald uses:
// path-style PutObject (plain or aws-chunked bodies, Content-MD5 checked like S3 does), GetObject and
// HeadObject, with S3's XML error bodies. It records every write in order, with the region from the
// SigV4 credential scope, so tests can check what each region received and in which order.

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  etag: string;
}

export interface PutRecord {
  bucket: string;
  key: string;
  region: string | null;
  at: number;
}

export interface FakeS3 {
  endpoint: string;
  objects: Map<string, StoredObject>;
  puts: PutRecord[];
  get(bucket: string, key: string): StoredObject | undefined;
  /** Answers every request for a bucket with this HTTP status (e.g. 503) until cleared with null. */
  failBucket(bucket: string, status: number | null): void;
  /** Holds every answer for a bucket this long (a slow region) until cleared with null. */
  delayBucket(bucket: string, ms: number | null): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes an aws-chunked body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n`. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw new Error('malformed aws-chunked body');
    const size = parseInt(raw.subarray(pos, eol).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error('malformed aws-chunked chunk size');
    if (size === 0) return Buffer.concat(out);
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

const xmlError = (code: string, message: string, resource: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, StoredObject>();
  const puts: PutRecord[] = [];
  const failing = new Map<string, number>();
  const delays = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const resource = `/${bucket}/${key}`;
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const reply = (status: number, headers: Record<string, string>, body?: string | Buffer) => {
      res.writeHead(status, { 'x-amz-request-id': requestId, Server: 'FakeS3', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const error = (status: number, code: string, message: string) =>
      reply(status, { 'Content-Type': 'application/xml' }, xmlError(code, message, resource));
    try {
      const raw = await readBody(req);
      if (!/^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? '')))
        return error(403, 'AccessDenied', 'Access Denied');
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request/.exec(String(req.headers.authorization))?.[1] ?? null;
      const delay = delays.get(bucket);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (res.destroyed) return;
      const status = failing.get(bucket);
      if (status)
        return error(status, status === 503 ? 'ServiceUnavailable' : 'InternalError', 'Please reduce your request rate.');
      if (!bucket || !key) return error(400, 'InvalidRequest', 'Only object requests are supported');
      const id = `${bucket}/${key}`;
      if (req.method === 'PUT') {
        const chunked =
          String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
          String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
        const body = chunked ? decodeAwsChunked(raw) : raw;
        const decoded = req.headers['x-amz-decoded-content-length'];
        if (decoded !== undefined && Number(decoded) !== body.length)
          return error(400, 'IncompleteBody', 'The request body is shorter than x-amz-decoded-content-length');
        const md5 = createHash('md5').update(body).digest();
        const sentMd5 = req.headers['content-md5'];
        if (sentMd5 !== undefined && sentMd5 !== md5.toString('base64'))
          return error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
        const metadata: Record<string, string> = {};
        for (const [h, v] of Object.entries(req.headers)) if (h.startsWith('x-amz-meta-')) metadata[h.slice(11)] = String(v);
        const etag = `"${md5.toString('hex')}"`;
        objects.set(id, {
          body,
          contentType: req.headers['content-type'],
          cacheControl: req.headers['cache-control'],
          metadata,
          etag,
        });
        puts.push({ bucket, key, region, at: Date.now() });
        return reply(200, { ETag: etag });
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const obj = objects.get(id);
        if (!obj) return error(404, 'NoSuchKey', 'The specified key does not exist.');
        return reply(
          200,
          {
            ETag: obj.etag,
            'Content-Length': String(obj.body.length),
            ...(obj.contentType ? { 'Content-Type': obj.contentType } : {}),
            ...(obj.cacheControl ? { 'Cache-Control': obj.cacheControl } : {}),
            ...Object.fromEntries(Object.entries(obj.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
          },
          obj.body,
        );
      }
      return error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    } catch (err) {
      return error(400, 'InvalidRequest', (err as Error).message);
    }
  };
  // Every failure is answered inside handle, so nothing is left to await.
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    puts,
    get: (bucket, key) => objects.get(`${bucket}/${key}`),
    failBucket: (bucket, status) => (status ? failing.set(bucket, status) : failing.delete(bucket)),
    delayBucket: (bucket, ms) => (ms ? delays.set(bucket, ms) : delays.delete(bucket)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
