import { describeFindings, guardExternalText, type GuardRules } from '../core/guard';

// Checks shared by the incident and maintenance validators. Pure and synchronous: a validator that
// throws refuses the update before anything is written to history.

/** Refuses customer-facing text that carries internal detail (hosts, addresses, code names, …). */
export function guardOrThrow(field: string, text: string, rules: GuardRules): void {
  const findings = guardExternalText(text, rules);
  if (findings.length > 0) throw new Error(`${field}: customers would see internal detail: ${describeFindings(findings)}`);
}

/** Every change names who makes it; `who` completes "by: <who> is required". */
export function requireBy(by: string, who: string): void {
  if (!by?.trim()) throw new Error(`by: ${who} is required`);
}
