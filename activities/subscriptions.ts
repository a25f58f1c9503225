import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import type { HeraldConfig } from '../core/config';
import type { Plan } from '../core/plan/schema';
import { DEFAULT_TEMPLATES_DIR } from '../core/render';
import type { Store } from '../core/store';
import { subscriberIdFor } from '../core/store/subscribers';
import { ensureSecret } from '../core/store/unsubscribe';
import {
  confirmationLink,
  confirmationToken,
  openClaim,
  renderConfirmation,
  webhookTargetProblem,
  type SubscriptionClaim,
} from '../core/subscriptions';
import { createProviders, type ChannelProviders } from './providers';
import { AllRegionsDown, RegionHealth, sendThroughRegions } from './providers/regions';
import { RegionUnavailable, Throttled, type OutgoingMessage } from './providers/types';

// Sending a subscription's confirmation (workflows/subscriptionConfirmation.ts): rendered in the
// request's locale with a freshly signed link, then sent through the channel's provider with its
// region failover, as rounds send. A message not delivered this time throws (Temporal retries it,
// honouring the provider's back-off); a permanent refusal is returned as the outcome (recorded in
// the workflow's history, and as a suppression when the provider says so), never retried.

export interface SubscriptionActivityDeps {
  config: HeraldConfig;
  plan: Plan;
  /** Suppressions: a suppressed address gets no confirmation; a provider's opt-out or bounce adds one. */
  store: Store;
  /** Delivery providers per channel; built from config.delivery when absent. */
  providers?: ChannelProviders;
  /** Signs confirmation links; the configured or generated secret (as the API's) when absent. */
  secret?: string;
  health?: RegionHealth;
}

export interface ConfirmationInput {
  /** The request, sealed by the API (core/subscriptions sealClaim): no address in Temporal's history. */
  sealed?: string;
  /** The request in plain text: only in runs started before claims were sealed. */
  claim?: SubscriptionClaim;
  /** Base of the link: the public address of the API that accepted the request. */
  apiPublicUrl: string;
}

export type ConfirmationOutcome =
  | { outcome: 'sent'; provider: string; region: string; messageId?: string }
  /** Permanent: not sent and not retried. */
  | { outcome: 'failed' | 'opted_out'; provider: string; error: string }
  | { outcome: 'suppressed' | 'refused'; reason: string };

export function createSubscriptionActivities(deps: SubscriptionActivityDeps) {
  const { config, plan, store } = deps;
  const secret = deps.secret ?? ensureSecret(config);
  const providers =
    deps.providers ?? createProviders(config.delivery, { webhookSecret: config.delivery.webhookSigningSecret ?? secret });
  const health = deps.health ?? new RegionHealth(config.delivery.regionCooldownMs);

  async function sendSubscriptionConfirmation(input: ConfirmationInput): Promise<ConfirmationOutcome> {
    const { apiPublicUrl } = input;
    const info = activityInfo();
    let claim: SubscriptionClaim;
    try {
      claim = input.sealed !== undefined ? openClaim(secret, input.sealed) : input.claim!;
    } catch (err) {
      // Retrying cannot help; the person asks again once the secrets agree.
      throw ApplicationFailure.nonRetryable((err as Error).message, 'SealedClaimUnreadable');
    }
    const fields = { [claim.channel === 'sms' ? 'phone' : claim.channel]: claim.address } as {
      email?: string;
      phone?: string;
      webhook?: string;
    };
    const recipientId = subscriberIdFor(fields);
    const where = { recipientId, channel: claim.channel, workflowId: info.workflowExecution?.workflowId, attempt: info.attempt };

    const suppressed = await store.suppressionsFor([{ channel: claim.channel, address: claim.address }]);
    if (suppressed.size > 0) {
      const reason = [...suppressed.values()][0]!;
      log.info('subscription confirmation not sent: address suppressed', { ...where, reason });
      return { outcome: 'suppressed', reason };
    }
    if (claim.channel === 'webhook') {
      // Checked again as late as possible: the name may resolve elsewhere now.
      const refused = await webhookTargetProblem(claim.address, config.api.subscriptions.allowPrivateWebhooks);
      if (refused) {
        log.info('subscription confirmation not sent: webhook target refused', { ...where, refused });
        return { outcome: 'refused', reason: `webhook ${refused}` };
      }
    }

    const confirmUrl = confirmationLink(apiPublicUrl, confirmationToken(secret, claim));
    const content = renderConfirmation({ plan, templatesDir: config.templatesDir ?? DEFAULT_TEMPLATES_DIR, claim, confirmUrl });
    // One id per run (stable across this activity's retries): what receivers de-duplicate on.
    const roundId = `subscribe-${(info.workflowExecution?.runId ?? info.activityId).replace(/-/g, '').slice(0, 16)}`;
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
    const provider = providers[claim.channel];

    let result;
    try {
      result = await sendThroughRegions(provider, health, info.attempt, [message]);
    } catch (err) {
      if (err instanceof Throttled || err instanceof AllRegionsDown) {
        throw ApplicationFailure.create({
          type: err.name,
          message: err.message,
          nextRetryDelay: Math.max(500, err.retryAfterMs),
        });
      }
      if (err instanceof RegionUnavailable) throw ApplicationFailure.create({ type: err.name, message: err.message });
      throw err;
    }
    const o = result.outcomes[0]!;
    const sent = { ...where, provider: provider.name, region: result.region };
    switch (o.kind) {
      case 'sent':
        log.info('subscription confirmation sent', sent);
        return {
          outcome: 'sent',
          provider: provider.name,
          region: result.region,
          ...(o.messageId ? { messageId: o.messageId } : {}),
        };
      case 'retry':
        throw ApplicationFailure.create({
          type: 'ConfirmationToRetry',
          message: `${provider.name}: ${o.error}`,
          ...(o.retryAfterMs ? { nextRetryDelay: o.retryAfterMs } : {}),
        });
      case 'opted_out':
        await store.addSuppressions([
          {
            channel: claim.channel,
            address: claim.address,
            reason: 'opt-out',
            detail: `provider reported opt-out in ${roundId}`,
          },
        ]);
        log.info('subscription confirmation not delivered: opted out at the provider', { ...sent, error: o.error });
        return { outcome: 'opted_out', provider: provider.name, error: o.error };
      case 'failed':
        if (o.bounce)
          await store.addSuppressions([{ channel: claim.channel, address: claim.address, reason: 'bounce', detail: o.error }]);
        log.info('subscription confirmation not delivered: refused by the provider', {
          ...sent,
          error: o.error,
          bounce: o.bounce ?? false,
        });
        return { outcome: 'failed', provider: provider.name, error: o.error };
    }
  }

  return { sendSubscriptionConfirmation };
}
