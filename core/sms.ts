import { SegmentedMessage } from 'sms-segments-calculator';

// SMS length as carriers bill it (GSM 03.38): GSM-7 takes 160 septets in one segment or 153 per part
// of a concatenated message, extension characters (^ { } \ [ ~ ] | €) cost two; a single character
// outside GSM-7 makes the whole message UCS-2, 70 units alone or 67 per part, emoji two units each.
// Counting is Twilio's segment calculator; this module decides what Herald sends.

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSize {
  segments: number;
  encoding: SmsEncoding;
  /** Characters outside GSM-7 that force UCS-2. */
  nonGsm: string[];
}

export function smsSize(text: string): SmsSize {
  const m = new SegmentedMessage(text, 'auto');
  return { segments: text ? m.segmentsCount : 0, encoding: m.encodingName, nonGsm: m.getNonGsmCharacters() };
}

/**
 * The text with typographic characters that have a GSM-7 equivalent (… ‘ ’ “ ” – — no-break space •)
 * replaced, when that makes the whole message GSM-7; otherwise (Chinese, for one) the text as it is,
 * since UCS-2 carries those characters at no extra cost.
 */
export function gsmSafe(text: string): string {
  const smart = new SegmentedMessage(text, 'auto', true);
  if (smart.encodingName !== 'GSM-7') return text;
  return smart.encodedChars
    .map((c) => c.raw)
    .join('')
    .replace(/ {2,}/g, ' ');
}

/** Characters that turn a message that could be GSM-7 into UCS-2 (empty when it is UCS-2 by need). */
export function avoidableNonGsm(text: string): string[] {
  const plain = smsSize(text);
  if (plain.encoding === 'GSM-7') return [];
  return new SegmentedMessage(text, 'auto', true).encodingName === 'GSM-7' ? plain.nonGsm : [];
}

// ---------------------------------------------------------------------------------------------
// Fitting a short message to its budget

/** Marks a stretch of a short message that may be shortened (the operator's words, a long list). */
export const ELASTIC_START = '\uE000';
export const ELASTIC_END = '\uE001';
export function stripElastic(text: string): string {
  return text.replace(/[\uE000\uE001]/g, '');
}

const URL_PATTERN = /\bhttps?:\/\/\S+/g;

/**
 * The longest prefix of `text` that ends at a word boundary (never inside a URL) and for which
 * `fits(prefix)` holds; '' when no word fits. Word boundaries follow the locale (Chinese has no spaces).
 */
export function cutAtWord(text: string, locale: string, fits: (candidate: string) => boolean): string {
  if (fits(text)) return text;
  const urls = [...text.matchAll(URL_PATTERN)].map((m) => [m.index, m.index + m[0].length] as const);
  const insideUrl = (i: number) => urls.some(([a, b]) => i > a && i < b);
  const ends = [...new Intl.Segmenter(locale, { granularity: 'word' }).segment(text)]
    .map((s) => s.index + s.segment.length)
    .filter((end) => end < text.length && !insideUrl(end));
  let lo = 0;
  let hi = ends.length - 1;
  let best = '';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = trimCut(text.slice(0, ends[mid]));
    if (candidate && fits(candidate)) {
      best = candidate;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The most whole sentences of `text` that fit ('' when not even the first does). */
function cutAtSentence(text: string, fits: (candidate: string) => boolean): string {
  const ends = [...text.matchAll(/[.!?](?=\s)|[。！？]/gu)].map((m) => m.index + m[0].length);
  let best = '';
  for (const end of ends) {
    const candidate = text.slice(0, end);
    if (!fits(candidate)) break;
    best = candidate;
  }
  return best;
}

/** A cut ends on a word, without a dangling comma, colon or opening bracket. */
function trimCut(text: string): string {
  return text.replace(/[\s,;:、，；：（(「『-]+$/u, '');
}

/**
 * Fits a short message (with elastic stretches marked) within `fits`: elastic stretches are cut at a
 * word boundary with an ellipsis, the last one first, and dropped when not even a word fits; the
 * rest is never cut. Returns the text without marks; when even that does not fit, the whole text is
 * cut at a word boundary as a last resort (the messages check reports such a template).
 */
export function fitShort(text: string, locale: string, fits: (candidate: string) => boolean, ellipsis = '…'): string {
  const plain = tidy(stripElastic(text));
  if (fits(plain)) return plain;
  // Split at the marks: odd indexes are elastic stretches.
  const parts = text.split(/[\uE000\uE001]/);
  const current = [...parts];
  const join = () => tidy(current.join(''));
  for (let i = parts.length % 2 === 1 ? parts.length - 2 : parts.length - 1; i >= 1; i -= 2) {
    const original = parts[i]!;
    current[i] = '';
    if (!fits(join())) continue;
    const fitsWith = (prefix: string, end: string) => {
      current[i] = `${prefix}${end}`;
      return fits(join());
    };
    // A stub of a sentence ("We…") says nothing: keep at least a third of it (or 24 characters).
    const worthIt = (kept: string) => [...kept].length >= Math.min(24, [...original].length / 3);
    const sentences = cutAtSentence(original, (prefix) => fitsWith(prefix, ''));
    // Whole sentences read well even when short; a cut mid-sentence must keep enough to mean something.
    if (sentences) {
      current[i] = sentences;
      return join();
    }
    const kept = cutAtWord(original, locale, (prefix) => fitsWith(prefix, ellipsis));
    current[i] = worthIt(kept) ? `${kept}${ellipsis}` : '';
    return join();
  }
  const rest = join();
  return fits(rest) ? rest : cutAtWord(rest, locale, fits);
}

/** Spaces left by a dropped stretch. */
function tidy(text: string): string {
  return text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ ([.,;:!?])/g, '$1')
    .trim();
}

/** An SMS within `maxSegments`, GSM-7 whenever its words allow. */
export function fitSms(text: string, locale: string, maxSegments: number): string {
  const gsm = gsmSafe(stripElastic(text)) !== stripElastic(text) || smsSize(stripElastic(text)).encoding === 'GSM-7';
  // Converted piece by piece, so the marks stay where they were (… becomes ..., a different length).
  const safe = gsm
    ? text
        .split(/([\uE000\uE001])/)
        .map((p) => (p.length > 1 || !/[\uE000\uE001]/.test(p) ? gsmSafe(p) : p))
        .join('')
    : text;
  return fitShort(safe, locale, (s) => smsSize(s).segments <= maxSegments, gsm ? '...' : '…');
}
