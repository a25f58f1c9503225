import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ApiConfig } from '../../../core/config';
import { clientAddress, rateLimit, tokenBucket } from '../../rateLimit';
import { invalidBody, Problem } from '../../problem';
import { AlertmanagerPayload, alertGroupDelivery, GrafanaPayload } from './alertmanager';
import { alarmLabels, CloudWatchAlarm } from './cloudwatch';
import { alertInfo, deliverAlert, type WebhookDeps } from './deliver';
import { createSnsVerifier, isSnsUrl, SnsVerificationError, type FetchText, type SnsEnvelope } from './snsSignature';

// Monitoring webhooks. Each reads its raw body (signatures are over the exact bytes), authenticates,
// validates, and hands one delivery to deliverAlert. Answers follow the senders' retry rules: 2xx
// when done or when there is nothing to do, 4xx when a retry cannot help (bad payload, bad
// credentials, unroutable), 503 when it can (Temporal unreachable, throttled) — Alertmanager
// retries only 5xx, so throttling answers 503, not 429.

export interface WebhookRouteDeps extends WebhookDeps {
  api: Pick<
    ApiConfig,
    'snsTopics' | 'grafanaSecret' | 'grafanaTimestampHeader' | 'genericWebhookSecret' | 'rateLimitIp' | 'webhookRateLimit'
  >;
  /** GETs an SNS URL (signing certificate, SubscribeURL); injectable for tests. */
  snsFetch?: FetchText;
  /** Validates bearer webhook tokens (bearerAuth(…, 'webhook')). */
  webhookAuth: RequestHandler;
}

const TOLERANCE_S = 300;

export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: '256kb' });
  const perIp = rateLimit(
    tokenBucket(deps.api.rateLimitIp),
    (req) => clientAddress(req),
    503,
    () => deps.metrics.rateLimited.inc({ limiter: 'webhook-ip' }),
  );
  const perToken = rateLimit(
    tokenBucket(deps.api.webhookRateLimit),
    (req, res) => String(res.locals.actor ?? clientAddress(req)),
    503,
    () => deps.metrics.rateLimited.inc({ limiter: 'webhook-token' }),
  );
  const sns = createSnsVerifier(deps.snsFetch);
  const snsFetch =
    deps.snsFetch ??
    (async (url: string) => {
      const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      return res.text();
    });
  const refuse = (source: string, result: string, p: Problem) => {
    deps.metrics.webhooks.inc({ source, result });
    return p;
  };

  // --- Prometheus Alertmanager ----------------------------------------------------------------
  router.post(
    '/v1/webhooks/alertmanager',
    perIp,
    counted('alertmanager', deps, deps.webhookAuth),
    perToken,
    raw,
    async (req, res) => {
      const payload = parseJson(req, AlertmanagerPayload, () =>
        deps.metrics.webhooks.inc({ source: 'alertmanager', result: 'invalid' }),
      );
      const out = await deliverAlert(deps, alertGroupDelivery('alertmanager', payload.groupKey, payload, req.body as Buffer));
      res.status(out.status).json(out.body);
    },
  );

  // --- Grafana alerting -----------------------------------------------------------------------
  const grafanaAuth: RequestHandler = deps.api.grafanaSecret
    ? (req, _res, next) => {
        const body = req.body as Buffer;
        const given = String(req.get('x-grafana-alerting-signature') ?? '')
          .trim()
          .toLowerCase();
        let signed: Buffer = body;
        const tsHeader = deps.api.grafanaTimestampHeader;
        if (tsHeader) {
          const ts = String(req.get(tsHeader) ?? '');
          if (!/^\d{1,13}$/.test(ts))
            return next(refuse('grafana', 'unauthorized', new Problem(401, 'Unauthorized', `send the ${tsHeader} header`)));
          const seconds = ts.length > 10 ? Number(ts) / 1000 : Number(ts);
          if (Math.abs(Date.now() / 1000 - seconds) > TOLERANCE_S)
            return next(
              refuse(
                'grafana',
                'unauthorized',
                new Problem(401, 'Unauthorized', 'the signature timestamp is outside the 5-minute tolerance'),
              ),
            );
          signed = Buffer.concat([Buffer.from(`${ts}:`), body]);
        }
        const expected = createHmac('sha256', deps.api.grafanaSecret!).update(signed).digest('hex');
        if (!safeEqualHex(given, expected))
          return next(
            refuse(
              'grafana',
              'unauthorized',
              new Problem(401, 'Unauthorized', 'the X-Grafana-Alerting-Signature header does not match the body'),
            ),
          );
        res_locals(_res, 'grafana');
        next();
      }
    : counted('grafana', deps, deps.webhookAuth);
  const grafanaHandler: RequestHandler = async (req, res) => {
    const payload = parseJson(req, GrafanaPayload, () => deps.metrics.webhooks.inc({ source: 'grafana', result: 'invalid' }));
    const out = await deliverAlert(
      deps,
      alertGroupDelivery('grafana', `${payload.orgId ?? 0}/${payload.groupKey}`, payload, req.body as Buffer),
    );
    res.status(out.status).json(out.body);
  };
  // Grafana may be configured to POST or PUT. The HMAC needs the raw body, so it is read first.
  router.post('/v1/webhooks/grafana', perIp, raw, grafanaAuth, perToken, grafanaHandler);
  router.put('/v1/webhooks/grafana', perIp, raw, grafanaAuth, perToken, grafanaHandler);

  // --- Generic signed JSON --------------------------------------------------------------------
  router.post('/v1/webhooks/generic', perIp, raw, async (req, res) => {
    const secret = deps.api.genericWebhookSecret;
    if (!secret)
      throw refuse(
        'generic',
        'disabled',
        new Problem(404, 'Not found', 'the generic webhook is off: set HERALD_GENERIC_WEBHOOK_SECRET to enable it'),
      );
    const signedAt = verifyGenericSignature(secret, String(req.get('x-herald-signature') ?? ''), req.body as Buffer, (p) =>
      refuse('generic', 'unauthorized', p),
    );
    const payload = parseJson(req, GenericAlert, () => deps.metrics.webhooks.inc({ source: 'generic', result: 'invalid' }));
    const alert = alertInfo(
      'generic',
      { ...(payload.name ? { alertname: payload.name } : {}), ...payload.labels },
      { summary: payload.summary, fingerprint: payload.key.slice(0, 100) },
    );
    const out = await deliverAlert(deps, {
      source: 'generic',
      key: payload.key,
      // A resend of the same signed request is the same delivery however its header is written.
      deliveryId:
        payload.deliveryId ??
        `t${signedAt}:${createHash('sha256')
          .update(req.body as Buffer)
          .digest('base64url')}`,
      state: payload.status,
      alerts: [alert],
    });
    res.status(out.status).json(out.body);
  });

  // --- Amazon SNS (CloudWatch alarms) ---------------------------------------------------------
  router.post('/v1/webhooks/sns', perIp, raw, async (req, res) => {
    const m = parseJson(req, SnsEnvelopeSchema, () =>
      deps.metrics.webhooks.inc({ source: 'sns', result: 'invalid' }),
    ) as SnsEnvelope;
    const headerType = req.get('x-amz-sns-message-type');
    if (headerType !== undefined && headerType !== m.Type)
      throw refuse('sns', 'invalid', new Problem(400, 'Bad request', 'x-amz-sns-message-type does not match the message Type'));
    // Unknown topics are refused before any certificate is fetched.
    if (!deps.api.snsTopics.includes(m.TopicArn))
      throw refuse('sns', 'unknown-topic', new Problem(403, 'Forbidden', 'this SNS topic is not allowed (HERALD_SNS_TOPICS)'));
    try {
      await sns.verify(m);
    } catch (err) {
      if (err instanceof SnsVerificationError)
        throw refuse('sns', 'bad-signature', new Problem(403, 'Forbidden', `SNS signature refused: ${err.message}`));
      throw err;
    }
    if (m.Type === 'SubscriptionConfirmation') {
      if (!isSnsUrl(m.SubscribeURL))
        throw refuse('sns', 'invalid', new Problem(400, 'Bad request', 'SubscribeURL is not an https URL on an SNS host'));
      try {
        await snsFetch(m.SubscribeURL!);
      } catch (err) {
        // SNS re-sends the confirmation; answering 5xx lets it (and the operator's retry) try again.
        deps.metrics.webhooks.inc({ source: 'sns', result: 'confirm-failed' });
        throw new Problem(502, 'Confirmation failed', `GET SubscribeURL failed: ${(err as Error).message.slice(0, 200)}`, {
          retryAfter: 30,
        });
      }
      deps.metrics.webhooks.inc({ source: 'sns', result: 'subscribed' });
      deps.log.info({ source: 'sns', topic: m.TopicArn }, 'SNS subscription confirmed');
      res.status(200).json({ result: 'subscribed', topic: m.TopicArn });
      return;
    }
    if (m.Type === 'UnsubscribeConfirmation') {
      deps.metrics.webhooks.inc({ source: 'sns', result: 'unsubscribed' });
      deps.log.warn({ source: 'sns', topic: m.TopicArn }, 'SNS says this endpoint was unsubscribed; ignored');
      res.status(200).json({ result: 'ignored', detail: 'unsubscribe confirmation noted' });
      return;
    }
    let alarm: CloudWatchAlarm;
    try {
      const parsed = CloudWatchAlarm.safeParse(JSON.parse(m.Message));
      if (!parsed.success) throw invalidBody(parsed.error);
      alarm = parsed.data;
    } catch (err) {
      deps.metrics.webhooks.inc({ source: 'sns', result: 'invalid' });
      if (err instanceof Problem) throw new Problem(422, 'Not a CloudWatch alarm', `Message: ${err.detail}`, err.extra);
      throw new Problem(422, 'Not a CloudWatch alarm', 'Message is not JSON');
    }
    if (alarm.NewStateValue === 'INSUFFICIENT_DATA') {
      deps.metrics.webhooks.inc({ source: 'cloudwatch', result: 'ignored' });
      res.status(200).json({ result: 'ignored', incidentId: null, detail: 'INSUFFICIENT_DATA says nothing about customers' });
      return;
    }
    const out = await deliverAlert(deps, {
      source: 'cloudwatch',
      key: alarm.AlarmArn,
      deliveryId: m.MessageId,
      state: alarm.NewStateValue === 'ALARM' ? 'firing' : 'resolved',
      alerts: [
        alertInfo('cloudwatch', alarmLabels(alarm), {
          summary: alarm.NewStateReason,
          fingerprint: alarm.AlarmArn.slice(-100),
          startsAt: alarm.StateChangeTime,
        }),
      ],
      technicalDetail: `CloudWatch alarm ${alarm.AlarmArn}`,
    });
    res.status(out.status).json(out.body);
  });

  return router;
}

const SnsEnvelopeSchema = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(100),
  TopicArn: z.string().min(1).max(1024),
  Subject: z.string().max(100).nullish(),
  Message: z.string().max(262_144),
  Timestamp: z.string().max(64),
  SignatureVersion: z.string().max(4),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().max(2048),
  SubscribeURL: z.string().max(4096).optional(),
  Token: z.string().max(4096).optional(),
  UnsubscribeURL: z.string().max(4096).optional(),
});

/** The generic webhook's body: Herald's own format, so unknown fields are refused. */
export const GenericAlert = z.strictObject({
  /** The alert's identity: the same key always reaches the same incident. */
  key: z.string().min(1).max(500),
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string().max(100), z.string().max(500)).refine((l) => Object.keys(l).length <= 40, 'at most 40 labels'),
  name: z.string().max(200).optional(),
  summary: z.string().max(1000).optional(),
  /** The sender's id of this delivery (its retries repeat it); the signature is used otherwise. */
  deliveryId: z.string().min(1).max(200).optional(),
});
export type GenericAlert = z.infer<typeof GenericAlert>;

/** `X-Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]`. */
export function signGeneric(secret: string, body: string | Buffer, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
}

/** Returns the verified timestamp (unix seconds). */
function verifyGenericSignature(secret: string, header: string, body: Buffer, refuse: (p: Problem) => Problem): number {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const sigs = parts.filter(([k]) => k === 'v1').map(([, v]) => (v ?? '').toLowerCase());
  if (!t || !/^\d{1,12}$/.test(t) || sigs.length === 0)
    throw refuse(
      new Problem(401, 'Unauthorized', 'send X-Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">'),
    );
  if (Math.abs(Date.now() / 1000 - Number(t)) > TOLERANCE_S)
    throw refuse(new Problem(401, 'Unauthorized', 'the signature timestamp is outside the 5-minute tolerance'));
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  if (!sigs.some((s) => safeEqualHex(s, expected)))
    throw refuse(new Problem(401, 'Unauthorized', 'the signature does not match the body'));
  return Number(t);
}

function safeEqualHex(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function res_locals(res: { locals: Record<string, unknown> }, actor: string) {
  res.locals.actor = actor;
}

/** Parses the raw body as JSON and validates it; failures are 400 problems with field errors. */
function parseJson<S extends z.ZodType>(req: Request, schema: S, onInvalid: () => void): z.infer<S> {
  const body = req.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    onInvalid();
    throw new Problem(400, 'Empty body', 'send the JSON payload as the request body');
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    onInvalid();
    throw new Problem(400, 'Malformed JSON', 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    onInvalid();
    throw invalidBody(parsed.error);
  }
  return parsed.data;
}

/** Wraps an auth middleware so refusals are counted per source. */
function counted(source: string, deps: WebhookDeps, auth: RequestHandler): RequestHandler {
  return (req, res, next) =>
    auth(req, res, (err?: unknown) => {
      if (err) deps.metrics.webhooks.inc({ source, result: 'unauthorized' });
      next(err);
    });
}
