import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import type { DeliveryConfig } from '../core/config';
import type { NotifyReport, NotifyRequest } from '../core/notify';
import type { Channel, Plan } from '../core/plan/schema';
import { createTemplateRenderer, DEFAULT_TEMPLATES_DIR, type TemplateRenderer } from '../core/render';
import type { Store } from '../core/store';
import { ensureSecret } from '../core/store/unsubscribe';
import { audienceFilter, createAudienceActivities, isSandboxRound, sandboxRecipients } from './audience';
import { createBatchDelivery, tallyFromLedger, type BatchInput, type BatchResult, type ChannelTally } from './deliverBatch';
import { GuardRefused, renderRoundContent, type RoundContent } from './deliverContent';
import { RegionHealth } from './providers/regions';
import { createProviders, type ChannelProviders } from './providers';
import type { DeliveryMetrics } from '../worker/metrics';

// Delivery of one message round: prepare it (render and save its content once, count its audience),
// deliver its batches (deliverBatch.ts), and report it from the ledger.

export type { BatchResult, ChannelTally } from './deliverBatch';

export interface DeliveryDeps {
  plan: Plan;
  store: Store;
  providers: ChannelProviders;
  delivery: DeliveryConfig;
  /** HMAC secret for unsubscribe links. */
  secret: string;
  /** Public status page URL used in messages. */
  statusUrl: string;
  templatesDir?: string;
  health?: RegionHealth;
  /** Counters and latencies for the worker's /metrics (worker/metrics.ts); none when absent. */
  metrics?: DeliveryMetrics;
}

export interface PreparedRound {
  recipients: number;
  channels: Channel[];
  locales: string[];
  pageSize: number;
  batchSize: number;
  concurrency: number;
}

export type InlineRound = { inline: true; report: NotifyReport } | { inline: false; recipients: number };

export function createDeliveryCore(deps: DeliveryDeps) {
  const { plan, store, providers, delivery, metrics } = deps;
  const health = deps.health ?? new RegionHealth(delivery.regionCooldownMs);
  let renderer: TemplateRenderer | undefined;
  const contentCache = new Map<string, RoundContent>();

  async function contentOf(roundId: string): Promise<RoundContent> {
    let content = contentCache.get(roundId);
    if (!content) {
      const round = await store.getRound(roundId);
      if (!round) throw ApplicationFailure.nonRetryable(`round ${roundId} was never prepared`, 'RoundNotFound');
      content = round.content as RoundContent;
      if (contentCache.size >= 50) contentCache.delete(contentCache.keys().next().value!);
      contentCache.set(roundId, content);
    }
    return content;
  }

  const deliverRange = createBatchDelivery({ plan, store, providers, delivery, secret: deps.secret, health, metrics, contentOf });

  async function prepareRound(request: NotifyRequest): Promise<PreparedRound> {
    const existing = await store.getRound(request.roundId);
    let content = existing?.content as RoundContent | undefined;
    let recipients = existing?.recipients ?? 0;
    if (!content) {
      try {
        renderer ??= createTemplateRenderer(deps.templatesDir ?? DEFAULT_TEMPLATES_DIR);
        content = renderRoundContent({
          plan,
          request,
          renderer,
          statusUrl: request.statusUrl ?? deps.statusUrl,
          unsubscribeBase: delivery.unsubscribeUrl,
          now: new Date(),
        });
      } catch (err) {
        if (err instanceof GuardRefused) {
          metrics?.guardRefusal({ phase: request.phase, audience: request.standsFor ?? request.audienceId });
          throw ApplicationFailure.nonRetryable(err.message, 'GuardRefused');
        }
        throw ApplicationFailure.nonRetryable(
          `round ${request.roundId} cannot be rendered: ${(err as Error).message}`,
          'RenderFailed',
        );
      }
      recipients = isSandboxRound(plan, request)
        ? sandboxRecipients(plan, request).length
        : await store.countAudience(audienceFilter(plan, request));
      content = (await store.saveRound(request.roundId, request, content, recipients)).content as RoundContent;
    }
    return {
      recipients,
      channels: content.channels,
      locales: content.locales,
      pageSize: delivery.pageSize,
      batchSize: delivery.batchSize,
      concurrency: delivery.concurrency,
    };
  }

  /** The round's report, counted from the ledger (exact across retries and restarts). */
  async function finishRound(input: { request: NotifyRequest; startedAt: string; recipients: number }): Promise<NotifyReport> {
    const { request } = input;
    const counts = await store.ledgerCounts(request.roundId);
    const byChannel = tallyFromLedger(counts);
    const sum = (k: keyof ChannelTally) => Object.values(byChannel).reduce((n, t) => n + t![k], 0);
    const first = await store.firstSentAt(request.roundId);
    const report: NotifyReport = {
      roundId: request.roundId,
      audienceId: request.audienceId,
      phase: request.phase,
      recipients: input.recipients,
      sent: sum('sent'),
      failedPermanently: sum('failed'),
      suppressed: sum('suppressed'),
      optedOut: sum('optedOut'),
      retried: sum('retried'),
      possibleDuplicates: sum('possibleDuplicates'),
      byChannel: Object.fromEntries(Object.entries(byChannel).map(([c, t]) => [c, { sent: t!.sent, failed: t!.failed }])),
      startedAt: input.startedAt,
      finishedAt: new Date().toISOString(),
      firstSentAt: first === null ? null : new Date(first).toISOString(),
    };
    await store.finishRound(request.roundId, report);
    return report;
  }

  return { prepareRound, deliverRange, finishRound, health };
}

export interface DeliveryActivityDeps {
  config: { dataDir: string; publicUrl: string; templatesDir?: string; delivery: DeliveryConfig };
  plan: Plan;
  store: Store;
  /** Providers per channel; built from the configuration when absent. */
  providers?: ChannelProviders;
  /** The worker's delivery metrics (worker/metrics.ts); optional. */
  metrics?: DeliveryMetrics;
  /** Region health shared with the worker's other senders; a fresh one when absent. */
  health?: RegionHealth;
}

/** The activities of a message round (workflows/notify): prepare, plan pages, deliver batches, report. */
export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const secret = ensureSecret(deps.config);
  const providers =
    deps.providers ??
    createProviders(deps.config.delivery, { webhookSecret: deps.config.delivery.webhookSigningSecret ?? secret });
  const core = createDeliveryCore({
    plan: deps.plan,
    store: deps.store,
    providers,
    delivery: deps.config.delivery,
    secret,
    statusUrl: deps.config.publicUrl,
    templatesDir: deps.config.templatesDir,
    metrics: deps.metrics,
    health: deps.health,
  });
  const audience = createAudienceActivities(deps);
  const inlineMax = deps.config.delivery.inlineRoundMax;
  return {
    prepareRound: core.prepareRound,
    /**
     * A small round in one go, run as a local activity inside the lifecycle's own workflow task
     * (workflows/rounds.ts): prepare, deliver every batch, report — so the first notice to a small
     * audience leaves without a child workflow and its tasks. An audience over
     * HERALD_INLINE_ROUND_MAX answers `inline: false` before anything is sent; any failure (a
     * delivery left to retry, every region down, a guard refusal) is thrown, and the caller runs the
     * ordinary notify round, which resumes from the ledger like a retried batch.
     */
    async runRoundInline(request: NotifyRequest): Promise<InlineRound> {
      const ctx = Context.current();
      const prepared = await core.prepareRound(request);
      if (inlineMax === 0 || prepared.recipients > inlineMax) return { inline: false, recipients: prepared.recipients };
      const startedAt = new Date().toISOString();
      const page = await audience.planAudiencePage({
        request,
        afterId: null,
        pageSize: inlineMax + 1,
        batchSize: prepared.batchSize,
      });
      // The audience grew past the limit since it was counted: the ordinary round takes it.
      if (!page.done) return { inline: false, recipients: prepared.recipients };
      let recipients = 0;
      for (const b of page.batches) {
        const r = await core.deliverRange(
          { request, afterId: b.afterId, throughId: b.throughId, count: b.count },
          {
            attempt: ctx.info.attempt,
            resumeCursor: null,
            heartbeat: () => undefined,
            cancelled: () => ctx.cancellationSignal.aborted,
          },
        );
        recipients += r.recipients;
      }
      return { inline: true, report: await core.finishRound({ request, startedAt, recipients }) };
    },
    planAudiencePage: audience.planAudiencePage,
    async deliverBatch(input: BatchInput): Promise<BatchResult> {
      const ctx = Context.current();
      const resume = (ctx.info.heartbeatDetails as { cursor?: string | null } | undefined)?.cursor ?? null;
      let last: string | null = resume;
      // Heartbeat while a slow request is in flight too, so only a dead worker times out.
      const timer = setInterval(() => ctx.heartbeat({ cursor: last }), 2000);
      try {
        return await core.deliverRange(input, {
          attempt: activityInfo().attempt,
          resumeCursor: resume,
          heartbeat: (cursor) => {
            last = cursor;
            ctx.heartbeat({ cursor });
          },
        });
      } finally {
        clearInterval(timer);
      }
    },
    finishRound: core.finishRound,
  };
}
