import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import nunjucks from 'nunjucks';
import { createOutboxProvider } from '../../activities/providers/outbox';
import { RegionHealth, sendThroughRegions } from '../../activities/providers/regions';
import type { OutgoingMessage, Provider } from '../../activities/providers/types';
import type { SubscriptionConfig } from '../../core/config';
import type { Logger } from '../../core/logger';
import { humanDuration } from '../../core/messageContext';
import type { Plan } from '../../core/plan/schema';
import type { Store } from '../../core/store';
import { subscriberIdFor } from '../../core/store/subscribers';
import { unsubscribeLink, unsubscribeToken } from '../../core/store/unsubscribe';
import {
  applyConfirmation,
  checkAgainstPlan,
  claimFromRequest,
  componentNames,
  confirmationLink,
  confirmationToken,
  renderConfirmation,
  SubscriptionRequest,
  subscriptionLabels,
  verifyConfirmationToken,
  webhookTargetProblem,
  type SubscriptionChannel,
  type SubscriptionClaim,
  type SubscriptionLabels,
} from '../../core/subscriptions';
import { fieldErrors, Problem, type FieldError } from '../problem';
import { clientAddress, tokenBucket } from '../rateLimit';

// Public subscriptions (no bearer token): the status page's form and any client post here.
//
//   POST /v1/subscriptions          JSON or a form post → always the same 202 (or, for a form, the same
//                                   "check your inbox" page); the confirmation goes out after the answer
//   GET  /v1/subscriptions/confirm  a page with one button: mail scanners that prefetch links change nothing
//   POST /v1/subscriptions/confirm  applies the request the signed link carries
//
// Nothing is read from or written to the store before the link's POST, so the answer (and its
// timing) cannot tell whether an address is subscribed.

export interface SubscriptionRouteDeps {
  plan: Plan;
  log: Logger;
  config: SubscriptionConfig;
  templatesDir: string;
  /** Confirmation needs the store; without it (or without a secret) the routes answer 404. */
  store?: Store;
  secret?: string;
  /** Providers carrying confirmation messages, as rounds use them; else the local outbox in `outboxDir`. */
  providers?: Partial<Record<SubscriptionChannel, Provider>>;
  outboxDir?: string;
  emailFrom?: string;
  /** Base of one-click unsubscribe links, shown once a subscription is confirmed. */
  unsubscribeUrl?: string;
  /** Origins allowed to call the API from a browser (the status page's). */
  corsOrigins: string[];
  regionCooldownMs?: number;
  onRateLimited?: (limiter: 'subscribe-ip' | 'subscribe-address') => void;
}

type PageView = {
  status: number;
  title: string;
  paragraphs: string[];
  errors?: FieldError[];
  form?: { action: string; token: string; button: string };
  links?: { href: string; text: string }[];
};

export function subscriptionRoutes(deps: SubscriptionRouteDeps): Router {
  const { plan, config, log } = deps;
  const router = Router();
  const perIp = tokenBucket(config.rateLimitIp);
  const perAddress = tokenBucket({ perSecond: config.perAddressPerHour / 3600, burst: config.perAddressPerHour });
  const pages = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(deps.templatesDir, 'pages')), { autoescape: true, throwOnUndefined: false });
  const sender = deps.secret ? createConfirmationSender(deps, deps.secret) : undefined;
  const origins = new Set(deps.corsOrigins);
  const fill = (text: string, vars: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  const expiresIn = (locale: string) => humanDuration(config.confirmTtlMs, locale);
  const statusPageFor = (locale: string) => `${plan.page.url.replace(/\/+$/, '')}/${locale === plan.page.defaultLocale ? '' : `${locale}/`}`;

  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.has(origin)) res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin' });
    next();
  };
  const enabled: RequestHandler = (_req, _res, next) => {
    if (!deps.secret) return next(new Problem(404, 'Not found', 'subscriptions are not served by this API'));
    next();
  };
  const bodies: RequestHandler[] = [
    (req, _res, next) => {
      const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
      if (hasBody && !req.is(['application/json', 'application/*+json', 'application/x-www-form-urlencoded'])) {
        return next(new Problem(415, 'Unsupported media type', 'send the body as application/json or application/x-www-form-urlencoded'));
      }
      next();
    },
    express.json({ limit: '8kb', strict: true, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 300, type: 'application/x-www-form-urlencoded' }),
  ];
  const isForm = (req: Request) => req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
  const wantsHtml = (req: Request) => isForm(req) || req.accepts(['json', 'html']) === 'html';

  const render = (res: Response, locale: string, view: PageView) => {
    res.status(view.status).set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).type('html');
    res.send(pages.render('subscribe.html.njk', { locale, page: { name: plan.page.name }, ...view }));
  };
  /** A problem as a page in the form's language (form posts), else as problem+json. */
  const fail = (req: Request, res: Response, next: NextFunction, locale: string, p: Problem) => {
    if (!wantsHtml(req)) return next(p);
    if (typeof p.extra.retryAfter === 'number') res.set('Retry-After', String(p.extra.retryAfter));
    const t = subscriptionLabels(locale);
    const errors = (p.extra.errors as FieldError[] | undefined) ?? [];
    const title = p.status === 429 ? t.busyTitle : p.status === 400 ? t.errorTitle : p.title;
    const text = p.status === 429 ? [fill(t.busyText, { seconds: Number(p.extra.retryAfter ?? 60) })] : errors.length ? [] : [p.detail ?? p.title];
    render(res, locale, { status: p.status, title, paragraphs: text, errors, links: [{ href: statusPageFor(locale), text: t.back }] });
  };
  const localeOf = (body: unknown): string => {
    const l = (body as { locale?: unknown } | undefined)?.locale;
    return typeof l === 'string' && plan.page.locales.includes(l) ? l : plan.page.defaultLocale;
  };

  router.options('/v1/subscriptions', cors, (req, res) => {
    res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'content-type', 'Access-Control-Max-Age': '600' }).status(204).end();
  });

  router.post('/v1/subscriptions', cors, enabled, ...bodies, async (req, res, next) => {
    const body = req.body ?? {};
    const locale = localeOf(body);
    const parsed = SubscriptionRequest.safeParse(body);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      return fail(req, res, next, locale, new Problem(400, 'Invalid request body', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }));
    }
    const request = parsed.data;
    const errors = checkAgainstPlan(plan, request);
    if (request.webhook) {
      const refused = await webhookTargetProblem(request.webhook, config.allowPrivateWebhooks);
      if (refused) errors.push({ path: 'webhook', message: refused });
    }
    if (errors.length > 0) return fail(req, res, next, locale, new Problem(400, 'Invalid request body', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }));

    const claim = claimFromRequest(request, Date.now(), config.confirmTtlMs, plan.page.defaultLocale);
    const ipWait = perIp.take(`ip:${clientAddress(req)}`);
    const addressWait = ipWait === 0 ? perAddress.take(addressKey(deps.secret!, claim)) : 0;
    if (ipWait > 0 || addressWait > 0) {
      deps.onRateLimited?.(ipWait > 0 ? 'subscribe-ip' : 'subscribe-address');
      const wait = Math.max(ipWait, addressWait);
      return fail(req, res, next, claim.locale, new Problem(429, 'Too many requests', `slow down: retry in ${wait} s`, { retryAfter: wait }));
    }

    // The same answer whatever the store holds, sent before anything else happens.
    const t = subscriptionLabels(claim.locale);
    const detail = fill(claim.channel === 'sms' ? t.sentTextSms : t.sentText, { expiresIn: expiresIn(claim.locale) });
    res.set('cache-control', 'no-store');
    if (wantsHtml(req)) render(res, claim.locale, { status: 202, title: t.sentTitle, paragraphs: [detail], links: [{ href: statusPageFor(claim.locale), text: t.back }] });
    else res.status(202).json({ status: 'confirmation-sent', detail });
    setImmediate(() => sender!.enqueue(claim));
  });

  /** The token of a confirm request: the query's t, or the form's / JSON body's t. */
  const tokenOf = (req: Request): unknown => (req.body as { t?: unknown } | undefined)?.t ?? req.query.t;
  const needsStore: RequestHandler = (_req, _res, next) => {
    if (!deps.store || !deps.secret) return next(new Problem(404, 'Not found', 'subscriptions are not served by this API'));
    next();
  };

  const tokenPage = (locale: string, reason: 'invalid' | 'expired' | 'unsubscribed-later'): PageView => {
    const t = subscriptionLabels(locale);
    const back = [{ href: statusPageFor(locale), text: t.back }];
    if (reason === 'expired') return { status: 410, title: t.expiredTitle, paragraphs: [fill(t.expiredText, { expiresIn: expiresIn(locale) })], links: back };
    if (reason === 'unsubscribed-later') return { status: 409, title: t.staleTitle, paragraphs: [t.staleText], links: back };
    return { status: 400, title: t.invalidTitle, paragraphs: [t.invalidText], links: back };
  };
  const tokenProblem = (view: PageView) => new Problem(view.status, view.title, view.paragraphs[0]);
  const describe = (t: SubscriptionLabels, claim: SubscriptionClaim) =>
    claim.components === '*' ? t.confirmAll : fill(t.confirmSome, { components: componentNames(plan, claim.components, claim.locale).join(claim.locale.startsWith('zh') ? '、' : ', ') });

  router.get('/v1/subscriptions/confirm', needsStore, (req, res) => {
    const check = verifyConfirmationToken(deps.secret!, req.query.t);
    if (!check.ok) return render(res, plan.page.defaultLocale, tokenPage(plan.page.defaultLocale, check.reason));
    const { claim } = check;
    const t = subscriptionLabels(claim.locale);
    render(res, claim.locale, {
      status: 200,
      title: t.confirmTitle,
      paragraphs: [fill(t.confirmText, { page: plan.page.name, address: claim.address }), describe(t, claim)],
      form: { action: '/v1/subscriptions/confirm', token: String(req.query.t), button: t.confirmButton },
    });
  });

  router.post('/v1/subscriptions/confirm', needsStore, ...bodies, async (req, res, next) => {
    const check = verifyConfirmationToken(deps.secret!, tokenOf(req));
    const html = wantsHtml(req);
    if (!check.ok) {
      const view = tokenPage(plan.page.defaultLocale, check.reason);
      return html ? render(res, plan.page.defaultLocale, view) : next(tokenProblem(view));
    }
    const { claim } = check;
    const outcome = await applyConfirmation(deps.store!, claim);
    if (!outcome.ok) {
      const view = tokenPage(claim.locale, outcome.reason);
      return html ? render(res, claim.locale, view) : next(tokenProblem(view));
    }
    log.info({ subscriberIds: outcome.subscriberIds, channel: claim.channel, created: outcome.created }, 'subscription confirmed');
    const t = subscriptionLabels(claim.locale);
    const unsubscribe = deps.unsubscribeUrl ? unsubscribeLink(deps.unsubscribeUrl, unsubscribeToken(deps.secret!, outcome.subscriberIds[0]!, claim.channel)) : undefined;
    res.set('cache-control', 'no-store');
    if (!html) {
      res.json({ subscribed: true, channel: claim.channel, components: claim.components === '*' ? 'all' : claim.components, locale: claim.locale, ...(unsubscribe ? { unsubscribeUrl: unsubscribe } : {}) });
      return;
    }
    render(res, claim.locale, {
      status: 200,
      title: t.confirmedTitle,
      paragraphs: [fill(t.confirmedText, { page: plan.page.name, address: claim.address }), describe(t, claim)],
      links: [{ href: statusPageFor(claim.locale), text: t.back }, ...(unsubscribe ? [{ href: unsubscribe, text: t.unsubscribe }] : [])],
    });
  });

  return router;
}

/** The per-address bucket's key: an HMAC, so the limiter's memory holds no addresses. */
function addressKey(secret: string, claim: SubscriptionClaim): string {
  return `addr:${createHmac('sha256', secret).update(`limit:${claim.channel}:${claim.address}`).digest('base64url').slice(0, 22)}`;
}

// ---------------------------------------------------------------------------------------------
// Sending confirmations, after the answer: the configured provider of the channel with its region
// failover (as rounds send), a few retries, a few in flight. Held in this process only: a restart
// drops what is queued, and the person asks again.

const MAX_QUEUE = 1000;
const MAX_IN_FLIGHT = 4;
const ATTEMPTS = 3;

export interface ConfirmationSender {
  enqueue(claim: SubscriptionClaim): void;
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
}

export function createConfirmationSender(deps: SubscriptionRouteDeps, secret: string): ConfirmationSender {
  const { plan, config, log } = deps;
  const health = new RegionHealth(deps.regionCooldownMs ?? 30_000);
  const outbox = deps.outboxDir ? createOutboxProvider(deps.outboxDir, deps.emailFrom ?? 'Status <status@example.com>') : undefined;
  const providerFor = (channel: SubscriptionChannel): Provider | undefined => deps.providers?.[channel] ?? outbox;
  const queue: SubscriptionClaim[] = [];
  let inFlight = 0;
  const waiters: (() => void)[] = [];

  const settle = () => {
    if (queue.length === 0 && inFlight === 0) {
      for (const w of waiters.splice(0)) w();
    }
  };

  async function sendOne(claim: SubscriptionClaim): Promise<void> {
    const fields = { [claim.channel === 'sms' ? 'phone' : claim.channel]: claim.address } as { email?: string; phone?: string; webhook?: string };
    const recipientId = subscriberIdFor(fields);
    const provider = providerFor(claim.channel);
    if (!provider) return void log.warn({ recipientId, channel: claim.channel }, 'no provider for subscription confirmations; nothing sent');
    if (deps.store) {
      const suppressed = await deps.store.suppressionsFor([{ channel: claim.channel, address: claim.address }]);
      if (suppressed.size > 0) return void log.info({ recipientId, channel: claim.channel }, 'subscription confirmation not sent: address suppressed');
    }
    if (claim.channel === 'webhook') {
      // Checked again as late as possible: the name may resolve elsewhere now.
      const refused = await webhookTargetProblem(claim.address, config.allowPrivateWebhooks);
      if (refused) return void log.info({ recipientId }, `subscription confirmation not sent: webhook ${refused}`);
    }
    const token = confirmationToken(secret, claim);
    const confirmUrl = confirmationLink(config.apiPublicUrl, token);
    const content = renderConfirmation({ plan, templatesDir: deps.templatesDir, claim, confirmUrl });
    const roundId = `subscribe-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const message: OutgoingMessage = {
      roundId,
      recipientId,
      channel: claim.channel,
      address: claim.address,
      locale: claim.locale,
      idempotencyKey: `${roundId}:${recipientId}:${claim.channel}`,
      title: content.subject,
      statusUrl: plan.page.url,
      ...(claim.channel === 'email' ? { email: { subject: content.subject, text: content.text, html: content.html } } : {}),
      ...(claim.channel === 'sms' ? { text: content.short } : {}),
      ...(claim.channel === 'webhook' ? { text: content.text, json: content.json } : {}),
    };
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let wait = 1000 * attempt;
      try {
        const { outcomes, region } = await sendThroughRegions(provider, health, attempt, [message]);
        const outcome = outcomes[0]!;
        if (outcome.kind === 'sent') return void log.info({ recipientId, channel: claim.channel, provider: provider.name, region }, 'subscription confirmation sent');
        if (outcome.kind !== 'retry') return void log.info({ recipientId, channel: claim.channel, provider: provider.name, outcome: outcome.kind, error: outcome.error }, 'subscription confirmation not delivered');
        wait = outcome.retryAfterMs ?? wait;
      } catch (err) {
        const e = err as Error & { retryAfterMs?: number };
        log.warn({ recipientId, channel: claim.channel, provider: provider.name, attempt, err: e.message }, 'subscription confirmation failed');
        wait = e.retryAfterMs ?? wait;
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, Math.min(wait, 30_000)));
    }
    log.warn({ recipientId, channel: claim.channel }, 'subscription confirmation given up');
  }

  const pump = () => {
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      const claim = queue.shift()!;
      inFlight++;
      void sendOne(claim)
        .catch((err: unknown) => log.error({ err }, 'subscription confirmation crashed'))
        .finally(() => {
          inFlight--;
          pump();
          settle();
        });
    }
  };

  return {
    enqueue(claim) {
      if (queue.length >= MAX_QUEUE) return void log.warn({ channel: claim.channel }, 'subscription confirmations queue full; request dropped');
      queue.push(claim);
      pump();
    },
    idle() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((r) => waiters.push(r));
    },
  };
}
