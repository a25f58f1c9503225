// V8 flags for the worker process, set by whatever spawns it (npm start, the benches). The worker's
// live heap is small (a few batches of recipients, the SDKs' modules), but V8 on a machine with
// gigabytes free grows the old generation lazily, and a million-recipient round leaves enough
// short-lived garbage behind to push the resident set past 512 MB. A bounded old generation makes
// V8 collect instead of grow (measured at 100,000 recipients: 447 MB peak unbounded, 319 MB at 256).
// HERALD_WORKER_HEAP_MB sets the bound (default 256; 0 leaves V8's default).

export const DEFAULT_WORKER_HEAP_MB = 256;

/** NODE_OPTIONS for the worker: the caller's own, plus --max-old-space-size unless it sets one already. */
export function workerNodeOptions(env: Record<string, string | undefined>): string | undefined {
  const own = env.NODE_OPTIONS?.trim() || undefined;
  const text = env.HERALD_WORKER_HEAP_MB?.trim() || String(DEFAULT_WORKER_HEAP_MB);
  const mb = Number(text);
  if (!Number.isInteger(mb) || mb < 0 || (mb > 0 && mb < 64)) throw new Error(`HERALD_WORKER_HEAP_MB: "${text}" is not a heap size in MB (64 or more; 0 for V8's default)`);
  if (mb === 0 || own?.includes('--max-old-space-size')) return own;
  return [own, `--max-old-space-size=${mb}`].filter(Boolean).join(' ');
}
