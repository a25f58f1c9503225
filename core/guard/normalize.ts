import confusables from 'unhomoglyph/data.json';

// What the content guard reads: not the raw text but copies in which disguises are undone, each
// with a map back to the raw text so a finding still names the exact characters to change.
//
//  - compatibility forms are folded (NFKD: full-width "ｄｂ０１", mathematical letters, "．", "："),
//    combining marks dropped, and format / default-ignorable characters (zero-width spaces and
//    joiners, soft hyphens, bidi controls, variation selectors, tags) removed;
//  - a character that Unicode TS #39 lists as confusable with ASCII (its confusables.txt, as
//    shipped by the unhomoglyph package) becomes that ASCII character: Cyrillic "а", Greek "ο",
//    Cherokee "Ꭺ" … Where several ASCII characters share a prototype ("l", "I", "1" and "|" all
//    map to "l"), the one of the same kind is taken (an upper-case letter stays upper case);
//  - an ideographic full stop between Latin letters or digits is a dot ("db。acme。internal").
// A second copy also joins what was split with spaces: "10 . 0 . 3 . 7", "acme . internal",
// "k e s t r e l". Characters outside ASCII that are not confusable (Chinese text) stay as they are.

export interface GuardView {
  text: string;
  /** For each UTF-16 unit of `text`: where the raw character it came from starts and ends. */
  starts: number[];
  ends: number[];
}

const DROPPED = /^[\p{Cf}\p{Default_Ignorable_Code_Point}\p{M}]$/u;
const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);
const stripMarks = (s: string) => s.normalize('NFKD').replace(/[\p{M}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, '');

type Kind = 'upper' | 'lower' | 'digit' | 'other';
const kindOf = (c: string): Kind =>
  /^\p{Lu}$/u.test(c) ? 'upper' : /^\p{Ll}$/u.test(c) ? 'lower' : /^\p{Nd}$/u.test(c) ? 'digit' : 'other';

let folds: Map<string, string> | undefined;
/** Each non-ASCII character seen, to what it reads as (empty when dropped): texts repeat their characters. */
const undone = new Map<string, string>();

/** Every non-ASCII character whose TS #39 prototype is ASCII, to the ASCII character it stands for. */
function asciiFolds(): Map<string, string> {
  if (folds) return folds;
  const data = confusables as Record<string, string>;
  const skeleton = (c: string) => data[c] ?? c;
  const asciiBySkeleton = new Map<string, string[]>();
  for (let code = 0x21; code < 0x7f; code++) {
    const c = String.fromCharCode(code);
    const list = asciiBySkeleton.get(skeleton(c)) ?? [];
    list.push(c);
    asciiBySkeleton.set(skeleton(c), list);
  }
  folds = new Map();
  for (const [c, prototype] of Object.entries(data)) {
    if (isAscii(c)) continue;
    const ascii = stripMarks(prototype);
    if (!ascii || !isAscii(ascii) || /\s/.test(ascii)) continue;
    const same = asciiBySkeleton.get(ascii) ?? [];
    const pick =
      same.length === 0 ? ascii : (same.find((a) => kindOf(a) === kindOf(c)) ?? same.find((a) => a === ascii) ?? same[0]!);
    folds.set(c, pick);
  }
  return folds;
}

/** The text with disguises undone (see above); identical, with an identity map, for plain ASCII. */
export function normalizedView(raw: string): GuardView {
  const starts: number[] = [];
  const ends: number[] = [];
  if (isAscii(raw)) {
    for (let i = 0; i < raw.length; i++) {
      starts.push(i);
      ends.push(i + 1);
    }
    return { text: raw, starts, ends };
  }
  const fold = asciiFolds();
  let text = '';
  const emit = (s: string, start: number, end: number) => {
    text += s;
    for (let k = 0; k < s.length; k++) {
      starts.push(start);
      ends.push(end);
    }
  };
  for (let i = 0; i < raw.length;) {
    const cp = raw.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const end = i + ch.length;
    if (cp < 0x80) emit(ch, i, end);
    else {
      let out = undone.get(ch);
      if (out === undefined) {
        out = '';
        if (!DROPPED.test(ch))
          for (const part of ch.normalize('NFKD')) {
            if (DROPPED.test(part)) continue;
            out += part.charCodeAt(0) < 0x80 ? part : (fold.get(part) ?? part);
          }
        if (undone.size < 50_000) undone.set(ch, out);
      }
      if (out) emit(out, i, end);
    }
    i = end;
  }
  // An ideographic full stop between Latin letters or digits stands for a dot.
  text = text.replace(/(?<=[A-Za-z0-9])[\u3002\uFE12](?=[A-Za-z0-9])/g, '.');
  return { text, starts, ends };
}

/**
 * The normalized text with what was split by spaces joined again, or undefined when nothing was:
 * spaces before (and after) a dot, colon or at-sign between letters or digits ("10 . 0 . 3 . 7",
 * "db .acme. internal"; a sentence's ". " alone is not joined), and runs of four or more single
 * letters or digits separated by the same one character ("k e s t r e l", "k·e·s·t·r·e·l").
 */
export function joinedView(view: GuardView): GuardView | undefined {
  const drop = new Set<number>();
  for (const m of view.text.matchAll(/(?<=[A-Za-z0-9])( +)([.:@])( *)(?=[A-Za-z0-9])/g)) {
    const [, before, , after] = m as unknown as [string, string, string, string];
    for (let k = 0; k < before.length; k++) drop.add(m.index + k);
    for (let k = 0; k < after.length; k++) drop.add(m.index + before.length + 1 + k);
  }
  // Single letters or digits each followed by the same one separator: "k e s t r e l", "k·e·s·t·r·e·l".
  for (const m of view.text.matchAll(
    /(?<![A-Za-z0-9])[A-Za-z0-9]([ .:@/_·•‧-])(?:[A-Za-z0-9]\1){2,}[A-Za-z0-9](?![A-Za-z0-9])/g,
  )) {
    for (let k = 1; k < m[0].length; k += 2) drop.add(m.index + k);
  }
  if (drop.size === 0) return undefined;
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < view.text.length; i++) {
    if (drop.has(i)) continue;
    text += view.text[i];
    starts.push(view.starts[i]!);
    ends.push(view.ends[i]!);
  }
  return { text, starts, ends };
}

/** Characters that make text look other than it is: line and paragraph separators, bidi controls. */
export const HIDDEN_CONTROLS = /[\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/** True when nothing in the text would be seen: only spaces, format, ignorable or control characters. */
export function hasVisibleText(raw: string): boolean {
  return /[^\s\p{Cc}\p{Cf}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u.test(raw);
}
