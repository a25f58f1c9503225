import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import nunjucks from 'nunjucks';
import type { SubscriptionConfig } from '../../core/config';
import type { Logger } from '../../core/logger';
import { humanDuration } from '../../core/messageContext';
import type { Plan } from '../../core/plan/schema';
import { HeraldKind } from '../../core/searchAttributes';
import type { Store } from '../../core/store';
import { unsubscribeLink, unsubscribeToken } from '../../core/store/unsubscribe';
import {
  applyConfirmation,
  checkAgainstPlan,
  claimFromRequest,
  componentNames,
  sealClaim,
  SubscriptionRequest,
  subscriptionLabels,
  verifyConfirmationToken,
  webhookTargetProblem,
  type SubscriptionClaim,
  type SubscriptionLabels,
} from '../../core/subscriptions';
import {
  SUBSCRIPTION_CONFIRMATION_WORKFLOW,
  subscriptionConfirmationWorkflowId,
  type SubscriptionConfirmationWorkflow,
} from '../../workflows/contracts/subscriptionConfirmation';
import { fieldErrors, Problem, temporalUnavailable, type FieldError } from '../problem';
import { withCallDeadline } from '../deadline';
import { clientAddress, tokenBucket } from '../rateLimit';

// Public subscriptions (no bearer token): the status page's form and any client post here.
//
//   POST /v1/subscriptions          JSON or a form post → always the same 202 (or, for a form, the same
//                                   "check your inbox" page) once the confirmation's workflow is started;
//                                   503 with Retry-After when Temporal cannot take it (nothing accepted)
//   GET  /v1/subscriptions/confirm  a page with one button: mail scanners that prefetch links change nothing
//   POST /v1/subscriptions/confirm  applies the request the signed link carries
//
// Nothing is read from or written to the store before the link's POST, and starting the workflow
// is the same call for every address, so the answer (and its timing) cannot tell whether an
// address is subscribed. The workflow (workflows/subscriptionConfirmation.ts) sends the message.

export interface SubscriptionRouteDeps {
  plan: Plan;
  log: Logger;
  config: SubscriptionConfig;
  templatesDir: string;
  /** Confirmation needs the store; without it (or without a secret) the routes answer 404. */
  store?: Store;
  secret?: string;
  /** Starts the confirmation's workflow on the worker's task queue, each call under the deadline. */
  client: Client;
  taskQueue: string;
  temporalTimeoutMs: number;
  /** Base of one-click unsubscribe links, shown once a subscription is confirmed. */
  unsubscribeUrl?: string;
  /** Origins allowed to call the API from a browser (the status page's). */
  corsOrigins: string[];
  /** How long the same request sends nothing more once its confirmation is out (a double click). */
  duplicateWindowMs?: number;
  onRateLimited?: (limiter: 'subscribe-ip' | 'subscribe-address') => void;
}

/** The same request within this window (a double click, a second tab) sends no second message. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
const UNAVAILABLE_RETRY_S = 10;

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
  const pages = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(deps.templatesDir, 'pages')), {
    autoescape: true,
    throwOnUndefined: false,
  });
  const origins = new Set(deps.corsOrigins);
  const fill = (text: string, vars: Record<string, string | number>) =>
    text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  const expiresIn = (locale: string) => humanDuration(config.confirmTtlMs, locale);
  const statusPageFor = (locale: string) =>
    `${plan.page.url.replace(/\/+$/, '')}/${locale === plan.page.defaultLocale ? '' : `${locale}/`}`;

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
        return next(
          new Problem(415, 'Unsupported media type', 'send the body as application/json or application/x-www-form-urlencoded'),
        );
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
    // Customers read the field's name and what to do in their language, never the validator's words.
    const fields = { email: t.email, phone: t.phone, webhook: t.webhook, components: t.components } as Record<string, string>;
    const errors = ((p.extra.errors as FieldError[] | undefined) ?? []).map((e) => {
      const field = e.path.split('.')[0] ?? '';
      return Object.hasOwn(fields, field)
        ? { path: fields[field]!, message: t.invalid[field as keyof typeof t.invalid] }
        : { path: t.errorTitle, message: t.invalid.other };
    });
    const seconds = Number(p.extra.retryAfter ?? 60);
    const title =
      p.status === 429 ? t.busyTitle : p.status === 503 ? t.unavailableTitle : p.status === 400 ? t.errorTitle : p.title;
    const text =
      p.status === 429
        ? [fill(t.busyText, { seconds })]
        : p.status === 503
          ? [fill(t.unavailableText, { seconds })]
          : errors.length
            ? []
            : [p.detail ?? p.title];
    render(res, locale, {
      status: p.status,
      title,
      paragraphs: text,
      errors,
      links: [{ href: statusPageFor(locale), text: t.back }],
    });
  };
  const localeOf = (body: unknown): string => {
    const l = (body as { locale?: unknown } | undefined)?.locale;
    return typeof l === 'string' && plan.page.locales.includes(l) ? l : plan.page.defaultLocale;
  };

  router.options('/v1/subscriptions', cors, (req, res) => {
    res
      .set({
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'content-type',
        'Access-Control-Max-Age': '600',
      })
      .status(204)
      .end();
  });

  router.post('/v1/subscriptions', cors, enabled, ...bodies, async (req, res, next) => {
    const body = req.body ?? {};
    const locale = localeOf(body);
    const parsed = SubscriptionRequest.safeParse(body);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      return fail(
        req,
        res,
        next,
        locale,
        new Problem(400, 'Invalid request body', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }),
      );
    }
    const request = parsed.data;
    const errors = checkAgainstPlan(plan, request);
    if (request.webhook) {
      const refused = await webhookTargetProblem(request.webhook, config.allowPrivateWebhooks);
      if (refused) errors.push({ path: 'webhook', message: refused });
    }
    if (errors.length > 0)
      return fail(
        req,
        res,
        next,
        locale,
        new Problem(400, 'Invalid request body', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }),
      );

    const claim = claimFromRequest(request, Date.now(), config.confirmTtlMs, plan.page.defaultLocale);
    const ipKey = `ip:${clientAddress(req)}`;
    const addressLimitKey = addressKey(deps.secret!, claim);
    const ipWait = perIp.take(ipKey);
    const addressWait = ipWait === 0 ? perAddress.take(addressLimitKey) : 0;
    if (ipWait > 0 || addressWait > 0) {
      deps.onRateLimited?.(ipWait > 0 ? 'subscribe-ip' : 'subscribe-address');
      const wait = Math.max(ipWait, addressWait);
      return fail(
        req,
        res,
        next,
        claim.locale,
        new Problem(429, 'Too many requests', `slow down: retry in ${wait} s`, { retryAfter: wait }),
      );
    }

    // Accepted once Temporal holds it: the same call for every address, before the same answer.
    try {
      await withCallDeadline(deps.client.connection, deps.temporalTimeoutMs, () =>
        deps.client.workflow.start<SubscriptionConfirmationWorkflow>(SUBSCRIPTION_CONFIRMATION_WORKFLOW, {
          workflowId: confirmationWorkflowId(deps.secret!, claim),
          taskQueue: deps.taskQueue,
          args: [
            {
              sealed: sealClaim(deps.secret!, claim),
              expiresAt: claim.expiresAt,
              apiPublicUrl: config.apiPublicUrl,
              holdMs: deps.duplicateWindowMs ?? DUPLICATE_WINDOW_MS,
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          typedSearchAttributes: [{ key: HeraldKind, value: 'subscription' }],
        }),
      );
    } catch (err) {
      if (!temporalUnavailable(err)) return next(err);
      log.warn({ err: (err as Error).message }, 'subscription request not accepted: Temporal unavailable');
      // Nothing was sent: a request refused for our outage does not count against the address or the client.
      perIp.refund(ipKey);
      perAddress.refund(addressLimitKey);
      return fail(
        req,
        res,
        next,
        claim.locale,
        new Problem(
          503,
          'Service unavailable',
          'subscriptions cannot be taken right now and nothing was recorded; retry shortly',
          { retryAfter: UNAVAILABLE_RETRY_S },
        ),
      );
    }
    const t = subscriptionLabels(claim.locale);
    const detail = fill(claim.channel === 'sms' ? t.sentTextSms : t.sentText, { expiresIn: expiresIn(claim.locale) });
    res.set('cache-control', 'no-store');
    if (wantsHtml(req))
      render(res, claim.locale, {
        status: 202,
        title: t.sentTitle,
        paragraphs: [detail],
        links: [{ href: statusPageFor(claim.locale), text: t.back }],
      });
    else res.status(202).json({ status: 'confirmation-sent', detail });
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
    if (reason === 'expired')
      return {
        status: 410,
        title: t.expiredTitle,
        paragraphs: [fill(t.expiredText, { expiresIn: expiresIn(locale) })],
        links: back,
      };
    if (reason === 'unsubscribed-later') return { status: 409, title: t.staleTitle, paragraphs: [t.staleText], links: back };
    return { status: 400, title: t.invalidTitle, paragraphs: [t.invalidText], links: back };
  };
  const tokenProblem = (view: PageView) => new Problem(view.status, view.title, view.paragraphs[0]);
  const describe = (t: SubscriptionLabels, claim: SubscriptionClaim) =>
    claim.components === '*'
      ? t.confirmAll
      : fill(t.confirmSome, {
          components: componentNames(plan, claim.components, claim.locale).join(claim.locale.startsWith('zh') ? '、' : ', '),
        });

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
    log.info(
      { subscriberIds: outcome.subscriberIds, channel: claim.channel, created: outcome.created, applied: outcome.applied },
      'subscription confirmed',
    );
    const t = subscriptionLabels(claim.locale);
    const unsubscribe = deps.unsubscribeUrl
      ? unsubscribeLink(deps.unsubscribeUrl, unsubscribeToken(deps.secret!, outcome.subscriberIds[0]!, claim.channel))
      : undefined;
    res.set('cache-control', 'no-store');
    if (!html) {
      res.json({
        subscribed: true,
        channel: claim.channel,
        components: claim.components === '*' ? 'all' : claim.components,
        locale: claim.locale,
        ...(unsubscribe ? { unsubscribeUrl: unsubscribe } : {}),
      });
      return;
    }
    render(res, claim.locale, {
      status: 200,
      title: t.confirmedTitle,
      paragraphs: [fill(t.confirmedText, { page: plan.page.name, address: claim.address }), describe(t, claim)],
      links: [
        { href: statusPageFor(claim.locale), text: t.back },
        ...(unsubscribe ? [{ href: unsubscribe, text: t.unsubscribe }] : []),
      ],
    });
  });

  return router;
}

/** The per-address bucket's key: an HMAC, so the limiter's memory holds no addresses. */
function addressKey(secret: string, claim: SubscriptionClaim): string {
  return `addr:${createHmac('sha256', secret).update(`limit:${claim.channel}:${claim.address}`).digest('base64url').slice(0, 22)}`;
}

/** A request's workflow id: an HMAC of all it asks (no address in Temporal's visibility). */
export function confirmationWorkflowId(secret: string, claim: SubscriptionClaim): string {
  const request = [claim.channel, claim.address, claim.components === '*' ? '*' : claim.components.join(','), claim.locale].join(
    '\n',
  );
  return subscriptionConfirmationWorkflowId(
    createHmac('sha256', secret).update(`confirm:${request}`).digest('base64url').slice(0, 27),
  );
}
