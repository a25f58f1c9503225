import { parseDuration } from './duration';

// How far ahead a date a customer reads may lie: an ETA, a maintenance window's start and end. The
// plan states it (limits.dateHorizon, default one year), so "back in 9999" or a ten-year window is
// refused as a typo instead of being published. Pure: the API and the workflows' validators share it.

export const DEFAULT_DATE_HORIZON = '365d';
export const DEFAULT_DATE_HORIZON_MS = parseDuration(DEFAULT_DATE_HORIZON);

export function dateHorizonMs(plan: { limits?: { dateHorizon?: string } }): number {
  return parseDuration(plan.limits?.dateHorizon ?? DEFAULT_DATE_HORIZON);
}

/** Why `iso` lies too far ahead of `nowMs`, or undefined when it does not. */
export function beyondHorizon(iso: string, nowMs: number, horizonMs: number = DEFAULT_DATE_HORIZON_MS): string | undefined {
  const at = Date.parse(iso);
  if (Number.isNaN(at) || at - nowMs <= horizonMs) return undefined;
  return `more than ${Math.round(horizonMs / 86_400_000)} days ahead (the plan's limits.dateHorizon); check the date`;
}
