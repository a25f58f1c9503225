import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Page chrome strings per locale (templates/pages/locales/<locale>.json) and Accept-Language
// negotiation, shared by the snapshot, the banner data and the error middleware.

export type Labels = { [key: string]: string | Labels };

function merge(base: Labels, over: Labels): Labels {
  const out: Labels = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof v === 'object' && typeof b === 'object' ? merge(b, v) : v;
  }
  return out;
}

const cache = new Map<string, Labels>();

/** The labels for a locale, with English filling any gap. Read once per templates directory. */
export function loadLabels(templatesDir: string, locale: string): Labels {
  const key = `${templatesDir}\0${locale}`;
  let labels = cache.get(key);
  if (!labels) {
    const read = (l: string): Labels => {
      try {
        return JSON.parse(readFileSync(join(templatesDir, 'pages', 'locales', `${l}.json`), 'utf8')) as Labels;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw err;
      }
    };
    labels = merge(read('en'), locale === 'en' ? {} : read(locale));
    cache.set(key, labels);
  }
  return labels;
}

/** A label by dotted path, e.g. "componentStatus.major_outage", with {placeholders} filled. */
export function label(labels: Labels, path: string, vars: Record<string, string | number> = {}): string {
  let node: string | Labels | undefined = labels;
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? fill(node, vars) : path;
}

export function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/**
 * The best of `supported` for an Accept-Language header (RFC 9110 §12.5.4, q-values honoured):
 * exact tag, then the same language (any Chinese tag goes to the one Chinese locale offered,
 * e.g. zh-HK or zh-Hant → zh-TW), else the fallback.
 */
export function negotiateLocale(header: string | undefined | null, supported: readonly string[], fallback: string): string {
  if (!header) return fallback;
  const wanted = header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: (tag ?? '').trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((w) => w.tag && !Number.isNaN(w.q) && w.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  const lower = supported.map((s) => s.toLowerCase());
  for (const w of wanted) {
    if (w.tag === '*') return fallback;
    const exact = lower.indexOf(w.tag);
    if (exact >= 0) return supported[exact]!;
    const lang = w.tag.split('-')[0]!;
    const sameLang = lower.findIndex((s) => s.split('-')[0] === lang);
    if (sameLang >= 0) return supported[sameLang]!;
  }
  return fallback;
}
