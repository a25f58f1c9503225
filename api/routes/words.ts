import { byLocale, type LocalizedText } from '../../core/localizedText';
import type { Plan } from '../../core/plan/schema';
import { Problem } from '../problem';

// Operator words in requests: a string in the request's `locale` (default: the page's) or words per
// locale. The API stores them per locale, so every reader gets their own language's words or the
// plan's wording for the phase, and it says which external locales got no words.

/** The words per locale; refuses a locale the page does not have. */
export function wordsOf(plan: Plan, text: LocalizedText, locale: string | undefined, field: string): Record<string, string> {
  const words = byLocale(text, locale ?? plan.page.defaultLocale);
  const unknown = Object.keys(words).filter((l) => !plan.page.locales.includes(l));
  if (unknown.length > 0) {
    const message = `no locale ${unknown.map((l) => `"${l}"`).join(', ')} on this page (it has ${plan.page.locales.join(', ')})`;
    throw new Problem(422, 'Not valid for this plan', `${field}: ${message}`, { errors: [{ path: field, message }] });
  }
  return words;
}

/** The words as the request gave them, for the content guard: "message", or each locale's ("message.zh-TW"). */
export function guardFields(field: string, text: LocalizedText | undefined): Record<string, string> {
  if (text === undefined) return {};
  if (typeof text === 'string') return { [field]: text };
  return Object.fromEntries(Object.entries(text).map(([l, t]) => [`${field}.${l}`, t]));
}

/** External audiences' locales (of one scenario, or every one) that have no words: those readers get the plan's wording. */
export function missingLocales(plan: Plan, words: Record<string, string>, scenarioId?: string): string[] {
  const audienceIds = scenarioId
    ? (plan.scenarios[scenarioId]?.audiences.map((a) => a.audience) ?? [])
    : plan.audiences.map((a) => a.id);
  const locales = new Set(
    plan.audiences.filter((a) => audienceIds.includes(a.id) && a.kind === 'external' && !a.sandbox).flatMap((a) => a.locales),
  );
  return [...locales].filter((l) => !words[l]?.trim());
}
