import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cacheControlFor } from '../../core/statuspage/http';
import type { Snapshot } from '../../core/statuspage/snapshot';

// Publishes a snapshot to one S3 bucket (one region), data-plane calls only (PutObject).
//
// What "atomic" means here: S3 has no multi-object transaction, but every PutObject is atomic for
// its key (a reader gets the whole old object or the whole new one, never a torn one) and reads are
// strongly consistent after a write. So the order of writes decides what a reader can see: every
// page an entry point links to (incident pages, feeds, JSON detail endpoints, error pages, the
// banner) is written first, then the roll-ups (status.json, summary.json, history pages), and the
// status pages (`<locale>/index.html`, then `index.html`) last. A reader who sees the new index
// therefore finds every page it links to already in place; a reader still on the old index sees the
// old roll-up or, for at most one publish, a newer incident page — never a link to a missing page.
// A failed publish leaves the bucket on the old index, and the next publish (or the activity's
// retry) completes it.

export interface S3TargetOptions {
  region: string;
  bucket: string;
  /** An S3-compatible endpoint (tests, MinIO); path-style addressing is used with it. */
  endpoint?: string;
  /** Key prefix inside the bucket, "" or ending in "/". */
  prefix?: string;
  /** Objects uploaded at once. */
  concurrency?: number;
  /** A publish to this bucket gives up after this long (default 20 s): a slow region must not hold back the page. */
  deadlineMs?: number;
  client?: S3Client;
}

export interface TargetReport {
  target: string;
  ok: boolean;
  /** Objects written, and objects skipped because this target already holds the same bytes. */
  written: number;
  skipped: number;
  ms: number;
  error?: string;
}

/** Write order: 0 first … 3 last (see the comment at the top). */
export function publishRank(path: string): number {
  if (path === 'index.html') return 3;
  if (path.endsWith('/index.html') && !path.includes('incidents/')) return 2;
  if (path === 'api/v2/summary.json' || path === 'api/v2/status.json' || path.endsWith('history.html')) return 1;
  return 0;
}

export interface S3Target {
  name: string;
  publish(snapshot: Snapshot, version: string): Promise<TargetReport>;
  /** The snapshot version the bucket's root index.html was written by, or null (none, or unreachable within `timeoutMs`). */
  indexVersion(timeoutMs?: number): Promise<string | null>;
}

export function createS3Target(options: S3TargetOptions): S3Target {
  const prefix = options.prefix ?? '';
  const client =
    options.client ??
    new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    });
  const name = `s3://${options.bucket}/${prefix} (${options.region})`;
  /** What this process last wrote to each key, so an unchanged file is not written again. */
  const written = new Map<string, string>();

  const put = async (path: string, body: Buffer, contentType: string, digest: string, version: string, signal: AbortSignal) => {
    signal.throwIfAborted();
    await client.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: prefix + path,
        Body: body,
        ContentType: contentType,
        CacheControl: cacheControlFor(path),
        ContentMD5: createHash('md5').update(body).digest('base64'),
        Metadata: { 'herald-snapshot': version },
      }),
      { abortSignal: signal },
    );
    written.set(path, digest);
  };

  return {
    name,
    async indexVersion(timeoutMs = 5_000) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: `${prefix}index.html` }), {
          abortSignal: AbortSignal.timeout(timeoutMs),
        });
        return head.Metadata?.['herald-snapshot'] ?? null;
      } catch {
        return null;
      }
    },
    async publish(snapshot, version) {
      const started = Date.now();
      let count = 0;
      let skipped = 0;
      const deadlineMs = options.deadlineMs ?? 20_000;
      const signal = AbortSignal.timeout(deadlineMs);
      try {
        const ranks: [string, Snapshot extends Map<string, infer F> ? F : never][][] = [[], [], [], []];
        for (const entry of snapshot) ranks[publishRank(entry[0])]!.push(entry);
        for (const group of ranks) {
          const todo = group.filter(([path, file]) => {
            const same = written.get(path) === digestOf(file.body);
            if (same) skipped++;
            return !same;
          });
          // Within a group order does not matter; across groups it does, so each group finishes first.
          let next = 0;
          const workers = Array.from({ length: Math.min(options.concurrency ?? 8, todo.length) }, async () => {
            while (next < todo.length) {
              const [path, file] = todo[next++]!;
              await put(path, file.body, file.contentType, digestOf(file.body), version, signal);
              count++;
            }
          });
          await Promise.all(workers);
        }
        return { target: name, ok: true, written: count, skipped, ms: Date.now() - started };
      } catch (err) {
        const error = signal.aborted ? `gave up after ${deadlineMs} ms (${describe(err)})` : describe(err);
        return { target: name, ok: false, written: count, skipped, ms: Date.now() - started, error };
      }
    },
  };
}

function digestOf(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64');
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}${status}`;
}
