import { ApplicationFailure } from '@temporalio/activity';
import type { DeliveryConfig } from '../core/config';
import type { NotifyRequest } from '../core/notify';
import type { Channel, Plan } from '../core/plan/schema';
import {
  FINAL_STATES,
  normaliseAddress,
  type LedgerCount,
  type LedgerResult,
  type Recipient,
  type Store,
  type SuppressionInput,
} from '../core/store';
import { unsubscribeLink, unsubscribeToken } from '../core/store/unsubscribe';
import { addressFor, recipientsInRange } from './audience';
import { UNSUBSCRIBE_PLACEHOLDER, type RoundContent } from './deliverContent';
import { AllRegionsDown, RateLimiter, type RegionHealth, sendThroughRegions } from './providers/regions';
import { RegionUnavailable, Throttled, type OutgoingMessage, type Provider, type SendOutcome } from './providers/types';
import type { ChannelProviders } from './providers';
import type { DeliveryMetrics } from '../worker/metrics';

// One batch of a message round: read its recipients (a cursor range), skip what the ledger says is
// done, record suppressions and opt-outs, then send with a window of requests in flight — the ledger
// marks each delivery "sending" just before its request and records the outcome as soon as it
// returns — heartbeating a cursor. A delivery still "sending" when a later attempt finds it was in
// flight when a worker died: it is sent again and counted as a possible duplicate (the only repeat
// window, bounded by the recipients in flight in the worker). The tallies a batch and a round report are counted from
// the ledger.

export interface BatchInput {
  request: NotifyRequest;
  afterId: string | null;
  throughId: string;
  /** Recipients the page planner found in the range. */
  count: number;
}

export interface ChannelTally {
  sent: number;
  failed: number;
  suppressed: number;
  optedOut: number;
  retried: number;
  possibleDuplicates: number;
}

export interface BatchResult {
  recipients: number;
  byChannel: Partial<Record<Channel, ChannelTally>>;
}

/** Hooks the batch needs from its runner: Temporal's activity context, or nothing (the raw bench loop). */
export interface BatchControl {
  attempt: number;
  resumeCursor: string | null;
  heartbeat(cursor: string | null): void;
  /** True once the runner gave up on this attempt (a timed-out local activity): no new request goes out. */
  cancelled?(): boolean;
}

export interface BatchDeliveryDeps {
  plan: Plan;
  store: Store;
  providers: ChannelProviders;
  delivery: DeliveryConfig;
  /** HMAC secret for unsubscribe links. */
  secret: string;
  health: RegionHealth;
  metrics?: DeliveryMetrics;
  /** The round's saved content. */
  contentOf(roundId: string): Promise<RoundContent>;
}

/** A delivery given up after this many requests that each came back "try again later". */
export const MAX_ATTEMPTS_PER_DELIVERY = 12;

export function emptyTally(): ChannelTally {
  return { sent: 0, failed: 0, suppressed: 0, optedOut: 0, retried: 0, possibleDuplicates: 0 };
}

export function tallyFromLedger(counts: LedgerCount[]): Partial<Record<Channel, ChannelTally>> {
  const out: Partial<Record<Channel, ChannelTally>> = {};
  for (const c of counts) {
    const t = (out[c.channel as Channel] ??= emptyTally());
    if (c.state === 'sent') t.sent += c.deliveries;
    else if (c.state === 'failed') t.failed += c.deliveries;
    else if (c.state === 'suppressed') t.suppressed += c.deliveries;
    else if (c.state === 'opted_out') t.optedOut += c.deliveries;
    t.retried += c.retries;
    t.possibleDuplicates += c.possibleDuplicates;
  }
  return out;
}

interface Pending {
  recipient: Recipient;
  channel: Channel;
  address: string;
  locale: string;
  /** Built when its request goes out and dropped when it returns, so a batch holds few at a time. */
  message?: OutgoingMessage;
  provider: Provider;
  possibleDuplicate: boolean;
  attempts: number;
}

/**
 * Recipients in provider requests at once, counted across every batch and round of the process:
 * a request takes its recipients' places before it marks them "sending" and gives them back once
 * their outcomes are recorded, so a crash can repeat at most this many. Waiters are served in
 * order, so a large request is never starved by small ones.
 */
export class InFlightWindow {
  private used = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  constructor(readonly size: number) {}

  async take(n: number): Promise<void> {
    if (n > this.size) throw new Error(`a request of ${n} recipients does not fit a window of ${this.size}`);
    if (this.waiters.length === 0 && this.used + n <= this.size) {
      this.used += n;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
  }

  give(n: number): void {
    this.used -= n;
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.n <= this.size) {
      const next = this.waiters.shift()!;
      this.used += next.n;
      next.resolve();
    }
  }
}

/** The batch loop of a round, with the rate limiters and the in-flight window its requests share. */
export function createBatchDelivery(deps: BatchDeliveryDeps) {
  const { plan, store, providers, delivery, metrics, health, contentOf } = deps;
  const limiters = new Map<Channel, RateLimiter>(
    Object.entries(delivery.rateLimits).map(([c, n]) => [c as Channel, new RateLimiter(n!)]),
  );
  const window = delivery.inFlightRecipients > 0 ? new InFlightWindow(delivery.inFlightRecipients) : undefined;

  function localeFor(content: RoundContent, r: Recipient): string {
    return r.locale && content.locales.includes(r.locale) ? r.locale : content.fallbackLocale;
  }

  function messageFor(
    content: RoundContent,
    request: NotifyRequest,
    r: Recipient,
    channel: Channel,
    address: string,
  ): OutgoingMessage {
    const locale = localeFor(content, r);
    const c = content.messages[`${locale} ${channel}`]!;
    const needsToken = content.kind === 'external' && (channel === 'email' || channel === 'webhook');
    const token = needsToken ? unsubscribeToken(deps.secret, r.id, channel) : '';
    const swap = (s: string) => (needsToken ? s.split(UNSUBSCRIBE_PLACEHOLDER).join(token) : s);
    const base: OutgoingMessage = {
      roundId: request.roundId,
      recipientId: r.id,
      channel,
      address,
      locale,
      idempotencyKey: `${request.roundId}:${r.id}:${channel}`,
      statusUrl: c.link ?? content.statusUrl,
      title: c.subject,
    };
    switch (channel) {
      case 'email':
        // The shared words with the placeholder: the provider puts the token in (SES bulk sends it as template data).
        return {
          ...base,
          email: {
            subject: c.subject,
            text: c.text,
            html: c.html ?? '',
            ...(needsToken ? { unsubscribeToken: token, unsubscribeUrl: unsubscribeLink(delivery.unsubscribeUrl, token) } : {}),
          },
        };
      case 'sms':
      case 'push':
        return { ...base, text: c.short };
      case 'voice':
      case 'chat':
        return { ...base, text: c.text };
      case 'webhook':
        return { ...base, text: c.text, json: swap(c.json ?? '{}') };
    }
  }

  /** Delivers the round to the recipients in (afterId, throughId]. Throws a retryable failure when anything is left to retry. */
  async function deliverRange(input: BatchInput, ctl: BatchControl): Promise<BatchResult> {
    const { request, throughId } = input;
    const roundId = request.roundId;
    const content = await contentOf(roundId);
    // `scan` is where the next chunk starts; `safe` is the heartbeat cursor: every delivery up to it is settled.
    let scan = ctl.resumeCursor ?? input.afterId;
    let safe = scan;
    let frozen = false;
    let retryDelayMs = 0;
    let retryReason = '';
    let stopped = false;
    let leftToRetry = 0;
    const chunkSize = Math.max(1, Math.min(delivery.batchSize, 1000));

    while (!stopped) {
      const recipients = await recipientsInRange(plan, store, request, scan, throughId, chunkSize);
      if (recipients.length === 0) break;
      const last = recipients[recipients.length - 1]!.id;
      const ledger = await store.ledgerRange(roundId, scan, last);

      // What each recipient needs, and what is already settled.
      const candidates: { r: Recipient; channel: Channel; address: string; attempts: number; possibleDuplicate: boolean }[] = [];
      for (const r of recipients) {
        for (const channel of content.channels) {
          const raw = addressFor(r, channel);
          if (!raw) continue;
          const entry = ledger.get(`${r.id} ${channel}`);
          if (entry && FINAL_STATES.has(entry.state)) continue;
          candidates.push({
            r,
            channel,
            address: normaliseAddress(channel, raw),
            attempts: entry?.attempts ?? 0,
            possibleDuplicate: entry?.state === 'sending' || !!entry?.possibleDuplicate,
          });
        }
      }
      const suppressions = await store.suppressionsFor(candidates.map((c) => ({ channel: c.channel, address: c.address })));
      const settled: LedgerResult[] = [];
      const pending: Pending[] = [];
      for (const c of candidates) {
        const reason = c.r.consent === 'unsubscribed' ? 'opt-out' : suppressions.get(`${c.channel} ${c.address}`);
        if (reason) {
          settled.push({
            recipientId: c.r.id,
            channel: c.channel,
            address: c.address,
            state: reason === 'opt-out' ? 'opted_out' : 'suppressed',
            error: reason,
          });
          continue;
        }
        pending.push({
          recipient: c.r,
          channel: c.channel,
          address: c.address,
          locale: localeFor(content, c.r),
          provider: providers[c.channel],
          possibleDuplicate: c.possibleDuplicate,
          attempts: c.attempts,
        });
      }
      await store.recordResults(roundId, settled);
      for (const r of settled) metrics?.message({ channel: r.channel, provider: '-', region: '-', result: r.state });

      // Requests: messages grouped by provider, channel and locale, at most maxPerRequest each.
      const groups = new Map<string, Pending[]>();
      for (const p of pending) {
        const key = `${p.provider.name} ${p.channel} ${p.locale}`;
        const list = groups.get(key) ?? [];
        list.push(p);
        groups.set(key, list);
      }
      const requests: Pending[][] = [];
      for (const list of groups.values()) {
        // A request never holds more than the whole window (Pinpoint's 100 addresses become two requests in a window of 50).
        const max = Math.min(list[0]!.provider.maxPerRequest, window?.size ?? Infinity);
        for (let i = 0; i < list.length; i += max) requests.push(list.slice(i, i + max));
      }

      let chunkClean = true;
      // A sliding window of requests: each marks its deliveries "sending" just before it goes out
      // and records their outcomes as soon as it returns, so only requests truly in flight at a
      // crash can be repeated — at most HERALD_IN_FLIGHT_RECIPIENTS recipients in the whole worker
      // (the window above), however many batches and rounds it runs. A channel with a cap of its own
      // (HERALD_PROVIDER_CONCURRENCY=16,email=4) never has more requests than that in flight.
      const caps = delivery.providerConcurrencyByChannel;
      const active = new Map<Channel, number>();
      const waiting = [...requests];
      const take = (): Pending[] | undefined => {
        const i = waiting.findIndex((r) => (active.get(r[0]!.channel) ?? 0) < (caps[r[0]!.channel] ?? Infinity));
        return i < 0 ? undefined : waiting.splice(i, 1)[0];
      };
      const sendOne = async (req: Pending[]) => {
        const provider = req[0]!.provider;
        const messages = req.map((p) => (p.message ??= messageFor(content, request, p.recipient, p.channel, p.address)));
        if (health.order(provider.name, provider.regions, ctl.attempt).length === 0) {
          // Every region of this provider is cooling down: nothing is sent; the batch retries later.
          chunkClean = false;
          leftToRetry += req.length;
          retryDelayMs = Math.max(retryDelayMs, health.nextUpIn(provider.name, provider.regions));
          retryReason = `${provider.name}: every region is cooling down`;
          return;
        }
        await limiters.get(messages[0]!.channel)?.take(messages.length);
        await window?.take(req.length);
        try {
          await sendMarked(req, provider, messages);
        } finally {
          window?.give(req.length);
        }
        for (const p of req) p.message = undefined;
        ctl.heartbeat(safe);
      };
      /** Marks the request's deliveries "sending", sends it, and records every outcome. */
      const sendMarked = async (req: Pending[], provider: Provider, messages: OutgoingMessage[]) => {
        await store.markSending(
          roundId,
          req.map((p) => ({
            recipientId: p.recipient.id,
            channel: p.channel,
            address: p.address,
            possibleDuplicate: p.possibleDuplicate,
          })),
        );
        let outcomes: SendOutcome[];
        let region: string | undefined;
        const began = performance.now();
        try {
          const sent = await sendThroughRegions(
            provider,
            health,
            ctl.attempt,
            messages,
            metrics && ((down) => metrics.failover({ provider: provider.name, region: down })),
          );
          metrics?.providerRequest(
            { provider: provider.name, region: sent.region, channel: messages[0]!.channel, outcome: 'ok' },
            (performance.now() - began) / 1000,
          );
          outcomes = sent.outcomes;
          region = sent.region;
        } catch (err) {
          metrics?.providerRequest(
            { provider: provider.name, region: '-', channel: messages[0]!.channel, outcome: 'error' },
            (performance.now() - began) / 1000,
          );
          if (err instanceof Throttled || err instanceof AllRegionsDown) {
            stopped = true;
            retryDelayMs = Math.max(retryDelayMs, err.retryAfterMs);
            retryReason = err.message;
            outcomes = messages.map(() => ({ kind: 'retry', error: err.message }));
          } else if (err instanceof RegionUnavailable && err.ambiguous) {
            retryReason = err.message;
            outcomes = messages.map(() => ({ kind: 'retry', error: err.message, ambiguous: true }));
          } else {
            outcomes = messages.map(() => ({ kind: 'retry', error: `${provider.name}: ${(err as Error).message}` }));
            retryReason = (err as Error).message;
          }
        }
        const results: LedgerResult[] = [];
        const suppress: SuppressionInput[] = [];
        req.forEach((p, i) => {
          const o = outcomes[i] ?? { kind: 'retry', error: 'no result' };
          const m = messages[i]!;
          const base = {
            recipientId: m.recipientId,
            channel: m.channel,
            address: m.address,
            provider: provider.name,
            ...(region ? { region } : {}),
          };
          if (o.kind === 'sent') results.push({ ...base, state: 'sent', ...(o.messageId ? { messageId: o.messageId } : {}) });
          else if (o.kind === 'failed') {
            results.push({ ...base, state: 'failed', error: o.error });
            if (o.bounce) suppress.push({ channel: m.channel, address: m.address, reason: 'bounce', detail: o.error });
          } else if (o.kind === 'opted_out') {
            results.push({ ...base, state: 'opted_out', error: o.error });
            suppress.push({
              channel: m.channel,
              address: m.address,
              reason: 'opt-out',
              detail: `provider reported opt-out in ${roundId}`,
            });
          } else if (p.attempts + 1 >= MAX_ATTEMPTS_PER_DELIVERY && !stopped) {
            results.push({ ...base, state: 'failed', error: `gave up after ${p.attempts + 1} attempts: ${o.error}` });
          } else if (o.ambiguous) {
            // Left "sending": the retry resends it and counts it as a possible duplicate.
            chunkClean = false;
            leftToRetry++;
            retryReason ||= o.error;
          } else {
            results.push({ ...base, state: 'retry', error: o.error });
            chunkClean = false;
            leftToRetry++;
            if (o.retryAfterMs) retryDelayMs = Math.max(retryDelayMs, o.retryAfterMs);
            retryReason ||= o.error;
          }
        });
        await store.recordResults(roundId, results);
        for (const r of results)
          metrics?.message({ channel: r.channel, provider: provider.name, region: region ?? '-', result: r.state });
        await store.addSuppressions(suppress);
      };
      // A lane that finds every waiting request's channel at its cap ends: the lanes holding those
      // channels' slots carry on with them.
      const lane = async () => {
        while (!stopped && waiting.length > 0) {
          if (ctl.cancelled?.()) {
            stopped = true;
            retryReason ||= 'the attempt was cancelled';
            leftToRetry += waiting.length;
            break;
          }
          const req = take();
          if (!req) break;
          const channel = req[0]!.channel;
          active.set(channel, (active.get(channel) ?? 0) + 1);
          try {
            await sendOne(req);
          } finally {
            active.set(channel, active.get(channel)! - 1);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(delivery.providerConcurrency, requests.length) }, lane));
      if (stopped) break;
      // A chunk with deliveries left to retry freezes the cursor before it: the retry reads it again
      // (and the ledger skips what is settled).
      if (!chunkClean) frozen = true;
      if (!frozen) safe = last;
      scan = last;
      ctl.heartbeat(safe);
    }

    if (stopped || leftToRetry > 0) {
      throw ApplicationFailure.create({
        type: stopped ? 'ProviderBackOff' : 'DeliveriesToRetry',
        message: `round ${roundId}: ${leftToRetry || 'some'} deliveries to retry (${retryReason})`,
        nextRetryDelay: Math.max(500, retryDelayMs || 1000),
      });
    }
    const counts = await store.ledgerCounts(roundId, { afterId: input.afterId, throughId });
    return { recipients: input.count, byChannel: tallyFromLedger(counts) };
  }

  return deliverRange;
}
