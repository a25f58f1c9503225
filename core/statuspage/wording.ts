import { joinForSentence } from '../messageWords';
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

/**
 * The text of a wording in one locale: its sentences joined by the locale's `pageWording.sentenceJoiner`;
 * `functions` words the components a sentence names (their business functions, joined for a sentence).
 */
export function wordingText(
  wording: PageWording,
  t: Labels,
  fallback: Labels = t,
  functions: (ids: string[]) => string = (ids) => ids.join(', '),
): string {
  const joiner = sentence('sentenceJoiner', {}, t, fallback);
  return wording
    .map((s) => sentence(s.key, { ...s.params, ...(s.functions ? { functions: functions(s.functions) } : {}) }, t, fallback))
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
    wordingText(wording, loadLabels(templatesDir, locale), loadLabels(DEFAULT_TEMPLATES_DIR, locale), functionsIn(plan, locale));
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
