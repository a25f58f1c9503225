// The content guard refuses external text that shows customers what they should not see — hosts,
// addresses, cloud identifiers, stack traces, error names, file paths, ticket and chat references,
// internal code names — and names the exact text that must change.
//
// Pure and deterministic: no Node built-ins, no `URL`, no clock, and only pure data and code imported
// (Unicode's TS #39 confusables, ipaddr.js), so it runs inside the Temporal workflow sandbox as well
// as in activities and the API.
//
// Precision matters as much as recall: a guard that refuses "Next update by 14:30 UTC." or
// "付款功能目前無法使用。" gets switched off. Every detector therefore looks for shapes that ordinary
// prose in English or Traditional Chinese does not take (see the comments at each one), and what it
// deliberately lets through is written down there.
//
// Indexes are JavaScript string indexes (UTF-16 code units) into the text that was checked.

import ipaddr from 'ipaddr.js';
import { hasVisibleText, HIDDEN_CONTROLS, joinedView, normalizedView } from './guard/normalize';

export type GuardFindingKind =
  /** A server or service name: an FQDN not on the allow-list, `*.internal`, `redis-master-3`. */
  | 'hostname'
  /** A host or e-mail address under one of the plan's `internalDomains`. */
  | 'internal-domain'
  | 'ip-address'
  | 'arn'
  /** A 12-digit AWS account id or a GUID (Azure subscription / tenant id). */
  | 'account-id'
  /** A cloud resource id such as `i-0abc12345def67890` or `sg-0123abcd`. */
  | 'resource-id'
  /** An access key or token. */
  | 'credential'
  | 'stack-trace'
  | 'exception-name'
  | 'file-path'
  /** A ticket id or a link to a ticketing / paging system. */
  | 'ticket'
  /** An internal chat channel (`#incident-123`) or a link into a chat workspace. */
  | 'chat-channel'
  | 'code-name'
  /** A link to localhost, a private address, a single-label host or an internal domain. */
  | 'url-internal'
  /** A link to a public site that is not on the allow-list. */
  | 'url-external'
  /** An e-mail address on a domain that is not on the allow-list. */
  | 'email-address'
  /** A SQL statement or a database's error text ("duplicate key value violates unique constraint"). */
  | 'database-error'
  /** Line or paragraph separators and bidi controls: text that shows other than it reads. */
  | 'hidden-character'
  /** Text with nothing to see: only spaces, zero-width or other invisible characters. */
  | 'no-visible-text';

export interface GuardRules {
  /** Internal code names: refused as whole words, case-insensitive; `-`, `_` and spaces are interchangeable. */
  codeNames: readonly string[];
  /** Internal DNS domains: every host, link and e-mail address under them is refused. */
  internalDomains: readonly string[];
  /**
   * Public, customer-facing hosts that may appear in links, bare host names and e-mail addresses,
   * e.g. the status page host and the support domain. An entry matches that exact host only;
   * write `*.acme.com` to allow a domain and everything under it. An entry with a port
   * (`localhost:8080`, as the example plan's status page) allows only that port, so a dashboard on
   * another port of the same host is still refused. Entries may be written as URLs. When an entry
   * and an internal domain both cover a host, the longer (more specific) one decides; a tie refuses.
   */
  allowedDomains?: readonly string[];
}

export interface GuardFinding {
  kind: GuardFindingKind;
  /** The exact offending substring of the checked text. */
  text: string;
  /** Where `text` starts in the checked text (UTF-16 index). */
  index: number;
  /** What must change, in plain words, e.g. `remove the IP address "10.0.3.7"`. */
  message: string;
}

export interface GuardFieldFindings {
  field: string;
  findings: GuardFinding[];
}

/** Guard rules for a plan: its code names and internal domains, and its status page host as allowed. */
export function guardRulesForPlan(
  plan: { codeNames?: readonly string[]; internalDomains?: readonly string[]; page?: { url?: string } },
  extraAllowedDomains: readonly string[] = [],
): GuardRules {
  const pageHost = plan.page?.url ? hostEntry(plan.page.url) : '';
  return {
    codeNames: [...(plan.codeNames ?? [])],
    internalDomains: [...(plan.internalDomains ?? [])],
    allowedDomains: [...(pageHost ? [pageHost] : []), ...extraAllowedDomains],
  };
}

/**
 * Every problem in one piece of external text, in order of appearance; empty when it may be sent.
 * The detectors read copies of the text with disguises undone (guard/normalize.ts: compatibility
 * forms, hidden characters, look-alike letters, other dots, words split by spaces); each finding
 * points at the raw text.
 */
export function guardExternalText(text: string, rules: GuardRules): GuardFinding[] {
  if (!text) return [];
  const ctx = compile(rules);
  const candidates: Candidate[] = [];
  const protectedSpans: Span[] = [];
  if (!hasVisibleText(text)) candidates.push({ kind: 'no-visible-text', index: 0, text, priority: -1 });
  for (const m of text.matchAll(HIDDEN_CONTROLS))
    candidates.push({ kind: 'hidden-character', index: m.index, text: m[0], priority: -1 });

  const normalized = normalizedView(text);
  const joined = joinedView(normalized);
  for (const [n, view] of (joined ? [normalized, joined] : [normalized]).entries()) {
    const found: Candidate[] = [];
    const spans: Span[] = [];
    detectAll(view.text, ctx, found, spans);
    const start = (i: number) => view.starts[i] ?? text.length;
    const end = (i: number) => (i > 0 ? view.ends[i - 1]! : 0);
    for (const c of found) {
      const from = start(c.index);
      const to = end(c.index + c.text.length);
      const raw = text.slice(from, to);
      // What the joined copy finds only counts where the plain one found nothing.
      candidates.push({ ...c, index: from, text: raw, disguised: raw !== c.text, priority: c.priority + n * 0.5 });
    }
    for (const sp of spans) protectedSpans.push({ index: start(sp.index), end: end(sp.end) });
  }

  return resolve(text, candidates, protectedSpans).map((c) => ({
    kind: c.kind,
    text: c.text,
    index: c.index,
    message: messageFor(c, ctx),
  }));
}

function detectAll(text: string, ctx: Compiled, candidates: Candidate[], protectedSpans: Span[]): void {
  const add = (kind: GuardFindingKind, index: number, found: string, priority: number, detail?: string) => {
    if (found) candidates.push({ kind, index, text: found, priority, detail });
  };
  detectStackTraces(text, add);
  detectCredentials(text, add);
  detectArns(text, add);
  detectUrls(text, ctx, add, protectedSpans);
  detectEmails(text, ctx, add, protectedSpans);
  detectFilePaths(text, add);
  detectInternalDomains(text, ctx, add, protectedSpans);
  detectIpAddresses(text, ctx, add, protectedSpans);
  detectDomainNames(text, ctx, add, protectedSpans);
  detectResourceIds(text, add);
  detectAccountIds(text, add);
  detectDatabaseErrors(text, add);
  detectExceptionNames(text, add);
  detectTickets(text, add);
  detectChatChannels(text, add);
  detectSingleLabelHosts(text, ctx, add, protectedSpans);
  detectCodeNames(text, ctx, add);
}

/**
 * Checks several parts of one message (e.g. subject, text, short, or an operator's words) and returns
 * only the parts that have findings, in the order the parts were given; empty when all may be sent.
 */
export function guardExternalMessage(
  parts: Readonly<Record<string, string | undefined | null>>,
  rules: GuardRules,
): GuardFieldFindings[] {
  const out: GuardFieldFindings[] = [];
  for (const [field, value] of Object.entries(parts)) {
    if (typeof value !== 'string' || value === '') continue;
    const findings = guardExternalText(value, rules);
    if (findings.length > 0) out.push({ field, findings });
  }
  return out;
}

/**
 * One readable sentence of what must change, e.g.
 * `remove the IP address "10.0.3.7"; remove the internal code name "kestrel"`.
 * Given per-field results, each change names its fields: `… "kestrel" (in subject, text)`.
 * The same change is listed once. Empty string when there is nothing to change.
 */
export function describeFindings(findings: readonly GuardFinding[] | readonly GuardFieldFindings[]): string {
  const order: string[] = [];
  const fields = new Map<string, string[]>();
  for (const item of findings as readonly (GuardFinding | GuardFieldFindings)[]) {
    const entries: [GuardFinding, string | undefined][] =
      'findings' in item ? item.findings.map((f) => [f, item.field]) : [[item, undefined]];
    for (const [finding, field] of entries) {
      if (!fields.has(finding.message)) {
        fields.set(finding.message, []);
        order.push(finding.message);
      }
      const list = fields.get(finding.message)!;
      if (field !== undefined && !list.includes(field)) list.push(field);
    }
  }
  return order
    .map((message) => {
      const where = fields.get(message)!;
      return where.length > 0 ? `${message} (in ${where.join(', ')})` : message;
    })
    .join('; ');
}

// ───────────────────────────── internals ─────────────────────────────

interface Span {
  index: number;
  end: number;
}

interface Candidate {
  kind: GuardFindingKind;
  index: number;
  text: string;
  /** Lower wins when two candidates overlap: the more specific, more complete reading. */
  priority: number;
  /** Which wording to use when a kind has several (e.g. a GUID vs an AWS account id). */
  detail?: string;
  /** The raw text differs from what the detector read (look-alike, hidden or full-width characters). */
  disguised?: boolean;
}

type Add = (kind: GuardFindingKind, index: number, text: string, priority: number, detail?: string) => void;

interface CodeNamePattern {
  name: string;
  re: RegExp;
}

interface AllowedHost {
  host: string;
  /** Only this port when set (the scheme's default port counts for links). */
  port?: string;
  /** Also every host under `host`. */
  subdomains: boolean;
}

interface Compiled {
  codeNames: CodeNamePattern[];
  internal: string[];
  /** One pattern per internal domain, matching any host under it. */
  internalPatterns: { domain: string; re: RegExp }[];
  allowed: AllowedHost[];
  /** The allowed entries as written, for messages. */
  allowedNames: string[];
}

// Overlap priorities (lower wins).
const P = {
  stack: 0,
  credential: 1,
  arn: 2,
  url: 3,
  email: 4,
  file: 5,
  internalDomain: 6,
  ip: 7,
  domain: 8,
  resource: 9,
  account: 10,
  database: 11,
  exception: 11,
  ticket: 12,
  chat: 13,
  singleHost: 14,
  codeName: 15,
} as const;

/** Kinds still reported inside an allowed link or address: they leak whatever host they sit under. */
const REPORTED_INSIDE_ALLOWED: ReadonlySet<GuardFindingKind> = new Set(['code-name', 'internal-domain', 'credential', 'arn']);

// A plan's rules are compiled once per rules object: every rendered message of every round is
// guarded with the same few, and building their patterns cost more than running them.
const compiled = new WeakMap<GuardRules, Compiled>();

function compile(rules: GuardRules): Compiled {
  let c = compiled.get(rules);
  if (!c) compiled.set(rules, (c = compileRules(rules)));
  return c;
}

function compileRules(rules: GuardRules): Compiled {
  const codeNames: CodeNamePattern[] = [];
  for (const raw of rules.codeNames ?? []) {
    const name = raw.trim();
    if (!name) continue;
    const words = name
      .split(/[\s_-]+/)
      .filter(Boolean)
      .map(escapeRegExp);
    if (words.length === 0) continue;
    // Whole word: no Latin letter or digit directly before or after. "_" and "-" are boundaries
    // (team_bluebird, kestrel-db leak the name as much as "kestrel" does), and so are CJK
    // characters, because Chinese text does not put spaces around embedded Latin words.
    const before = /^[A-Za-z0-9]/.test(name) ? '(?<![A-Za-z0-9\\u00C0-\\u024F])' : '';
    const after = /[A-Za-z0-9]$/.test(name) ? '(?![A-Za-z0-9\\u00C0-\\u024F])' : '';
    codeNames.push({ name, re: new RegExp(`${before}${words.join('[\\s_-]*')}${after}`, 'giu') });
  }
  const internal = [
    ...new Set((rules.internalDomains ?? []).map((d) => splitHostPort(hostEntry(d)).host.replace(/^\*?\./, '')).filter(Boolean)),
  ];
  const allowedNames = [...new Set((rules.allowedDomains ?? []).map(hostEntry).filter(Boolean))];
  const allowed = allowedNames.map((entry): AllowedHost => {
    const subdomains = /^\*?\./.test(entry);
    const { host, port } = splitHostPort(entry.replace(/^\*?\./, ''));
    return port ? { host, port, subdomains } : { host, subdomains };
  });
  const internalPatterns = internal.map((domain) => ({
    domain,
    re: new RegExp(`(?<![\\w.@-])(?:[a-z0-9-]+\\.)*${escapeRegExp(domain)}(?![\\w-]|\\.[a-z0-9])`, 'gi'),
  }));
  return { codeNames, internal, internalPatterns, allowed, allowedNames };
}

/** "https://Status.Acme.com/x" → "status.acme.com"; "http://localhost:8080/" → "localhost:8080". */
function hostEntry(entry: string): string {
  let s = entry.trim().toLowerCase();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(s)?.[1];
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s.replace(/^[^/?#@]*@/, '');
  s = s.replace(/[/?#].*$/, '');
  // A URL's default port is the same as no port.
  if ((scheme === 'http' && s.endsWith(':80')) || (scheme === 'https' && s.endsWith(':443'))) s = s.replace(/:\d+$/, '');
  return s.replace(/\.(?=:\d+$|$)/, '');
}

function splitHostPort(entry: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  if (v6) return v6[2] ? { host: v6[1]!, port: v6[2] } : { host: v6[1]! };
  const m = /^(.*?)(?::(\d+))?$/.exec(entry)!;
  return m[2] && !m[1]!.includes(':') ? { host: m[1]!, port: m[2] } : { host: entry };
}

/** All lower case or all upper case: a machine name disguised in capitals, not a capitalised word ("Web-3"). */
function oneCase(s: string): boolean {
  return s === s.toLowerCase() || s === s.toUpperCase();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Trailing characters that end a sentence rather than a link or path. */
function trimTrailingPunctuation(s: string): string {
  let out = s;
  for (;;) {
    const last = out[out.length - 1];
    if (last === undefined) return out;
    if ('.,;:!?\'"*'.includes(last)) {
      out = out.slice(0, -1);
      continue;
    }
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{', '>': '<' };
    const open = pairs[last];
    if (open !== undefined && count(out, last) > count(out, open)) {
      out = out.slice(0, -1);
      continue;
    }
    return out;
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

// ── host classification ──

/** Top-level names that only exist inside private networks (or are reserved for tests). */
const PRIVATE_TLDS: ReadonlySet<string> = new Set([
  'internal',
  'local',
  'localdomain',
  'localhost',
  'lan',
  'corp',
  'home',
  'intranet',
  'intra',
  'priv',
  'private',
  'consul',
  'cluster',
  'svc',
  'test',
  'invalid',
  'example',
  'arpa',
  'k8s',
  'kube',
  'prod',
  'prd',
  'production',
  'staging',
  'stage',
  'stg',
  'qa',
  'uat',
  'infra',
  'mgmt',
  'vpc',
  'ops',
]);

/**
 * Generic top-level domains treated as real (every two-letter label is treated as a country code).
 * A dotted word ending in anything else (`Node.js`, `e.g.`, `a.m.`, `v2.3.1`) is not a host name.
 */
const GENERIC_TLDS: ReadonlySet<string> = new Set([
  'com',
  'net',
  'org',
  'edu',
  'gov',
  'mil',
  'int',
  'info',
  'biz',
  'name',
  'pro',
  'mobi',
  'asia',
  'aero',
  'coop',
  'museum',
  'jobs',
  'travel',
  'tel',
  'cat',
  'app',
  'dev',
  'cloud',
  'tech',
  'online',
  'site',
  'xyz',
  'top',
  'club',
  'shop',
  'store',
  'blog',
  'page',
  'run',
  'services',
  'systems',
  'network',
  'digital',
  'global',
  'solutions',
  'software',
  'email',
  'link',
  'live',
  'news',
  'media',
  'company',
  'center',
  'host',
  'hosting',
  'space',
  'website',
  'one',
  'inc',
  'llc',
  'ltd',
  'agency',
  'studio',
  'design',
  'team',
  'work',
  'works',
  'world',
  'zone',
  'today',
  'support',
  'help',
  'aws',
  'amazon',
  'google',
  'goog',
  'microsoft',
  'azure',
  'apple',
  'bank',
  'finance',
  'money',
  'pay',
  'security',
  'systems',
  'tools',
  'codes',
  'engineering',
  'africa',
  'london',
  'nyc',
  'tokyo',
  'taipei',
]);

/** Dotted names of products and technologies, not hosts or files. */
const TECH_NAMES: ReadonlySet<string> = new Set([
  'node.js',
  'vue.js',
  'next.js',
  'nuxt.js',
  'react.js',
  'express.js',
  'd3.js',
  'three.js',
  'chart.js',
  'angular.js',
  'ember.js',
  'backbone.js',
  'socket.io',
  'asp.net',
  'vb.net',
  'ado.net',
]);

/** Ticketing and paging systems: a link to one of them is a ticket reference. */
const TICKET_HOSTS = [
  'atlassian.net',
  'zendesk.com',
  'pagerduty.com',
  'service-now.com',
  'servicenow.com',
  'opsgenie.com',
  'linear.app',
  'freshdesk.com',
  'freshservice.com',
  'incident.io',
  'firehydrant.io',
  'firehydrant.com',
  'rootly.com',
  'victorops.com',
  'trello.com',
  'asana.com',
  'youtrack.cloud',
];
const CHAT_HOSTS = ['slack.com', 'teams.microsoft.com', 'chat.google.com', 'discord.com', 'mattermost.com'];

type HostClass = 'allowed' | 'internal-domain' | 'private-ip' | 'public-ip' | 'private-name' | 'ticket' | 'chat' | 'public';

function longestSuffixMatch(host: string, list: readonly string[]): number {
  let best = -1;
  for (const d of list) if ((host === d || host.endsWith(`.${d}`)) && d.length > best) best = d.length;
  return best;
}

/** Length of the most specific allowed entry covering host (and port, when the entry names one). */
function allowedMatch(host: string, port: string | undefined, ctx: Compiled): number {
  let best = -1;
  for (const a of ctx.allowed) {
    const covers = host === a.host || (a.subdomains && host.endsWith(`.${a.host}`));
    if (covers && (a.port === undefined || a.port === port) && a.host.length > best) best = a.host.length;
  }
  return best;
}

interface HostContext {
  /** The path after the host, for links (tells a GitHub issue from a repository). */
  path?: string;
  /** The port written (or implied by a link's scheme); undefined when none. */
  port?: string;
}

function classifyHost(rawHost: string, ctx: Compiled, where: HostContext = {}): HostClass {
  const host = rawHost.toLowerCase().replace(/\.$/, '');
  const path = where.path ?? '';
  const allowed = allowedMatch(host, where.port, ctx);
  const internal = longestSuffixMatch(host, ctx.internal);
  if (allowed >= 0 && allowed > internal) return 'allowed';
  if (internal >= 0) return 'internal-domain';
  if (isIPv4(host)) return isPrivateIPv4(host) ? 'private-ip' : 'public-ip';
  if (host.includes(':')) return isPrivateIPv6(host) ? 'private-ip' : 'public-ip';
  if (!host.includes('.')) return 'private-name';
  if (PRIVATE_TLDS.has(host.slice(host.lastIndexOf('.') + 1))) return 'private-name';
  if (longestSuffixMatch(host, TICKET_HOSTS) >= 0 || /^(?:[\w-]+\.)*jira\./.test(host)) return 'ticket';
  if (
    /^(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)$/.test(host) &&
    /\/(?:issues|pull|pulls|merge_requests)(?:\/|$)/.test(path)
  )
    return 'ticket';
  if (longestSuffixMatch(host, CHAT_HOSTS) >= 0) return 'chat';
  return 'public';
}

function isIPv4(s: string): boolean {
  return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s);
}

function isPrivateIPv4(s: string): boolean {
  const [a = 0, b = 0] = s.split('.').map(Number);
  return (
    a === 10 ||
    a === 127 ||
    a === 0 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

function isPrivateIPv6(s: string): boolean {
  const h = s.toLowerCase().replace(/%.*$/, '');
  return h === '::1' || h === '::' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^::ffff:/.test(h);
}

/** A valid IPv6 address (full, compressed, with an IPv4 tail or a zone). Times like 14:30:00 are not. */
function isIPv6(candidate: string): boolean {
  const s = candidate.replace(/%\w+$/, '');
  if (!/[0-9a-f]/i.test(s) || s.includes(':::')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  let groups = 0;
  for (const half of halves) {
    if (half === '') continue;
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && half === halves[halves.length - 1] && isIPv4(part)) groups += 2;
      else if (/^[0-9a-f]{1,4}$/i.test(part)) groups += 1;
      else return false;
    }
  }
  return halves.length === 2 ? groups < 8 : groups === 8;
}

// ── detectors ──

/**
 * Stack frames of JavaScript, Java/Kotlin, .NET, Python, Go and Ruby, and the lines that open a
 * trace. Each shape needs a file location with line numbers or a fixed phrase, which prose lacks
 * ("at 14:30 (UTC+08:00)" has no file and no second `:line`).
 */
const STACK_PATTERNS: RegExp[] = [
  // JavaScript: at Foo.bar (file.js:10:5) / at async fn (/app/x.js:1:2) / at new X (<anonymous>)
  /\bat (?:async )?(?:new )?[\w$.<>[\]]+(?: \[as [\w$]+\])? \((?:[^()\n]*:\d+:\d+|<anonymous>|native)\)/g,
  // JavaScript, anonymous frame: at /app/x.js:10:5, at file:///x.mjs:1:2, at node:internal/x:1:2
  /\bat (?:async )?(?:file:\/\/|node:|\.{0,2}\/|~\/|[A-Za-z]:\\)[^\s()]*:\d+:\d+/g,
  // Java / Kotlin / Scala: at com.acme.Foo.bar(Foo.java:42)
  /\bat [\w$]+(?:\.[\w$<>-]+)+\((?:[\w$.-]+\.(?:java|kt|kts|scala|groovy|clj):\d+|Native Method|Unknown Source)\)/g,
  // .NET: at Acme.Payments.Charge(String id) [in C:\src\x.cs:line 42]
  /\bat (?:[\w`<>]+\.){2,}[\w`<>]+\([^()\n]*\)(?: in [^\n]*?:line \d+)?/g,
  // Python
  /\bTraceback \(most recent call last\):?/g,
  /\bFile "[^"\n]+", line \d+(?:, in [\w<>.]+)?/g,
  // Go
  /\bgoroutine \d+ \[[^\]\n]+\]:?/g,
  /(?<![\w.\/-])[\w.\/-]+\.go:\d+(?: \+0x[0-9a-f]+)?(?![\w])/g,
  // Ruby: from /app/x.rb:10:in `charge'
  /(?<![\w.\/-])[\w.\/-]+\.rb:\d+:in [`'][^'\n]*'/g,
  // PHP and others that print a header
  /\bStack trace:/g,
];

function detectStackTraces(text: string, add: Add): void {
  for (const re of STACK_PATTERNS) for (const m of text.matchAll(re)) add('stack-trace', m.index, m[0], P.stack);
}

function detectCredentials(text: string, add: Add): void {
  const patterns = [
    /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
    /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/g,
    /\bxox[abprs]-[\w-]{10,}/g,
    /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) add('credential', m.index, m[0], P.credential);
}

function detectArns(text: string, add: Add): void {
  const re = /\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12})?:[^\s"'<>`\u0080-\uffff]+/gi;
  for (const m of text.matchAll(re)) add('arn', m.index, trimTrailingPunctuation(m[0]), P.arn);
}

/** Links with a scheme. Ends at white space, quotes, angle brackets and any non-ASCII (e.g. "。"). */
function detectUrls(text: string, ctx: Compiled, add: Add, protectedSpans: Span[]): void {
  const re = /\b([a-z][a-z0-9+.-]{1,15}):\/\/[^\s<>"'`\u0080-\uffff]+/gi;
  for (const m of text.matchAll(re)) {
    const url = trimTrailingPunctuation(m[0]);
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'file') {
      add('file-path', m.index, url, P.url);
      continue;
    }
    const rest = url.slice(scheme.length + 3);
    const authorityEnd = rest.search(/[/?#]/);
    const authority = (authorityEnd < 0 ? rest : rest.slice(0, authorityEnd)).replace(/^.*@/, '');
    const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
    const { host, port } = splitHostPort(authority.toLowerCase());
    const defaultPort = scheme === 'https' || scheme === 'wss' ? '443' : scheme === 'http' || scheme === 'ws' ? '80' : undefined;
    const cls = classifyHost(host, ctx, { path, port: port ?? defaultPort });
    switch (cls) {
      case 'allowed':
        protectedSpans.push({ index: m.index, end: m.index + url.length });
        break;
      case 'internal-domain':
      case 'private-ip':
      case 'private-name':
        add('url-internal', m.index, url, P.url);
        break;
      case 'public-ip':
        add('ip-address', m.index, url, P.url, 'link');
        break;
      case 'ticket':
        add('ticket', m.index, url, P.url, 'link');
        break;
      case 'chat':
        add('chat-channel', m.index, url, P.url, 'link');
        break;
      case 'public':
        add('url-external', m.index, url, P.url);
        break;
    }
  }
}

/**
 * E-mail addresses. One on an allowed domain (e.g. support@acme.com when acme.com is allowed) passes;
 * one under an internal domain is an internal-domain finding; any other is refused, since a staff
 * member's or a vendor's address is not for customers. (Templates should therefore not print the
 * recipient's own address, or must be guarded before it is filled in.)
 */
function detectEmails(text: string, ctx: Compiled, add: Add, protectedSpans: Span[]): void {
  const re = /(?<![\w.+%-])[a-z0-9._%+-]+@((?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*)(?![\w-]|\.[a-z0-9])/gi;
  for (const m of text.matchAll(re)) {
    const domain = m[1]!;
    const cls = classifyHost(domain, ctx);
    if (cls === 'allowed') protectedSpans.push({ index: m.index, end: m.index + m[0].length });
    else if (cls === 'internal-domain') add('internal-domain', m.index, m[0], P.email, 'email');
    else add('email-address', m.index, m[0], P.email);
  }
}

/** Extensions of source, config, log and binary files. Bare names need one of these to be refused. */
const FILE_EXTENSIONS =
  'js|mjs|cjs|ts|tsx|jsx|py|pyc|java|class|jar|war|kt|kts|scala|go|rb|php|cs|csproj|cpp|cc|hpp|rs|swift|' +
  'sql|sh|bash|zsh|ps1|bat|cmd|yaml|yml|json|toml|ini|conf|cfg|config|env|properties|xml|log|out|err|txt|' +
  'md|pem|key|crt|cer|p12|pfx|tf|tfvars|tfstate|lock|pid|sock|db|sqlite|dll|exe|so|dylib|bin|dat|bak|tmp|' +
  'gz|tgz|zip|tar|dmp|hprof|ipynb|vue|svelte|erb|ejs|njk|html|htm|css|scss';
const FILE_EXTENSION_SET: ReadonlySet<string> = new Set(FILE_EXTENSIONS.split('|'));

/** Top directories of Unix and macOS systems and containers; `/v2/payments`-style API paths pass. */
const ROOT_DIRS =
  'var|etc|usr|opt|home|root|tmp|srv|mnt|proc|sys|bin|sbin|lib|lib64|app|private|Users|workspace|' +
  'snap|nix|boot|cores|Library|System|Volumes|node_modules|src';

const FILE_PATTERNS: RegExp[] = [
  // /var/log/…, /etc/nginx/…, /app/src/…  (two segments at least)
  new RegExp(`(?<![\\w.\\/\\\\~:-])\\/(?:${ROOT_DIRS})\\/[^\\s"'<>()\\[\\]{}\`\\u0080-\\uffff]*`, 'gi'),
  // any path ending in a file with a known extension: /x/y.py, src/handlers/pay.ts, ./a/b.js
  new RegExp(
    `(?<![\\w.\\/\\\\~@:-])(?:\\.{1,2}\\/|~\\/|\\/)?(?:[\\w.@+-]+\\/)+[\\w.@+-]+\\.(?:${FILE_EXTENSIONS}|c|h|m)(?::\\d+(?::\\d+)?)?(?![\\w-])`,
    'g',
  ),
  // relative paths: ./src/x, ../config
  /(?<![\w.\/])\.{1,2}\/[\w.@+-]+(?:\/[\w.@+-]*)*/g,
  // home paths: ~/.aws/credentials
  /(?<![\w\/])~\/[\w.@+\/-]+/g,
  // Windows: C:\Program Files\…, \\fileserver\share\…
  /(?<![\w])[A-Za-z]:\\(?:[^\\\s"'<>|\u0080-\uffff]+(?: [^\\\s"'<>|\u0080-\uffff]+)*\\)*[^\\\s"'<>|\u0080-\uffff]*/g,
  /(?<![\w\\])\\\\[\w.$-]+\\[^\s"'<>|\u0080-\uffff]+/g,
  // well-known dot files
  /(?<![\w.\/-])\.(?:env|npmrc|bashrc|zshrc|ssh|aws|kube|gitconfig|htaccess|htpasswd|netrc|pgpass|dockerconfigjson)(?![\w-])/g,
];

const BARE_FILE_NAME = new RegExp(
  `(?<![\\w.\\/\\\\@-])([\\w-]+(?:\\.[\\w-]+)*)\\.(${FILE_EXTENSIONS})(?::\\d+(?::\\d+)?)?(?![\\w-]|\\.[A-Za-z0-9])`,
  'g',
);

function detectFilePaths(text: string, add: Add): void {
  for (const re of FILE_PATTERNS) {
    for (const m of text.matchAll(re)) add('file-path', m.index, trimTrailingPunctuation(m[0]), P.file);
  }
  // Bare file names: server.js, handler.py:42, app-config.yaml. Lower-case extensions only, so a
  // missing space after a full stop ("done.Go ahead") is not read as a file. Product names written
  // like files — "Node.js", "Vue.js", "ASP.NET" — pass: they are how customers name their stacks.
  for (const m of text.matchAll(BARE_FILE_NAME)) {
    const base = m[1]!;
    const name = `${base}.${m[2]!}`;
    if (!/[A-Za-z]/.test(base)) continue;
    if (TECH_NAMES.has(name.toLowerCase())) continue;
    if (m[2] === 'js' && /^[A-Z][A-Za-z0-9]*$/.test(base)) continue; // Chart.js, Three.js, …
    add('file-path', m.index, m[0], P.file);
  }
}

/**
 * Every host under a plan's internal domain, whatever its last label (the dotted-name detector only
 * knows common top-level names). With a path it is reported as a link. A more specific allowed host
 * (status.acme.internal when acme.internal is internal) passes.
 */
function detectInternalDomains(text: string, ctx: Compiled, add: Add, protectedSpans: Span[]): void {
  for (const { re } of ctx.internalPatterns) {
    for (const m of text.matchAll(re)) {
      const end = extendHost(text, m.index + m[0].length);
      const rest = text.slice(m.index + m[0].length, end);
      const port = /^:(\d+)/.exec(rest)?.[1];
      if (classifyHost(m[0], ctx, { port }) === 'allowed') {
        protectedSpans.push({ index: m.index, end });
        continue;
      }
      const isLink = rest.replace(/^:\d+/, '') !== '';
      add(isLink ? 'url-internal' : 'internal-domain', m.index, text.slice(m.index, end), P.internalDomain);
    }
  }
}

/** `:port` and `/path` after a host, so a bare link is reported whole. */
function extendHost(text: string, end: number): number {
  const tail = /^(?::\d{1,5})?(?:\/[^\s<>"'`\u0080-\uffff]*)?/.exec(text.slice(end))?.[0] ?? '';
  return end + trimTrailingPunctuation(tail).length;
}

/**
 * IPv4 (with optional CIDR and port) and IPv6. Version numbers are not addresses: "v2.3.1" has three
 * parts and a letter before it, and four-part numbers right after "version"/"release"/"build" pass.
 * Times ("14:30", "14:30:00"), dates and "1.5 hours" never form a valid address.
 */
function detectIpAddresses(text: string, ctx: Compiled, add: Add, protectedSpans: Span[]): void {
  const v4 =
    /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\/\d{1,2})?(?![\w]|\.\d)/g;
  for (const m of text.matchAll(v4)) {
    const before = text.slice(Math.max(0, m.index - 16), m.index);
    if (/(?:\bversion|\brelease|\bbuild|\bver\.?|\bv)\s*$/i.test(before)) continue;
    const address = m[0].replace(/\/\d+$/, '');
    const end = m[0].includes('/') ? m.index + m[0].length : extendHost(text, m.index + m[0].length);
    const port = /^:(\d+)/.exec(text.slice(m.index + m[0].length, end))?.[1];
    if (classifyHost(address, ctx, { port }) === 'allowed') protectedSpans.push({ index: m.index, end });
    else add('ip-address', m.index, text.slice(m.index, end), P.ip);
  }
  detectNumericIPv4(text, ctx, add);
  const v6 = /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{0,4})(?:%\w+)?(?![\w:])/gi;
  for (const m of text.matchAll(v6)) {
    if (!isIPv6(m[0])) continue;
    if (classifyHost(m[0], ctx) === 'allowed') protectedSpans.push({ index: m.index, end: m.index + m[0].length });
    else add('ip-address', m.index, m[0], P.ip);
  }
}

/**
 * IPv4 addresses written as numbers other than dotted decimal, which every resolver and browser
 * still reads as addresses (inet_aton): hex or octal parts ("0xa.0.3.7", "012.0.3.7"), one hex
 * number ("0x0a000307"), and a plain number after words that say it is an address ("IP 167772935",
 * "host 167772935:8080"). Order numbers and amounts in prose have no such words.
 */
function detectNumericIPv4(text: string, ctx: Compiled, add: Add): void {
  const forms = [
    /(?<![\w.])(?:(?:0x[0-9a-f]{1,2}|\d{1,4})\.){3}(?:0x[0-9a-f]{1,2}|\d{1,4})(?![\w]|\.\d)/gi,
    /(?<![\w.])0x[0-9a-f]{8}(?![\w.])/gi,
  ];
  for (const re of forms) {
    for (const m of text.matchAll(re)) {
      if (!/0x|(?<![\d])0\d/i.test(m[0]) || !ipaddr.IPv4.isValid(m[0])) continue;
      if (/(?:\bversion|\brelease|\bbuild|\bver\.?|\bv)\s*$/i.test(text.slice(Math.max(0, m.index - 16), m.index))) continue;
      const end = extendHost(text, m.index + m[0].length);
      const address = ipaddr.IPv4.parse(m[0]).toString();
      if (classifyHost(address, ctx) !== 'allowed') add('ip-address', m.index, text.slice(m.index, end), P.ip);
    }
  }
  const decimal =
    /(?<=(?:\b(?:ip|ipv4|address|addr|host|server|node|ping|connect(?:ed|ing)?\s+to)|位址|主機|伺服器)[\s:#=]{1,3})\d{8,10}(?![\w.])/gi;
  for (const m of text.matchAll(decimal)) {
    const n = Number(m[0]);
    if (n < 16_777_216 || n > 4_294_967_295) continue;
    add('ip-address', m.index, text.slice(m.index, extendHost(text, m.index + m[0].length)), P.ip);
  }
}

/**
 * Dotted host names. A dotted word counts as a host when its last label is a private top-level name
 * (`.internal`, `.corp`, `.local`, …), a two-letter country code or a common generic top-level
 * domain. So "e.g.", "i.e.", "a.m."/"p.m.", "U.S." (one-letter labels), "v2.3.1", "1.5" (numbers)
 * and "Node.js" (not a domain) are prose. A capitalised last label after a lower-case word
 * ("recovered.It") is a missing space, not a host; all-capitals hosts ("DB.ACME.COM") still count.
 */
function detectDomainNames(text: string, ctx: Compiled, add: Add, protectedSpans: Span[]): void {
  const re = /(?<![\w@.\/\\-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z](?:[a-z0-9-]*[a-z0-9])?(?![\w-]|\.[a-z0-9])/gi;
  for (const m of text.matchAll(re)) {
    const host = m[0];
    const lower = host.toLowerCase();
    if (TECH_NAMES.has(lower)) continue;
    const labels = host.split('.');
    const last = labels[labels.length - 1]!;
    const tld = last.toLowerCase();
    const allUpper = host === host.toUpperCase();
    if (!allUpper && /[A-Z]/.test(last)) continue;
    const end = extendHost(text, m.index + host.length);
    const full = text.slice(m.index, end);
    const hasPath = end > m.index + host.length;
    const rest = full.slice(host.length);
    const cls = classifyHost(lower, ctx, { path: rest.replace(/^:\d+/, ''), port: /^:(\d+)/.exec(rest)?.[1] });
    if (cls === 'allowed') {
      protectedSpans.push({ index: m.index, end });
      continue;
    }
    const knownTld = PRIVATE_TLDS.has(tld) || GENERIC_TLDS.has(tld) || /^[a-z]{2}$/.test(tld);
    if (!knownTld) continue;
    if (FILE_EXTENSION_SET.has(tld) && cls !== 'internal-domain' && cls !== 'ticket' && cls !== 'chat') continue; // a file name
    switch (cls) {
      case 'internal-domain':
        add(hasPath ? 'url-internal' : 'internal-domain', m.index, full, P.domain);
        break;
      case 'private-name':
        add(hasPath ? 'url-internal' : 'hostname', m.index, full, P.domain);
        break;
      case 'ticket':
        add('ticket', m.index, full, P.domain, 'link');
        break;
      case 'chat':
        add('chat-channel', m.index, full, P.domain, 'link');
        break;
      default:
        add(hasPath ? 'url-external' : 'hostname', m.index, full, P.domain);
    }
  }
}

function detectResourceIds(text: string, add: Add): void {
  const re =
    /(?<![\w-])(?:i|vol|sg|subnet|vpc|ami|eni|snap|igw|nat|rtb|acl|eipalloc|tgw|vpce|lt|fs|elb)-[0-9a-f]{8}(?:[0-9a-f]{9})?(?![\w-])/gi;
  for (const m of text.matchAll(re)) if (oneCase(m[0])) add('resource-id', m.index, m[0], P.resource);
}

/**
 * AWS account ids: twelve digits on their own, or written 1234-5678-9012 as the console shows them.
 * Phone numbers written with "+" pass. Azure subscription and tenant ids: any GUID.
 */
function detectAccountIds(text: string, add: Add): void {
  const aws = /(?<![\w+.,\/:-])(?:\d{12}|\d{4}-\d{4}-\d{4})(?![\w-]|[.,]\d)/g;
  for (const m of text.matchAll(aws)) add('account-id', m.index, m[0], P.account, 'aws');
  const guid = /(?<![\w-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])/gi;
  for (const m of text.matchAll(guid)) add('account-id', m.index, m[0], P.account, 'guid');
}

/**
 * SQL statements and the error texts of PostgreSQL, MySQL/MariaDB, SQLite, SQL Server, MongoDB and
 * Redis. Statements need their shape, not a keyword: "Select the invoice from the list" is prose,
 * "SELECT id FROM invoices" (upper-case keywords) or "select * from invoices" is not.
 */
const DATABASE_PATTERNS: RegExp[] = [
  // statements
  /\bSELECT\s+(?:DISTINCT\s+)?(?:\*|[\w."`\[\]]+(?:\s*,\s*[\w."`\[\]]+)*)\s+FROM\s+[\w."`\[\]]+/g,
  /\bselect\s+(?:\*|count\(\*\))\s+from\s+[\w."`]+/gi,
  /\bINSERT\s+INTO\s+[\w."`\[\]]+/gi,
  /\bUPDATE\s+[\w."`\[\]]+\s+SET\s+[\w."`\[\]]+\s*=/gi,
  /\bDELETE\s+FROM\s+[\w."`\[\]]+(?:\s+WHERE\b)?/g,
  /\bdelete\s+from\s+[\w."`]+\s+where\b/gi,
  /\b(?:CREATE|ALTER|DROP|TRUNCATE)\s+(?:TABLE|INDEX|DATABASE|SCHEMA|VIEW|SEQUENCE)\b(?:\s+IF\s+(?:NOT\s+)?EXISTS)?(?:\s+[\w."`]+)?/gi,
  /\bWHERE\s+[\w."`]+\s*(?:=|<>|!=|\bIN\s*\(|\bIS\s+NULL\b)/g,
  // PostgreSQL
  /\bduplicate key value violates unique constraint(?: "[^"\n]*")?/gi,
  /\bviolates (?:foreign key|not-null|check|exclusion) constraint(?: "[^"\n]*")?/gi,
  /\b(?:relation|column|table|function|schema|database|role) "[^"\n]{1,120}" (?:does not exist|already exists)/gi,
  /\bdeadlock detected\b/gi,
  /\bcould not serialize access due to (?:concurrent update|read\/write dependencies)/gi,
  /\bcanceling statement due to (?:statement|lock) timeout/gi,
  /\bcurrent transaction is aborted, commands ignored until end of transaction block/gi,
  /\bremaining connection slots are reserved\b/gi,
  /\btoo many connections for (?:role|database)\b/gi,
  /\bpassword authentication failed for user\b/gi,
  /\bsyntax error at or near\b/gi,
  /\bthe database system is (?:starting up|shutting down|in recovery mode)/gi,
  /\bserver closed the connection unexpectedly\b/gi,
  /\bterminating connection due to (?:administrator command|conflict with recovery|idle-in-transaction timeout)/gi,
  /\binvalid input syntax for (?:type|integer)\b/gi,
  /\bvalue too long for type character varying\b/gi,
  /\bpermission denied for (?:table|relation|schema|sequence|database)\b/gi,
  /\bcould not connect to server: /gi,
  /\bcould not obtain lock on (?:relation|row)\b/gi,
  /\bno pg_hba\.conf entry\b/gi,
  /(?:^|(?<=[\s(]))(?:ERROR|FATAL|PANIC): {2}\S/g,
  // MySQL / MariaDB
  /\bERROR \d{4} \(\w{5}\)/g,
  /\bDuplicate entry '[^'\n]*' for key\b(?: '[^'\n]*')?/gi,
  /\bDeadlock found when trying to get lock\b/gi,
  /\bLock wait timeout exceeded\b/gi,
  /\bAccess denied for user '[^'\n]*'(?:@'[^'\n]*')?/gi,
  /\bTable '[^'\n]+' doesn't exist/gi,
  /\bUnknown column '[^'\n]+' in '[^'\n]+'/gi,
  /\bYou have an error in your SQL syntax\b/gi,
  /\bMySQL server has gone away\b/gi,
  /\bLost connection to MySQL server\b/gi,
  /\bCan't connect to (?:local )?MySQL server\b/gi,
  /\bCannot add or update a child row: a foreign key constraint fails/gi,
  /\bER_[A-Z_]{4,}\b/g,
  // SQLite
  /\bSQLITE_[A-Z_]{3,}\b/gi,
  /\b(?:UNIQUE|NOT NULL|FOREIGN KEY|CHECK) constraint failed\b(?::\s*[\w.]+)?/gi,
  /\bno such (?:table|column|function|index): [\w."`]+/gi,
  /\bdatabase (?:disk image is malformed|is locked)\b/gi,
  /\battempt to write a readonly database\b/gi,
  // SQL Server
  /\bMsg \d+, Level \d+, State \d+/g,
  /\bViolation of (?:PRIMARY KEY|UNIQUE KEY) constraint\b(?: '[^'\n]*')?/gi,
  /\bCannot insert duplicate key row in object\b/gi,
  /\bTransaction \(Process ID \d+\) was deadlocked/gi,
  // MongoDB, Redis
  /\bE11000 duplicate key error\b/gi,
  /\bWRONGTYPE Operation against a key\b/gi,
  /\bOOM command not allowed when used memory\b/gi,
  /\bREADONLY You can't write against a read only replica/gi,
];

function detectDatabaseErrors(text: string, add: Add): void {
  for (const re of DATABASE_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const lead = m[0].length - m[0].trimStart().length;
      add('database-error', m.index + lead, m[0].trim(), P.database);
    }
  }
}

/**
 * Names that only come out of programs. "Error" or "error" on its own is prose and passes; so does
 * "Don't panic: …" — a Go panic is only recognised at the start of a line or as "panic: runtime error".
 */
const EXCEPTION_PATTERNS: RegExp[] = [
  /(?<![\w.])(?:[a-z][\w]*\.)*[A-Z][A-Za-z0-9]*(?:Exception|Error)(?![\w])/g,
  /(?<![\w.])[a-z][a-z0-9]{2,}(?:\.[a-z][a-z0-9]*)*exception\b/gi,
  /\b[A-Z]{4,}(?:ERROR|EXCEPTION)\b/g,
  /\b[a-z]{4,}(?:error|exception)\b/g,
  /\bE(?:CONNREFUSED|CONNRESET|CONNABORTED|TIMEDOUT|HOSTUNREACH|NETUNREACH|ADDRINUSE|ADDRNOTAVAIL|PIPE|NOTFOUND|AI_AGAIN|ACCES|PERM|NOENT|MFILE|NFILE|NOSPC|PROTO|EXIST|ISDIR|NOTDIR|BUSY|AGAIN|INVAL|NOMEM|DQUOT|ROFS|INPROGRESS|NOTCONN|CANCELED|HOSTDOWN|NOBUFS)\b/gi,
  /\bERR_[A-Z0-9_]{3,}\b/g,
  /\b(?:DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED|FAILED_PRECONDITION)\b/g,
  /\bSIG(?:KILL|TERM|SEGV|ABRT|BUS|HUP|INT|QUIT|PIPE|ILL|FPE|TRAP|USR1|USR2|ALRM|CHLD|STOP|XCPU)\b/g,
  /(?:^|(?<=[\r\n]))[ \t]*panic: /g,
  /\bpanic: runtime error\b/g,
  /\bfatal error: all goroutines are asleep\b/g,
  /\b(?:Segmentation fault|segfault|core dumped|OOMKilled|CrashLoopBackOff|ImagePullBackOff|ErrImagePull)\b/gi,
  /\bORA-\d{5}\b/gi,
  /\bSQLSTATE\[?[0-9A-Z]{5}\]?/g,
];

function detectExceptionNames(text: string, add: Add): void {
  for (const re of EXCEPTION_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const lead = m[0].length - m[0].trimStart().length;
      add('exception-name', m.index + lead, m[0].trim(), P.exception);
    }
  }
}

/** Prefixes of things that look like tickets (ABC-123) but are standards, algorithms or currencies. */
const NOT_TICKET_PREFIXES: ReadonlySet<string> = new Set(
  (
    'SHA AES RSA ECDSA DES UTF ISO IEC IEEE RFC CVE CWE TLS SSL HTTP HTTPS IP IPV COVID SOC PCI GDPR ' +
    'HIPAA ANSI ECMA ES MD CRC DDR USB PCIE WCAG NIST FIPS GPT ARM LTE ASCII GB MB KB TB NT US USD EUR ' +
    'TWD NTD JPY EN ZH UTC GMT EST PST CST CET ISBN ISSN SKU FY VAT SEV P SLA SLO RTO RPO H X'
  ).split(' '),
);

/**
 * Ticket references: the usual tracker keys (INC-1234, OPS-4521, JIRA-88), ServiceNow numbers
 * (INC0012345), "PD#12345" / "ticket #123", and other KEY-123 shapes with three or more digits unless
 * the prefix is a standard (SHA-256, ISO-8601, RSA-2048) or the number is a year (Q3-2024). The
 * tracker keys are found in any case and split by "_", a space or a dot ("JIRA 1234"); an unknown
 * KEY-123 only in capitals, because "rtx-4090" and "room-101" are how products and places are written.
 */
function detectTickets(text: string, add: Add): void {
  const known =
    /(?<![\w-])(?:INC|JIRA|OPS|SRE|PD|CHG|CRQ|PRB|PROB|RITM|REQ|TASK|BUG|SEC|INFRA|PLAT|PLATFORM|DEVOPS|ENG|SUP|HELP|HELPDESK|ITSM|TKT|TICKET|ZD|CASE|PIR|RCA|OUTAGE|ESC|NOC)[-_]\d{1,7}(?![\w-])/gi;
  for (const m of text.matchAll(known)) add('ticket', m.index, m[0], P.ticket);
  // The same keys split by a space or a dot ("JIRA 1234", "INC.1234"): only prefixes that are not
  // words, written in capitals, with three or more digits.
  const spaced =
    /(?<![\w-])(?:(?:INC|JIRA|OPS|SRE|CHG|CRQ|PRB|RITM|INFRA|DEVOPS|ITSM|TKT|ZD|PIR|RCA|NOC)[ .:]{1,2}\d{3,7}|JIRA[ .:]{1,2}\d{2})(?![\w-]|[.,]\d)/g;
  for (const m of text.matchAll(spaced)) add('ticket', m.index, m[0], P.ticket);
  const serviceNow = /\b(?:INC|CHG|RITM|PRB|TASK|SCTASK|REQ|PTASK|CTASK)\d{5,10}\b/gi;
  for (const m of text.matchAll(serviceNow)) add('ticket', m.index, m[0], P.ticket);
  const hash = /\b(?:PD|ZD|SN|JIRA|INC|OPS|ticket|case|bug|issue)\s?#\s?\d{2,}\b/gi;
  for (const m of text.matchAll(hash)) add('ticket', m.index, m[0], P.ticket);
  const generic = /(?<![\w-])([A-Z][A-Z0-9]{1,9})-(\d{3,6})(?![\w-]|\.\d)/g;
  for (const m of text.matchAll(generic)) {
    if (NOT_TICKET_PREFIXES.has(m[1]!)) continue;
    if (/^(?:19|20)\d\d$/.test(m[2]!)) continue;
    add('ticket', m.index, m[0], P.ticket);
  }
}

const CHAT_PREFIXES =
  /^(?:incident|inc|sev|ops|oncall|on-call|war|warroom|alert|alerts|eng|sre|infra|platform|team|prod|outage|devops|noc|dev)/;

/**
 * Chat channels: lower-case "#name" with a dash or underscore or a typical incident prefix
 * (#incident-123, #ops-alerts, #war-room, #oncall), and Slack's "<#C0123ABCD|name>" mentions.
 * "#1", "#AcmeStatus" and colours like "#fff" / "#1a2b3c" pass.
 */
function detectChatChannels(text: string, add: Add): void {
  const re = /(?<![\w&#\/])#([a-z][a-z0-9._-]{1,79})/gi;
  for (const m of text.matchAll(re)) {
    const found = m[0].replace(/[._-]+$/, '');
    if (!oneCase(found)) continue;
    const name = found.slice(1).toLowerCase();
    if (/[-_]/.test(name) || CHAT_PREFIXES.test(name)) add('chat-channel', m.index, found, P.chat);
  }
  for (const m of text.matchAll(/<#C[A-Z0-9]{6,}(?:\|[^>\n]*)?>/g)) add('chat-channel', m.index, m[0], P.chat);
}

/** Words that, joined to a number with dashes, make a machine name (redis-master-3, api-gw-02). */
const INFRA_WORDS: ReadonlySet<string> = new Set(
  (
    'db rds redis pg postgres postgresql mysql mariadb mongo mongodb kafka rabbit rabbitmq mq es elastic ' +
    'elasticsearch opensearch zk zookeeper etcd consul vault nomad nginx haproxy envoy lb elb alb nlb gw ' +
    'gateway proxy cache memcache memcached broker bastion jump worker workers node nodes srv server host ' +
    'vm ec2 k8s kube pod shard replica primary secondary master slave leader follower app api web ' +
    'ingress queue cassandra jenkins runner prod prd stg staging qa uat canary edge sql nfs smtp ldap dns ' +
    'ns mx batch cron job scheduler ctrl controller backend frontend svc int ip'
  ).split(' '),
);

/**
 * Single-label machine names. Dashed lower-case words are a host when one part is an infrastructure
 * word and the last part holds a digit — "redis-master-3", "api-gw-02", "k8s-node-7" — while
 * "tier-1", "us-east-1", "sign-in" and "COVID-19" pass (AWS region codes are deliberately allowed:
 * a regional failover may name the region). Also "db01"-style names, AWS "ip-10-0-1-5",
 * Kubernetes pod names, host:port, and "localhost".
 */
function detectSingleLabelHosts(text: string, ctx: Compiled, add: Add, protectedSpans: Span[]): void {
  const dashed = /(?<![\w.@\/\\-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-]|\.[a-z0-9])/gi;
  for (const m of text.matchAll(dashed)) {
    if (!oneCase(m[0])) continue;
    const parts = m[0].toLowerCase().split('-');
    const last = parts[parts.length - 1]!;
    const name = m[0].toLowerCase();
    const podName = /-[a-z0-9]{8,10}-[a-z0-9]{5}$/.test(name) && /\d/.test(name.slice(-17));
    const machine = /\d/.test(last) && !/^v\d+$/.test(last) && parts.some((p) => INFRA_WORDS.has(p));
    if (podName || machine || /^ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}$/.test(name)) {
      add('hostname', m.index, text.slice(m.index, extendHost(text, m.index + m[0].length)), P.singleHost);
    }
  }
  const numbered =
    /(?<![\w.@\/\\-])(?:db|pg|redis|mysql|mongo|kafka|zk|etcd|lb|gw|srv|worker|host|vm|prd|stg|sql|rds)\d{1,3}[a-z]?(?![\w-]|\.[a-z0-9])/gi;
  for (const m of text.matchAll(numbered)) {
    if (!oneCase(m[0])) continue;
    add('hostname', m.index, text.slice(m.index, extendHost(text, m.index + m[0].length)), P.singleHost);
  }
  // host:port where the name has a digit or a dash ("db01:5432", "redis-3:6379"); "ratio:100" passes.
  const hostPort = /(?<![\w.@\/\\-])([a-z][a-z0-9-]*):\d{2,5}(?![\w:])/gi;
  for (const m of text.matchAll(hostPort))
    if (/[0-9-]/.test(m[1]!) && oneCase(m[1]!)) add('hostname', m.index, m[0], P.singleHost);
  const localhost = /(?<![\w.@\/\\-])localhost(?![\w-]|\.[a-z0-9])/gi;
  for (const m of text.matchAll(localhost)) {
    const end = extendHost(text, m.index + m[0].length);
    const port = /^:(\d+)/.exec(text.slice(m.index + m[0].length, end))?.[1];
    if (classifyHost('localhost', ctx, { port }) === 'allowed') protectedSpans.push({ index: m.index, end });
    else add(end > m.index + m[0].length ? 'url-internal' : 'hostname', m.index, text.slice(m.index, end), P.singleHost);
  }
}

function detectCodeNames(text: string, ctx: Compiled, add: Add): void {
  for (const { name, re } of ctx.codeNames) {
    for (const m of text.matchAll(re)) add('code-name', m.index, m[0], P.codeName, name);
  }
}

/**
 * Overlaps go to the more specific reading (a stack frame over the file path in it, a link over
 * the host in it); what an allowed link or address contains passes unless it names a code name or
 * an internal domain. Consecutive stack frames become one finding.
 */
function resolve(text: string, candidates: Candidate[], protectedSpans: Span[]): Candidate[] {
  const inside = (c: Candidate) => protectedSpans.some((s) => c.index >= s.index && c.index + c.text.length <= s.end);
  const sorted = candidates
    .filter((c) => REPORTED_INSIDE_ALLOWED.has(c.kind) || !inside(c))
    .sort((a, b) => a.priority - b.priority || b.text.length - a.text.length || a.index - b.index);
  const accepted: Candidate[] = [];
  const taken = new Uint8Array(text.length + 1);
  for (const c of sorted) {
    const end = c.index + c.text.length;
    let free = true;
    for (let i = c.index; i < end && free; i++) free = taken[i] === 0;
    if (!free) continue;
    taken.fill(1, c.index, Math.max(end, c.index + 1));
    accepted.push(c);
  }
  accepted.sort((a, b) => a.index - b.index);
  const merged: Candidate[] = [];
  for (const c of accepted) {
    const prev = merged[merged.length - 1];
    if (prev && prev.kind === 'stack-trace' && c.kind === 'stack-trace') {
      const gap = text.slice(prev.index + prev.text.length, c.index);
      if (/^\s*$/.test(gap)) {
        prev.text = text.slice(prev.index, c.index + c.text.length);
        continue;
      }
    }
    merged.push({ ...c });
  }
  return merged;
}

function messageFor(c: Candidate, ctx: Compiled): string {
  const said = describeCandidate(c, ctx);
  return c.disguised && c.kind !== 'hidden-character' && c.kind !== 'no-visible-text'
    ? `${said} (written with look-alike, full-width or hidden characters)`
    : said;
}

function describeCandidate(c: Candidate, ctx: Compiled): string {
  const q = quote(c.text);
  const allowedNote = ctx.allowedNames.length > 0 ? ` (only ${ctx.allowedNames.join(', ')} may appear)` : '';
  switch (c.kind) {
    case 'hostname':
      return `remove the server name ${q}`;
    case 'internal-domain':
      return c.detail === 'email' ? `remove the internal e-mail address ${q}` : `remove the internal host ${q}`;
    case 'ip-address':
      return c.detail === 'link' ? `remove the link to an IP address ${q}` : `remove the IP address ${q}`;
    case 'arn':
      return `remove the AWS resource name ${q}`;
    case 'account-id':
      return c.detail === 'guid' ? `remove the subscription or resource ID ${q}` : `remove the account ID ${q}`;
    case 'resource-id':
      return `remove the cloud resource ID ${q}`;
    case 'credential':
      return `remove the access key or token ${quote(c.text.slice(0, 8) + '…')} and rotate it`;
    case 'stack-trace':
      return `remove the stack trace ${q}`;
    case 'exception-name':
      return `remove the technical error name ${q}`;
    case 'file-path':
      return `remove the file path ${q}`;
    case 'ticket':
      return c.detail === 'link' ? `remove the ticket link ${q}` : `remove the ticket reference ${q}`;
    case 'chat-channel':
      return c.detail === 'link' ? `remove the chat link ${q}` : `remove the internal chat channel ${q}`;
    case 'code-name':
      return `remove the internal code name ${q}`;
    case 'url-internal':
      return `remove the internal link ${q}`;
    case 'url-external':
      return `remove the link ${q}${allowedNote}`;
    case 'email-address':
      return `remove the e-mail address ${q}${allowedNote}`;
    case 'database-error':
      return `remove the database query or error ${q}`;
    case 'hidden-character':
      return `remove the hidden control character U+${c.text.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    case 'no-visible-text':
      return 'write text people can see: this has no visible characters';
  }
}

function quote(text: string): string {
  const flat = text.replace(HIDDEN_CONTROLS, '').replace(/\s+/g, ' ').trim();
  return `"${flat.length > 80 ? `${flat.slice(0, 77)}…` : flat}"`;
}
