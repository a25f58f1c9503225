import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { z } from 'zod';
import { formatMessageTime, joinForSentence } from './messageWords';
import { humanDuration } from './messageContext';
import type { Plan } from './plan/schema';
import type { Store } from './store';
import { subscriberIdFor, type ValidSubscriber } from './store/subscribers';
import { own } from './own';

// Public subscriptions with double opt-in. Someone asks for updates (e-mail, SMS or a webhook; all
// components or some; a locale); Herald writes nothing and sends the address a signed, expiring
// confirmation link that carries the request itself (a workflow the API starts before it answers
// sends it). Only the link's POST applies it, so nobody can subscribe or re-configure an address
// they cannot read, and the request's answer is the same whatever the store holds (no enumeration).

export type SubscriptionChannel = 'email' | 'sms' | 'webhook';
export const SUBSCRIPTION_LOCALES = ['en', 'zh-TW'] as const;
export type SubscriptionLocale = (typeof SUBSCRIPTION_LOCALES)[number];

const E164 = /^\+[1-9]\d{6,14}$/;
/** Form posts send every field; an empty one means "not given". */
const optionalText = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), t.optional());

/** The body of POST /v1/subscriptions (JSON or a form post). */
export const SubscriptionRequest = z
  .strictObject({
    email: optionalText(z.email('must be an e-mail address').max(254)),
    phone: optionalText(z.string().regex(E164, 'use E.164, e.g. +15555550100')),
    webhook: optionalText(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048)),
    /** Component ids; absent or empty = every component. A form sends one value per checked box. */
    components: z
      .preprocess(
        (v) => (typeof v === 'string' ? (v === '' ? [] : [v]) : v),
        z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a component id')).max(200),
      )
      .optional(),
    locale: optionalText(z.enum(SUBSCRIPTION_LOCALES)),
  })
  .superRefine((v, ctx) => {
    const given = (['email', 'phone', 'webhook'] as const).filter((k) => v[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: [given[1] ?? 'email'],
        message: given.length === 0 ? 'give one of email, phone or webhook' : 'give only one of email, phone or webhook',
      });
  });
export type SubscriptionRequest = z.output<typeof SubscriptionRequest>;

/** What a confirmation link carries: the whole request, applied only when the link is used. */
export interface SubscriptionClaim {
  channel: SubscriptionChannel;
  address: string;
  /** Component ids, or "*" for every component. */
  components: string[] | '*';
  locale: SubscriptionLocale;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
}

export function claimFromRequest(r: SubscriptionRequest, now: number, ttlMs: number, fallbackLocale: string): SubscriptionClaim {
  const channel: SubscriptionChannel = r.email ? 'email' : r.phone ? 'sms' : 'webhook';
  const address = r.email ? r.email.trim().toLowerCase() : (r.phone ?? r.webhook!).trim();
  const components = r.components && r.components.length > 0 ? [...new Set(r.components)].sort() : '*';
  const locale =
    r.locale ??
    ((SUBSCRIPTION_LOCALES as readonly string[]).includes(fallbackLocale) ? (fallbackLocale as SubscriptionLocale) : 'en');
  const issuedAt = Math.floor(now / 1000);
  return { channel, address, components, locale, issuedAt, expiresAt: issuedAt + Math.ceil(ttlMs / 1000) };
}

// ---------------------------------------------------------------------------------------------
// Signed confirmation tokens: base64url(JSON array) "." HMAC-SHA256 under Herald's secret, with a
// purpose prefix of its own so an unsubscribe token can never pass as one (and the reverse).

const CHANNEL_CODE: Record<SubscriptionChannel, string> = { email: 'e', sms: 's', webhook: 'w' };
const CODE_CHANNEL: Record<string, SubscriptionChannel> = { e: 'email', s: 'sms', w: 'webhook' };
const mac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`subscribe:${payload}`).digest('base64url').slice(0, 32);

export function confirmationToken(secret: string, c: SubscriptionClaim): string {
  const nonce = randomBytes(6).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify([
      1,
      CHANNEL_CODE[c.channel],
      c.address,
      c.components === '*' ? '*' : c.components.join(','),
      c.locale,
      c.issuedAt.toString(36),
      c.expiresAt.toString(36),
      nonce,
    ]),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export type TokenCheck = { ok: true; claim: SubscriptionClaim } | { ok: false; reason: 'invalid' | 'expired' };

/** Verifies signature first, then shape, then expiry. */
export function verifyConfirmationToken(secret: string, token: unknown, now: number = Date.now()): TokenCheck {
  if (typeof token !== 'string' || token.length > 4096) return { ok: false, reason: 'invalid' };
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return { ok: false, reason: 'invalid' };
  const want = Buffer.from(mac(secret, payload));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'invalid' };
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!Array.isArray(parts) || parts[0] !== 1 || parts.length !== 8) return { ok: false, reason: 'invalid' };
  const [, code, address, components, locale, issued, expires] = parts as [
    number,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const channel = own(CODE_CHANNEL, code);
  if (
    !channel ||
    typeof address !== 'string' ||
    typeof components !== 'string' ||
    !(SUBSCRIPTION_LOCALES as readonly string[]).includes(locale)
  )
    return { ok: false, reason: 'invalid' };
  const claim: SubscriptionClaim = {
    channel,
    address,
    components: components === '*' ? '*' : components.split(','),
    locale: locale as SubscriptionLocale,
    issuedAt: parseInt(issued, 36),
    expiresAt: parseInt(expires, 36),
  };
  if (!(claim.expiresAt * 1000 > now)) return { ok: false, reason: 'expired' };
  return { ok: true, claim };
}

// ---------------------------------------------------------------------------------------------
// Sealed claims: the confirmation workflow carries the request encrypted (AES-256-GCM, key derived
// from Herald's secret), so an address never sits in plain text in Temporal's history or UI; only
// the activity that sends the message opens it.

const sealKey = (secret: string) => Buffer.from(hkdfSync('sha256', secret, 'herald', 'subscription-claim', 32));

export function sealClaim(secret: string, claim: SubscriptionClaim): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(claim), 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** The claim back, or an error when the seal was made under another secret or altered. */
export function openClaim(secret: string, sealed: string): SubscriptionClaim {
  const raw = sealed.startsWith('v1.') ? Buffer.from(sealed.slice(3), 'base64url') : Buffer.alloc(0);
  if (raw.length < 29) throw new Error('not a sealed subscription claim');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as SubscriptionClaim;
  } catch {
    throw new Error(
      'the sealed subscription claim does not open with this secret (HERALD_SECRET differs between API and worker, or it was altered)',
    );
  }
}

export function confirmationLink(apiPublicUrl: string, token: string): string {
  return `${apiPublicUrl.replace(/\/+$/, '')}/v1/subscriptions/confirm?t=${token}`;
}

// ---------------------------------------------------------------------------------------------
// Applying a confirmed request to the store.

const COLUMN: Record<SubscriptionChannel, 'email' | 'phone' | 'webhook'> = { email: 'email', sms: 'phone', webhook: 'webhook' };

export type ConfirmOutcome =
  | {
      ok: true;
      subscriberIds: string[];
      created: boolean;
      /** False when this link, or a newer one for the address, was applied before: nothing changed. */
      applied: boolean;
    }
  | { ok: false; reason: 'unsubscribed-later' };

/**
 * Creates or updates every subscriber with the claim's address: consent confirmed, the claim's
 * components and locale. Everything else a subscriber has (other channels, attributes, internal)
 * stays. A link issued before the address unsubscribed is not honoured: an unsubscribe wins over
 * an older confirmation. A link works once: used again (or after a newer link was used) it changes
 * nothing, so a copy of an old link cannot roll back what the address chose since.
 */
export async function applyConfirmation(store: Store, claim: SubscriptionClaim, now: Date = new Date()): Promise<ConfirmOutcome> {
  const ids = await store.subscriberIdsByAddress(claim.channel, claim.address);
  const existing = (await Promise.all(ids.map((id) => store.getSubscriber(id)))).filter((s) => s !== undefined);
  const issued = claim.issuedAt * 1000;
  if (
    existing.some(
      (s) => s.consent.state === 'unsubscribed' && s.consent.unsubscribedAt && Date.parse(s.consent.unsubscribedAt) > issued,
    )
  )
    return { ok: false, reason: 'unsubscribed-later' };
  const alreadyApplied = (s: (typeof existing)[number]) =>
    s.consent.state === 'confirmed' && s.consent.requestedAt !== null && Date.parse(s.consent.requestedAt) >= issued;
  if (existing.length > 0 && existing.every(alreadyApplied))
    return { ok: true, subscriberIds: existing.map((s) => s.id), created: false, applied: false };
  const requestedAt = new Date(issued).toISOString();
  const rows: (ValidSubscriber & { id: string })[] = existing.map((s) => ({
    id: s.id,
    email: s.email ?? undefined,
    phone: s.phone ?? undefined,
    push: s.push ?? undefined,
    webhook: s.webhook ?? undefined,
    chat: s.chat ?? undefined,
    internal: s.internal,
    attributes: s.attributes,
    locale: claim.locale,
    components: claim.components,
    consent: 'confirmed',
    consentRequestedAt: requestedAt,
    confirmedAt: s.consent.state === 'confirmed' && s.consent.confirmedAt ? s.consent.confirmedAt : now.toISOString(),
  }));
  const created = rows.length === 0;
  if (created) {
    const fields = { [COLUMN[claim.channel]]: claim.address } as Pick<ValidSubscriber, 'email' | 'phone' | 'webhook'>;
    rows.push({
      id: subscriberIdFor(fields),
      ...fields,
      internal: false,
      locale: claim.locale,
      components: claim.components,
      consent: 'confirmed',
      consentRequestedAt: requestedAt,
      confirmedAt: now.toISOString(),
    });
  }
  await store.upsertSubscribers(rows);
  return { ok: true, subscriberIds: rows.map((r) => r.id), created, applied: true };
}

/** Unknown component ids and locales the plan does not publish, as field errors. */
export function checkAgainstPlan(plan: Plan, r: SubscriptionRequest): { path: string; message: string }[] {
  const known = new Set(plan.components.map((c) => c.id));
  const errors = (r.components ?? []).flatMap((c, i) =>
    known.has(c) ? [] : [{ path: `components.${i}`, message: `unknown component "${c}" (use one of ${[...known].join(', ')})` }],
  );
  if (r.locale && !plan.page.locales.includes(r.locale))
    errors.push({ path: 'locale', message: `use one of ${plan.page.locales.join(', ')}` });
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Webhook targets: customers' endpoints only, never this network's own services.

/**
 * True for every address a webhook may not target: anything but global unicast. An IPv6 form that
 * carries an IPv4 address (mapped, compatible, SIIT, NAT64, 6to4, Teredo) is judged by the IPv4
 * address it reaches; the local-use NAT64 prefix 64:ff9b:1::/48 and site-local fec0::/10 never
 * reach a public host of ours to judge, so they are refused.
 */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 0) return true;
  const address = ipaddr.parse(ip);
  if (address.kind() === 'ipv4') return address.range() !== 'unicast';
  const v6 = address as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded === 'refuse') return true;
  if (embedded) return embedded.some((v4) => v4.range() !== 'unicast');
  return v6.range() !== 'unicast';
}

/** The IPv4 addresses an IPv6 address stands for, 'refuse' when it embeds one we cannot judge, undefined when none. */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4[] | 'refuse' | undefined {
  const p = a.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  // ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT), 64:ff9b::a.b.c.d (NAT64)
  if (zero(0, 6) && (p[6] !== 0 || p[7]! > 1)) return [v4(p[6]!, p[7]!)];
  if (zero(0, 5) && p[5] === 0xffff) return [v4(p[6]!, p[7]!)];
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) return [v4(p[6]!, p[7]!)];
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(2, 6)) return [v4(p[6]!, p[7]!)];
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) return 'refuse';
  if (p[0] === 0x2002) return [v4(p[1]!, p[2]!)];
  // Teredo: the server's address, and the client's (stored inverted).
  if (p[0] === 0x2001 && p[1] === 0) return [v4(p[2]!, p[3]!), v4(~p[6]! & 0xffff, ~p[7]! & 0xffff)];
  return undefined;
}

/** Undefined when the URL's host resolves to public addresses only; else why it is refused. */
export async function webhookTargetProblem(
  url: string,
  allowPrivate: boolean,
  resolve: (host: string) => Promise<string[]> = defaultResolve,
): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return 'the host does not resolve';
  }
  if (addresses.length === 0) return 'the host does not resolve';
  if (addresses.some(isPrivateAddress)) return 'must be a public address (private, loopback and link-local targets are refused)';
  return undefined;
}

const defaultResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

// ---------------------------------------------------------------------------------------------
// The confirmation message, in the request's locale: templates/subscriptions/<locale>/confirm.*.njk.

export interface ConfirmationMessage {
  subject: string;
  text: string;
  short: string;
  html: string;
  /** Webhook: the JSON document to POST. */
  json: string;
}

const environments = new Map<string, { text: nunjucks.Environment; html: nunjucks.Environment }>();
function env(templatesDir: string) {
  let e = environments.get(templatesDir);
  if (!e) {
    const loader = () => new nunjucks.FileSystemLoader(join(templatesDir, 'subscriptions'));
    e = {
      text: new nunjucks.Environment(loader(), { autoescape: false, throwOnUndefined: true }),
      html: new nunjucks.Environment(loader(), { autoescape: true, throwOnUndefined: true }),
    };
    environments.set(templatesDir, e);
  }
  return e;
}

export function componentNames(plan: Plan, components: string[] | '*', locale: string): string[] {
  if (components === '*') return [];
  return components.map((id) => {
    const c = plan.components.find((x) => x.id === id);
    return own(c?.name, locale) ?? own(c?.name, plan.page.defaultLocale) ?? id;
  });
}

export function renderConfirmation(o: {
  plan: Plan;
  templatesDir: string;
  claim: SubscriptionClaim;
  confirmUrl: string;
}): ConfirmationMessage {
  const { plan, claim } = o;
  const names = componentNames(plan, claim.components, claim.locale);
  const ctx = {
    locale: claim.locale,
    channel: claim.channel,
    page: { name: plan.page.name, url: plan.page.url },
    confirmUrl: o.confirmUrl,
    expiresAt: formatMessageTime(new Date(claim.expiresAt * 1000), claim.locale, plan.page.timeZone),
    expiresIn: humanDuration((claim.expiresAt - claim.issuedAt) * 1000, claim.locale),
    allComponents: claim.components === '*',
    components: names.length > 0 ? joinForSentence(names, claim.locale) : '',
  };
  const e = env(o.templatesDir);
  const part = (name: string) => e.text.render(`${claim.locale}/confirm.${name}.njk`, ctx).trim();
  const subject = part('subject').replace(/\s+/g, ' ');
  const text = part('text');
  const short = part('short').replace(/\s+/g, ' ');
  const html = e.html.render('email.html.njk', {
    ...ctx,
    subject,
    paragraphs: text
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter((p) => p && !p.includes(o.confirmUrl)),
  });
  const json = JSON.stringify({
    meta: { type: 'subscription.confirmation', generated_at: new Date(claim.issuedAt * 1000).toISOString() },
    page: { id: plan.page.id, name: plan.page.name, url: plan.page.url },
    subscription: {
      components: claim.components === '*' ? 'all' : claim.components,
      locale: claim.locale,
      expires_at: new Date(claim.expiresAt * 1000).toISOString(),
    },
    confirm_url: o.confirmUrl,
    text,
  });
  return { subject, text, short, html, json };
}

// ---------------------------------------------------------------------------------------------
// Words of the pages the API answers with and of the status page's form, per locale.

const EN_LABELS = {
  formTitle: 'Get updates',
  formIntro: 'Hear about incidents and maintenance by e-mail, text message or webhook. We send a link to confirm first.',
  email: 'E-mail address',
  phone: 'Mobile number (with country code, e.g. +15555550100)',
  webhook: 'Webhook URL',
  channelHint: 'Fill in one of these.',
  components: 'Components',
  componentsHint: 'Leave all unchecked to follow every component.',
  submit: 'Subscribe',
  sentTitle: 'Check your inbox',
  sentText:
    'If this address can receive messages, a link to confirm your subscription is on its way. It expires in {expiresIn}. Nothing changes until you confirm.',
  sentTextSms:
    'If this number can receive text messages, a link to confirm your subscription is on its way. It expires in {expiresIn}. Nothing changes until you confirm.',
  back: 'Back to the status page',
  confirmTitle: 'Confirm your subscription',
  confirmText: 'Send updates from {page} to {address}?',
  confirmAll: 'All components.',
  confirmSome: 'Components: {components}.',
  confirmButton: 'Confirm subscription',
  confirmedTitle: 'You are subscribed',
  confirmedText: 'You will hear from {page} at {address}. Every message carries a link to unsubscribe.',
  unsubscribe: 'Unsubscribe',
  invalidTitle: 'This link does not work',
  invalidText: 'The link is incomplete or was changed. Use the link from the message as it is, or subscribe again.',
  expiredTitle: 'This link has expired',
  expiredText: 'Confirmation links work for {expiresIn}. Subscribe again to get a new one.',
  staleTitle: 'This link is no longer valid',
  staleText: 'You unsubscribed after this link was sent. Subscribe again to get a new one.',
  errorTitle: 'Please check the form',
  /** What is wrong with a field, in the customer's words (never the validator's). */
  invalid: {
    email: 'Enter an e-mail address such as name@example.com.',
    phone: 'Enter your mobile number with its country code, starting with +, for example +15555550100.',
    webhook: 'Enter a web address starting with http:// or https://.',
    components: 'Choose components from the list.',
    other: 'Fill in one of e-mail, mobile number or webhook.',
  },
  busyTitle: 'Too many requests',
  busyText: 'Please try again in {seconds} seconds.',
  unavailableTitle: 'Not available right now',
  unavailableText: 'We could not take your request, and nothing was recorded. Please try again in {seconds} seconds.',
};
export type SubscriptionLabels = typeof EN_LABELS;
const ZH_TW_LABELS: SubscriptionLabels = {
  formTitle: '訂閱通知',
  formIntro: '透過電子郵件、簡訊或 Webhook 接收事件與維護通知。我們會先寄送確認連結。',
  email: '電子郵件地址',
  phone: '手機號碼（含國碼，例如 +886912345678）',
  webhook: 'Webhook 網址',
  channelHint: '請擇一填寫。',
  components: '元件',
  componentsHint: '全部不勾選即追蹤所有元件。',
  submit: '訂閱',
  sentTitle: '請查看您的收件匣',
  sentText: '如果此地址可以接收訊息，確認訂閱的連結已寄出，將於 {expiresIn}後失效。在您確認之前，不會有任何變更。',
  sentTextSms: '如果此號碼可以接收簡訊，確認訂閱的連結已寄出，將於 {expiresIn}後失效。在您確認之前，不會有任何變更。',
  back: '返回狀態頁面',
  confirmTitle: '確認您的訂閱',
  confirmText: '要將 {page} 的通知寄送至 {address} 嗎？',
  confirmAll: '所有元件。',
  confirmSome: '元件：{components}。',
  confirmButton: '確認訂閱',
  confirmedTitle: '訂閱成功',
  confirmedText: '{page} 的通知將寄送至 {address}。每則訊息都附有取消訂閱的連結。',
  unsubscribe: '取消訂閱',
  invalidTitle: '此連結無法使用',
  invalidText: '連結不完整或已被修改。請使用訊息中的原始連結，或重新訂閱。',
  expiredTitle: '此連結已過期',
  expiredText: '確認連結的有效期限為 {expiresIn}。請重新訂閱以取得新連結。',
  staleTitle: '此連結已失效',
  staleText: '您在此連結寄出後已取消訂閱。請重新訂閱以取得新連結。',
  errorTitle: '請檢查表單',
  invalid: {
    email: '請輸入電子郵件地址，例如 name@example.com。',
    phone: '請輸入含國碼的手機號碼，以 + 開頭，例如 +886912345678。',
    webhook: '請輸入以 http:// 或 https:// 開頭的網址。',
    components: '請從清單中選擇元件。',
    other: '請填寫電子郵件、手機號碼或 Webhook 其中一項。',
  },
  busyTitle: '請求過多',
  busyText: '請在 {seconds} 秒後再試一次。',
  unavailableTitle: '目前無法使用',
  unavailableText: '我們暫時無法受理您的請求，也未記錄任何資料。請在 {seconds} 秒後再試一次。',
};
export const SUBSCRIPTION_LABELS: Record<SubscriptionLocale, SubscriptionLabels> = { en: EN_LABELS, 'zh-TW': ZH_TW_LABELS };

export function subscriptionLabels(locale: string): SubscriptionLabels {
  return own(SUBSCRIPTION_LABELS as Record<string, SubscriptionLabels>, locale) ?? SUBSCRIPTION_LABELS.en;
}

/** Where the status page's form posts: POST /v1/subscriptions at the API's public URL. */
export function subscribeUrlOf(config: { api: { subscriptions: { apiPublicUrl: string } } }): string {
  return `${config.api.subscriptions.apiPublicUrl}/v1/subscriptions`;
}

/** What the status page's form needs: where it posts, the locale, the components with their names, the words. */
export function subscribeFormView(plan: Plan, action: string, locale: string) {
  return {
    action,
    locale,
    t: subscriptionLabels(locale),
    components: plan.components.map((c) => ({
      id: c.id,
      name: own(c.name, locale) ?? own(c.name, plan.page.defaultLocale) ?? c.id,
    })),
  };
}
