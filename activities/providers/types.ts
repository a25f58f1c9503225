import type { Channel } from '../../core/plan/schema';

// What every provider speaks: messages in, one outcome per message out. A provider throws
// RegionUnavailable when the region itself failed (5xx, unreachable, suspended: try another region)
// and Throttled when the region asks us to slow down (honour its back-off).

/** Stands for the recipient's unsubscribe token in a round's shared words (rendered once per locale and channel). */
export const UNSUBSCRIBE_PLACEHOLDER = 'HERALDUNSUBSCRIBETOKEN';

export interface EmailContent {
  subject: string;
  /** Text and HTML parts, shared by every recipient of the round: UNSUBSCRIBE_PLACEHOLDER stands where
   *  `unsubscribeToken` goes (emailText / emailHtml put it in; SES bulk sends it as template data). */
  text: string;
  html: string;
  /** The recipient's unsubscribe token. */
  unsubscribeToken?: string;
  /** The recipient's signed one-click unsubscribe URL (List-Unsubscribe, RFC 8058). */
  unsubscribeUrl?: string;
}

const withToken = (s: string, token: string | undefined) =>
  token && s.includes(UNSUBSCRIBE_PLACEHOLDER) ? s.split(UNSUBSCRIBE_PLACEHOLDER).join(token) : s;
/** The recipient's own HTML part. */
export const emailHtml = (e: EmailContent) => withToken(e.html, e.unsubscribeToken);
/** The recipient's own text part. */
export const emailText = (e: EmailContent) => withToken(e.text, e.unsubscribeToken);

export interface OutgoingMessage {
  roundId: string;
  recipientId: string;
  channel: Channel;
  address: string;
  locale: string;
  /** `${roundId}:${recipientId}:${channel}`: what a receiver can de-duplicate on. */
  idempotencyKey: string;
  email?: EmailContent;
  /** SMS, voice and push body (already within the plan's length limits). */
  text?: string;
  /** Push title and chat heading. */
  title?: string;
  statusUrl?: string;
  /** Webhook: the JSON document to POST, serialized. */
  json?: string;
}

export type SendOutcome =
  | { kind: 'sent'; messageId?: string }
  /** Permanent: recorded, never retried (bad address, rejected content, gone endpoint). */
  | { kind: 'failed'; error: string; bounce?: boolean }
  /** The destination opted out at the provider: recorded and added to the suppressions. */
  | { kind: 'opted_out'; error: string }
  /** Not delivered this time; retried later (TEMPORARY_FAILURE, THROTTLED per address, 5xx from a customer endpoint).
   *  `ambiguous`: the request may have been delivered (timed out after sending): a resend is a possible duplicate. */
  | { kind: 'retry'; error: string; retryAfterMs?: number; ambiguous?: boolean };

export class RegionUnavailable extends Error {
  override name = 'RegionUnavailable';
  /** The request may have reached the provider (it timed out or the connection broke after sending). */
  readonly ambiguous: boolean;
  constructor(message: string, o: { ambiguous?: boolean } = {}) {
    super(message);
    this.ambiguous = o.ambiguous ?? false;
  }
}

export class Throttled extends Error {
  override name = 'Throttled';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export interface Provider {
  /** e.g. ses, smtp, pinpoint, sms-v2, slack, teams, webhook, outbox */
  name: string;
  /** Ordered: the first is the primary. Providers that post to each recipient's own URL have one, "direct". */
  regions: string[];
  /** Most messages in one request (Pinpoint: 100); messages in one request share channel and locale. */
  maxPerRequest: number;
  send(region: string, messages: OutgoingMessage[]): Promise<SendOutcome[]>;
  close?(): Promise<void>;
}

/** Seconds or an HTTP date in Retry-After → milliseconds (bounded to 15 minutes). */
export function retryAfterMs(header: string | null | undefined, fallbackMs: number): number {
  if (!header) return fallbackMs;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 15 * 60_000) : fallbackMs;
}
