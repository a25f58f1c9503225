// Calendar days in the page's time zone, without a date library: Intl tells the wall-clock parts of
// an instant in a zone, and local midnight is found by correcting a UTC guess by the zone's offset
// (twice, so a DST change on the day itself lands on the right instant).

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(at: number, timeZone: string) {
  const parts = partsFormatter(timeZone).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour') % 24, min: get('minute'), s: get('second') };
}

/** `YYYY-MM-DD` of an instant in a time zone. */
export function dayOf(at: number | string | Date, timeZone: string): string {
  const { y, m, d } = wallClock(new Date(at).getTime(), timeZone);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The zone's offset from UTC at an instant, in ms (east positive). */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(at / 1000) * 1000;
}

/** The instant local midnight starts `day` (YYYY-MM-DD) in a time zone. */
export function startOfDay(day: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  let at = guess - offsetAt(guess, timeZone);
  at = guess - offsetAt(at, timeZone);
  return at;
}

/** The `count` days ending with the day of `end`, oldest first, each with its start and end instants. */
export function lastDays(end: number, count: number, timeZone: string): { day: string; start: number; end: number }[] {
  const days: { day: string; start: number; end: number }[] = [];
  const [y, m, d] = dayOf(end, timeZone).split('-').map(Number) as [number, number, number];
  for (let i = count - 1; i >= 0; i--) {
    const day = new Date(Date.UTC(y, m - 1, d) - i * DAY_MS).toISOString().slice(0, 10);
    const next = new Date(Date.UTC(y, m - 1, d) - (i - 1) * DAY_MS).toISOString().slice(0, 10);
    days.push({ day, start: startOfDay(day, timeZone), end: startOfDay(next, timeZone) });
  }
  return days;
}
