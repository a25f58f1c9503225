import { z } from 'zod';

// Words people read, in one language or several: "…" or { "en": "…", "zh-TW": "…" }. A plain string
// is in the language the request names (the page's default locale unless it says otherwise). Readers
// get the words of their own locale or none at all (then the plan's wording for the phase): never
// another language's prose.

export type LocalizedText = string | Readonly<Record<string, string>>;

const LOCALE = /^[a-z]{2,3}(-[A-Za-z]{2,4})?$/;

/** The language of plain-string words in a request (default: the page's default locale). */
export const wordsLocaleSchema = z.string().regex(LOCALE, 'use a BCP 47 tag such as en or zh-TW');

/** A request field: a string, or words per locale (at least one). */
export function localizedTextSchema(text: z.ZodString) {
  return z.union([
    text,
    z
      .record(z.string().regex(LOCALE, 'use a BCP 47 tag such as en or zh-TW'), text)
      .refine((r) => Object.keys(r).length > 0, 'give the words in at least one locale'),
  ]);
}

/** Words per locale; a plain string belongs to `locale`. */
export function byLocale(text: LocalizedText | null | undefined, locale: string): Record<string, string> {
  if (text === null || text === undefined) return {};
  return typeof text === 'string' ? { [locale]: text } : { ...text };
}

/** The words for one reader's locale, or undefined when none were written in it. */
export function wordsIn(text: LocalizedText | null | undefined, locale: string, plainLocale: string): string | undefined {
  if (text === null || text === undefined) return undefined;
  if (typeof text === 'string') return locale === plainLocale ? text : undefined;
  return text[locale] || undefined;
}

/** Every text of it, whatever the locale (for checks that apply to all: the content guard, lengths). */
export function allTexts(text: LocalizedText | null | undefined): string[] {
  if (text === null || text === undefined) return [];
  return typeof text === 'string' ? [text] : Object.values(text);
}
