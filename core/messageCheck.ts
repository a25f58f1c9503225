import { avoidableNonGsm, smsSize } from './sms';

// What every external message must carry, checked on the words a customer receives (after the
// channel's finishing: SMS fitted to its segments, footer added). Each check is a plain function
// from one delivered message and what it is expected to say to a failure reason, or null.

export const CHECKS = [
  'function',
  'action',
  'timing',
  'status-word',
  'no-repeat',
  'one-language',
  'sms-budget',
  'unsubscribe',
  'link',
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface DeliveredMessage {
  /** Where it comes from, e.g. scenario, phase, variant, audience, locale, channel. */
  key: { scenario: string; phase: string; variant: string; audience: string; locale: string; channel: string };
  /** E-mail subject, push title, chat heading; absent for SMS. */
  subject?: string;
  /** What the channel carries: the text part for e-mail, chat and webhooks, the short text for SMS and push. */
  body: string;
  expect: Expectations;
}

export interface Expectations {
  /** The affected business functions in the reader's words: a long body names each, a short one at least one. */
  functions: string[];
  /** What customers can do; empty when the plan has nothing for them to do at this point. */
  actions: string[];
  /** Any one of these times must be stated (ETA, next update, the window); empty for final messages. */
  times: string[];
  /** For the last message about something: the words that say so. */
  finalPhrase?: string;
  /** The phase's status word, in the subject when there is one, else in the body. */
  statusWord: string;
  /** Letters of another script allowed in this locale's prose: names, brands, time zones. */
  allowedForeign: string[];
  /** SMS only. */
  sms?: { maxSegments: number; optOut: string };
  /** E-mail only: the links the plain-text footer must carry. */
  email?: { unsubscribeUrl: string; preferencesUrl: string };
  /** The page the message should link to (the incident's page in the reader's language). */
  link: string;
}

export type CheckFailure = { check: CheckName; reason: string };
/** A failure reason, null for a pass, undefined where the check does not apply to the message. */
type Check = (m: DeliveredMessage) => string | null | undefined;

const isShort = (m: DeliveredMessage) => m.key.channel === 'sms' || m.key.channel === 'push';
/** What the reader sees at once: a push notification shows its title above the body. */
const seen = (m: DeliveredMessage) => (m.key.channel === 'push' && m.subject ? `${m.subject}\n${m.body}` : m.body);
const missing = (text: string, wanted: string[]) => wanted.filter((w) => !text.includes(w));

const checks: Record<CheckName, Check> = {
  function(m) {
    if (m.expect.functions.length === 0) return undefined;
    const gone = missing(seen(m), m.expect.functions);
    if (isShort(m)) return gone.length === m.expect.functions.length ? `names none of: ${m.expect.functions.join(' | ')}` : null;
    return gone.length > 0 ? `does not name: ${gone.join(' | ')}` : null;
  },
  action(m) {
    if (m.expect.actions.length === 0) return undefined;
    const gone = missing(seen(m), m.expect.actions);
    if (isShort(m)) return gone.length === m.expect.actions.length ? `gives none of: ${m.expect.actions.join(' | ')}` : null;
    return gone.length > 0 ? `does not say: ${gone.join(' | ')}` : null;
  },
  timing(m) {
    if (m.expect.finalPhrase !== undefined)
      return seen(m).includes(m.expect.finalPhrase) ? null : `does not say it is final ("${m.expect.finalPhrase}")`;
    if (m.expect.times.length === 0) return undefined;
    return m.expect.times.some((t) => seen(m).includes(t)) ? null : `states none of: ${m.expect.times.join(' | ')}`;
  },
  'status-word'(m) {
    const where = m.subject ?? m.body;
    return where.toLowerCase().includes(m.expect.statusWord.toLowerCase())
      ? null
      : `${m.subject !== undefined ? 'subject' : 'body'} lacks "${m.expect.statusWord}"`;
  },
  'no-repeat'(m) {
    const seen = new Set<string>();
    for (const p of m.body.split(/\n\s*\n/).map(normalise)) {
      if (p.length < 12) continue;
      if (seen.has(p)) return `repeats "${p.slice(0, 60)}"`;
      seen.add(p);
    }
    const sentences = new Set<string>();
    for (const s of sentencesOf(m.body)) {
      if (s.length < 20) continue;
      if (sentences.has(s)) return `repeats "${s.slice(0, 60)}"`;
      sentences.add(s);
    }
    return null;
  },
  'one-language'(m) {
    const text = stripAllowed([m.subject ?? '', m.body].join('\n'), m.expect.allowedForeign);
    return foreignProse(text, m.key.locale);
  },
  'sms-budget'(m) {
    const sms = m.expect.sms;
    if (!sms) return undefined;
    const size = smsSize(m.body);
    const avoidable = avoidableNonGsm(m.body);
    if (avoidable.length > 0) return `UCS-2 only because of ${[...new Set(avoidable)].join(' ')}`;
    if (size.segments > sms.maxSegments) return `${size.segments} ${size.encoding} segments (budget ${sms.maxSegments})`;
    return null;
  },
  unsubscribe(m) {
    if (m.expect.sms) return m.body.includes(m.expect.sms.optOut) ? null : `no opt-out line ("${m.expect.sms.optOut}")`;
    const e = m.expect.email;
    if (!e) return undefined;
    const gone = [e.unsubscribeUrl, e.preferencesUrl].filter((u) => !m.body.includes(u));
    return gone.length > 0 ? `plain text lacks ${gone.join(' and ')}` : null;
  },
  link(m) {
    if (m.key.channel === 'push') return undefined; // the push payload opens the link itself
    return m.body.includes(m.expect.link) ? null : `does not link ${m.expect.link}`;
  },
};

/** Every failed check of one message. */
export function checkMessage(m: DeliveredMessage): CheckFailure[] {
  const out: CheckFailure[] = [];
  for (const name of CHECKS) {
    const reason = checks[name](m);
    if (reason) out.push({ check: name, reason });
  }
  return out;
}

/** One check alone (tests pin each): a reason, null for a pass, undefined where it does not apply. */
export function runCheck(name: CheckName, m: DeliveredMessage): string | null | undefined {
  return checks[name](m);
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|(?<=[。！？])|\n+/u)
    .map(normalise)
    .filter(Boolean);
}

/** Removes URLs, e-mail addresses, allowed names and times, which may be in any script. */
function stripAllowed(text: string, allowed: string[]): string {
  let out = text.replace(/\bhttps?:\/\/\S+/g, ' ').replace(/\S+@\S+/g, ' ');
  for (const a of [...allowed].sort((x, y) => y.length - x.length)) if (a) out = out.split(a).join(' ');
  return out.replace(/\b(UTC|GMT)([+-]\d{1,2}(:\d{2})?)?\b/g, ' ');
}

const HAN_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_PUNCTUATION = /[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]/u;

/**
 * Prose in a script the locale does not write: a Chinese, Japanese or Korean locale must not carry
 * a run of three or more Latin words (an English sentence); any other locale must not carry CJK
 * characters or full-width punctuation at all.
 */
export function foreignProse(text: string, locale: string): string | null {
  const cjk = /^(zh|ja|ko)\b/.test(locale);
  if (cjk) {
    const run = /[A-Za-z][A-Za-z'’-]*(?:[\s,;:]+[A-Za-z][A-Za-z'’-]*){2,}/.exec(text);
    return run ? `Latin prose in a ${locale} message: "${run[0].slice(0, 60)}"` : null;
  }
  const ch = HAN_OR_KANA.exec(text) ?? CJK_PUNCTUATION.exec(text);
  if (!ch) return null;
  const at = Math.max(0, ch.index - 15);
  return `CJK text in a ${locale} message: "${text.slice(at, ch.index + 25).replace(/\s+/g, ' ')}"`;
}

// ---------------------------------------------------------------------------------------------
// Totals

export interface CheckTotals {
  total: number;
  passed: number;
  failed: number;
}

export interface CheckReport extends CheckTotals {
  byCheck: Record<CheckName, CheckTotals>;
  failures: { key: DeliveredMessage['key']; failures: CheckFailure[] }[];
}

/** Checks every message; a message passes when every check passes. */
export function checkMessages(messages: DeliveredMessage[]): CheckReport {
  const byCheck = Object.fromEntries(CHECKS.map((c) => [c, { total: 0, passed: 0, failed: 0 }])) as Record<
    CheckName,
    CheckTotals
  >;
  const failures: CheckReport['failures'] = [];
  for (const m of messages) {
    const failed: CheckFailure[] = [];
    for (const c of CHECKS) {
      const reason = checks[c](m);
      if (reason === undefined) continue;
      byCheck[c].total += 1;
      if (reason === null) byCheck[c].passed += 1;
      else {
        byCheck[c].failed += 1;
        failed.push({ check: c, reason });
      }
    }
    if (failed.length > 0) failures.push({ key: m.key, failures: failed });
  }
  return { total: messages.length, passed: messages.length - failures.length, failed: failures.length, byCheck, failures };
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '100.0' : ((100 * part) / whole).toFixed(1);
}
