import type { Command } from 'commander';
import type { ApiClient } from './client';

// Operator words from the command line: -m in one language (--message-locale, default the page's),
// more languages with --message-zh-TW or --message-in <locale>=<text>. Sent as a string when there
// is one language, as { locale: text } when there are several; the API says which locales lack words.

export interface WordsOptions {
  /** Absent where words are optional (a maintenance reschedule, cancel or completion). */
  message?: string;
  messageLocale?: string;
  messageZhTW?: string;
  messageIn?: string[];
}

const collectPairs = (value: string, previous: string[] = []) => [...previous, value];

/** Adds --message-locale, --message-zh-TW and --message-in to a command that has -m. */
export function withWords(cmd: Command): Command {
  return cmd
    .option('--message-locale <locale>', "the language of -m (default: the page's default locale)")
    .option('--message-zh-TW <text>', 'the same words in Traditional Chinese')
    .option('--message-in <locale=text>', 'the words in another language (repeat for each)', collectPairs);
}

/** The request's `message` (and `locale`): a string, or words per locale when several were given; nothing when none were. */
export async function wordsBody(
  api: ApiClient,
  o: WordsOptions,
): Promise<{ message?: string | Record<string, string>; locale?: string }> {
  const extra: Record<string, string> = {};
  if (o.messageZhTW) extra['zh-TW'] = o.messageZhTW;
  for (const pair of o.messageIn ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--message-in: use <locale>=<text>, e.g. zh-TW=服務已恢復 (got "${pair}")`);
    extra[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (Object.keys(extra).length === 0)
    return o.message === undefined ? {} : { message: o.message, ...(o.messageLocale ? { locale: o.messageLocale } : {}) };
  if (o.message === undefined) return { message: extra };
  const own = o.messageLocale ?? (await api.get<{ page: { defaultLocale: string } }>('/v1/plan')).page.defaultLocale;
  return { message: { [own]: o.message, ...extra } };
}

/** One line for the operator when some readers get the plan's wording instead of their words. */
export function noteMissing(missing: string[] | undefined): void {
  if (missing && missing.length > 0)
    console.error(
      `note: no words in ${missing.join(', ')}; those readers get the plan's wording for this phase (add --message-in <locale>=<text>)`,
    );
}

/** Words as a table cell: one language as is, several as "en: … | zh-TW: …". */
export function wordsCell(text: string | Readonly<Record<string, string>> | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  if (typeof text === 'string') return text;
  return Object.entries(text)
    .map(([l, t]) => `${l}: ${t}`)
    .join(' | ');
}
