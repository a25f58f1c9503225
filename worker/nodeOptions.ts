// V8 flags for the worker process, set by whatever spawns it (npm start, the benches). The worker's
// live heap is small (a few batches of recipients, the SDKs' modules), but V8 on a machine with
// gigabytes free grows the old generation lazily, and a million-recipient round leaves enough
// short-lived garbage behind to push the resident set past 512 MB. A bounded old generation makes
// V8 collect instead of grow (measured at 100,000 recipients: 447 MB peak unbounded, 319 MB at 256).
// A larger young generation (32 MB semi-spaces) lets the per-request garbage die young: about 10 %
// less worker CPU for a round, for about 30 MB more resident memory.
// HERALD_WORKER_HEAP_MB sets the old-generation bound (default 256; 0 leaves V8's defaults alone).

export const DEFAULT_WORKER_HEAP_MB = 256;
export const WORKER_SEMI_SPACE_MB = 32;

/** NODE_OPTIONS for the worker: the caller's own, plus the heap flags it does not set itself. */
export function workerNodeOptions(env: Record<string, string | undefined>): string | undefined {
  const own = env.NODE_OPTIONS?.trim() || undefined;
  const text = env.HERALD_WORKER_HEAP_MB?.trim() || String(DEFAULT_WORKER_HEAP_MB);
  const mb = Number(text);
  if (!Number.isInteger(mb) || mb < 0 || (mb > 0 && mb < 64))
    throw new Error(`HERALD_WORKER_HEAP_MB: "${text}" is not a heap size in MB (64 or more; 0 for V8's defaults)`);
  if (mb === 0) return own;
  const flags = [own];
  if (!own?.includes('--max-old-space-size')) flags.push(`--max-old-space-size=${mb}`);
  if (!own?.includes('--max-semi-space-size')) flags.push(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  return flags.filter(Boolean).join(' ');
}
