import { ActivityFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { HeraldActivities } from '../activities';
import type { SubscriptionConfirmationInput, SubscriptionConfirmationResult } from './contracts/subscriptionConfirmation';

// One public subscription request, carried from the API's 202 to the confirmation message: the API
// starts this workflow (id = an HMAC of the request) before it answers, so a request it accepted
// survives a restart of the API or the worker. The activity sends through the channel's provider
// and is retried until it goes out — but never past the link's own life. After the message is
// settled the workflow stays open for a while: the same request again (a double click, a second
// tab) finds it running and sends nothing more; a later one starts a new run and a new message.

/** Retries stop this long before the link expires: a link about to expire is not worth sending. */
const EXPIRY_MARGIN_MS = 10 * 60_000;
const MAX_RETRYING_MS = 24 * 3_600_000;

export async function subscriptionConfirmation(input: SubscriptionConfirmationInput): Promise<SubscriptionConfirmationResult> {
  const lifeLeft = (input.expiresAt ?? input.claim?.expiresAt ?? 0) * 1000 - Date.now() - EXPIRY_MARGIN_MS;
  const { sendSubscriptionConfirmation } = proxyActivities<HeraldActivities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: Math.max(60_000, Math.min(MAX_RETRYING_MS, lifeLeft)),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

  let result: SubscriptionConfirmationResult['result'];
  try {
    result = await sendSubscriptionConfirmation(
      input.sealed !== undefined
        ? { sealed: input.sealed, apiPublicUrl: input.apiPublicUrl }
        : { claim: input.claim, apiPublicUrl: input.apiPublicUrl },
    );
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Out of time: the person asks again; nothing is held back for them.
    return { result: { outcome: 'gave-up', error: (err.cause ?? err).message } };
  }
  await sleep(input.holdMs);
  return { result };
}
