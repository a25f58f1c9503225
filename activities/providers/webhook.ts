import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeliveryConfig } from '../../core/config';
import { postJson } from './http';
import type { OutgoingMessage, Provider } from './types';

// The generic JSON webhook, shaped like Atlassian Statuspage's subscriber webhook (meta, page,
// incident with incident_updates and components), signed with HMAC-SHA256 over "<timestamp>.<body>":
//   X-Herald-Timestamp: <unix seconds>
//   X-Herald-Signature: v1=<hex>
// Receivers check the signature with verifyWebhookSignature and refuse timestamps older than five minutes.

export const SIGNATURE_HEADER = 'x-herald-signature';
export const TIMESTAMP_HEADER = 'x-herald-timestamp';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** True when the signature matches and the timestamp is within `toleranceS` of now. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp?: string | null; signature?: string | null },
  body: string,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowS - ts) > toleranceS || !headers.signature) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  return headers.signature
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((got) => got.length === want.length && timingSafeEqual(got, want));
}

export function createWebhookProvider(config: DeliveryConfig, secret: string): Provider {
  return {
    name: 'webhook',
    regions: ['direct'],
    maxPerRequest: 1,
    async send(_region, messages) {
      return Promise.all(
        messages.map((m: OutgoingMessage) => {
          const body = m.json ?? '{}';
          const ts = Math.floor(Date.now() / 1000);
          return postJson(
            m.address,
            body,
            {
              [TIMESTAMP_HEADER]: String(ts),
              [SIGNATURE_HEADER]: signWebhook(secret, ts, body),
              'idempotency-key': m.idempotencyKey,
            },
            config.httpTimeoutMs,
            'webhook',
          );
        }),
      );
    },
  };
}
