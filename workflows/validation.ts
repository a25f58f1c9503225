import { describeFindings, guardExternalText, type GuardRules } from '../core/guard';
import { allTexts, type LocalizedText } from '../core/localizedText';
import { MESSAGE_MAX } from '../core/textLimits';

// Checks shared by the incident and maintenance validators. Pure and synchronous: a validator that
// throws refuses the update before anything is written to history.

/** Refuses customer-facing text (in any of its locales) that carries internal detail (hosts, addresses, code names, …). */
export function guardOrThrow(field: string, text: LocalizedText, rules: GuardRules): void {
  for (const one of allTexts(text)) {
    const findings = guardExternalText(one, rules);
    if (findings.length > 0) throw new Error(`${field}: customers would see internal detail: ${describeFindings(findings)}`);
  }
}

/** Words people read, in one locale or several: at least one non-empty, none too long. */
export function requireWords(field: string, text: LocalizedText | undefined, missing: string): void {
  const texts = allTexts(text);
  if (texts.length === 0 || texts.every((t) => !t?.trim())) throw new Error(`${field}: ${missing}`);
  if (texts.some((t) => t.length > MESSAGE_MAX)) throw new Error(`${field}: at most ${MESSAGE_MAX} characters`);
}

/** Every change names who makes it; `who` completes "by: <who> is required". */
export function requireBy(by: string, who: string): void {
  if (!by?.trim()) throw new Error(`by: ${who} is required`);
}
