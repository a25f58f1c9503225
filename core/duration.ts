// Plan durations are written like "90s", "15m", "1h30m", "2d". Pure: safe inside workflows.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Milliseconds in a plan duration; throws on anything that is not one. */
export function parseDuration(text: string): number {
  if (!isDuration(text)) throw new Error(`"${text}" is not a duration (use e.g. 30s, 15m, 1h30m, 2d)`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

/** Shortest plan-style text for a number of milliseconds, e.g. 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
