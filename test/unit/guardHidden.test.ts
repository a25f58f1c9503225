import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardExternalText, type GuardRules } from '../../core/guard';

// Text that shows other than it reads, or shows nothing, is refused; a disguised finding points at
// the raw characters and says it was disguised.

const rules: GuardRules = { codeNames: ['kestrel'], internalDomains: ['acme.internal'], allowedDomains: ['status.acme.com'] };
const kinds = (text: string) => guardExternalText(text, rules).map((f) => f.kind);

test('text with nothing visible is refused', () => {
  for (const text of ['\u200b', '\u200b\u200c\u200d\u2060', ' \u3164 ', '\u2800', '\u00ad\ufeff', '\u202e'])
    assert.ok(kinds(text).includes('no-visible-text'), JSON.stringify(text));
  assert.deepEqual(kinds('\u200bOK'), [], 'a stray zero-width space next to visible text is only stripped');
});

test('bidi controls and line or paragraph separators are refused, each at its place', () => {
  const text = 'Payments are back\u2028Next update \u202egnirolo\u202c at 14:30 UTC\u2029';
  const findings = guardExternalText(text, rules);
  assert.deepEqual(
    findings.map((f) => [f.kind, f.index]),
    [
      ['hidden-character', 17],
      ['hidden-character', 30],
      ['hidden-character', 38],
      ['hidden-character', 52],
    ],
  );
  assert.equal(findings[1]?.message, 'remove the hidden control character U+202E');
  for (const c of ['\u202a', '\u202b', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'])
    assert.deepEqual(kinds(`Payments${c} are back.`), ['hidden-character'], `U+${c.charCodeAt(0).toString(16)}`);
});

test('emoji sequences with zero-width joiners and variation selectors are ordinary text', () => {
  assert.deepEqual(kinds('👨‍👩‍👧 Family plans are not affected ❤️.'), []);
});

test('a disguised finding names the raw characters and says they were disguised', () => {
  const text = 'Restarted pay\u200bments.acme.\u0456nternal today.';
  const [f] = guardExternalText(text, rules);
  assert.equal(f?.kind, 'internal-domain');
  assert.equal(f?.text, 'pay\u200bments.acme.\u0456nternal');
  assert.equal(text.slice(f!.index, f!.index + f!.text.length), f!.text);
  assert.match(f!.message, /\(written with look-alike, full-width or hidden characters\)$/);
  const [plain] = guardExternalText('Restarted payments.acme.internal today.', rules);
  assert.doesNotMatch(plain!.message, /look-alike/);
});
