import { formatMessageTime, joinForSentence } from '../messageWords';
import type { Plan } from '../plan/schema';
import { DEFAULT_TEMPLATES_DIR } from '../render';
import { label, loadLabels, type Labels } from './locale';
import type { PageIncident, PageMaintenance, PageState, PageUpdate, PageWording } from './types';

// The plan's own page wording: lifecycle workflows record which sentences an update says (keys under
// `pageWording` in templates/pages/locales/*.json, with their parameters); the snapshot resolves them
// here, per locale, into the `body` (default locale) and `bodies` every surface already reads.
// Updates written in words (an operator's, or records stored with their bodies) pass unchanged. A
// templates directory whose locale files lack a key falls back to Herald's own templates.

function sentence(key: string, params: Record<string, string>, t: Labels, fallback: Labels): string {
  const path = `pageWording.${key}`;
  const text = label(t, path, params);
  return text === path ? label(fallback, path, params) : text;
}

/** The parameters that are times: ISO instants, or the UTC cuts older records carry. */
const TIME_PARAMS = new Set(['time', 'from', 'until', 'untilTime']);
const UTC_DAY_AND_CLOCK = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/;
const UTC_CLOCK = /^\d{2}:\d{2}$/;

/** A time parameter in words: an instant as `time` writes it; an older record's UTC clock time as it was ("10:30 UTC"). */
function timeParam(value: string, time: (at: Date) => string): string {
  if (UTC_CLOCK.test(value)) return `${value} UTC`;
  const at = new Date(UTC_DAY_AND_CLOCK.test(value) ? `${value.replace(' ', 'T')}:00Z` : value);
  return Number.isNaN(at.getTime()) ? value : time(at);
}

/**
 * The text of a wording in one locale: its sentences joined by the locale's `pageWording.sentenceJoiner`;
 * `functions` words the components a sentence names (their business functions, joined for a sentence),
 * `time` the instants it gives (as the page shows times: its zone, the locale's form).
 */
export function wordingText(
  wording: PageWording,
  t: Labels,
  fallback: Labels = t,
  functions: (ids: string[]) => string = (ids) => ids.join(', '),
  time: (at: Date) => string = (at) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
): string {
  const joiner = sentence('sentenceJoiner', {}, t, fallback);
  const params = (p: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(p ?? {}).map(([k, v]) => [k, TIME_PARAMS.has(k) ? timeParam(v, time) : v]));
  return wording
    .map((s) =>
      sentence(s.key, { ...params(s.params), ...(s.functions ? { functions: functions(s.functions) } : {}) }, t, fallback),
    )
    .join(joiner);
}

/** The business functions of these components in a locale, joined for a sentence. */
export function functionsIn(plan: Plan, locale: string): (ids: string[]) => string {
  return (ids) =>
    joinForSentence(
      ids.map((id) => {
        const fn = plan.components.find((c) => c.id === id)?.businessFunction;
        return fn?.[locale] ?? fn?.[plan.page.defaultLocale] ?? id;
      }),
      locale,
    );
}

/** The state with every wording resolved for the page's locales; the given state is not changed. */
export function withPageWording(state: PageState, plan: Plan, templatesDir: string): PageState {
  const hasWording = (item: PageIncident | PageMaintenance) => item.updates.some((u) => u.wording);
  if (!state.incidents.some(hasWording) && !state.maintenances.some(hasWording)) return state;
  const locales = [plan.page.defaultLocale, ...plan.page.locales.filter((l) => l !== plan.page.defaultLocale)];
  const textIn = (wording: PageWording, locale: string) =>
    wordingText(
      wording,
      loadLabels(templatesDir, locale),
      loadLabels(DEFAULT_TEMPLATES_DIR, locale),
      functionsIn(plan, locale),
      (at) => formatMessageTime(at, locale, plan.page.timeZone),
    );
  const resolve = (u: PageUpdate): PageUpdate => {
    if (!u.wording) return u;
    const { wording, ...rest } = u;
    // An operator's words where given in a locale, the plan's wording in the others.
    const bodies = Object.fromEntries(locales.map((l) => [l, u.bodies?.[l] ?? textIn(wording, l)]));
    return { ...rest, body: bodies[plan.page.defaultLocale]!, bodies };
  };
  const item = <T extends PageIncident | PageMaintenance>(i: T): T =>
    hasWording(i) ? { ...i, updates: i.updates.map(resolve) } : i;
  return { ...state, incidents: state.incidents.map(item), maintenances: state.maintenances.map(item) };
}
