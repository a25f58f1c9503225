import type { ConfirmationInput, ConfirmationOutcome } from '../../activities/subscriptions';

// The subscriptionConfirmation workflow's public contract: one public subscription request, from the
// API's 202 to the confirmation message. The API starts it by name (SUBSCRIPTION_CONFIRMATION_WORKFLOW)
// typed with SubscriptionConfirmationWorkflow, under an id that holds no address.

export const SUBSCRIPTION_CONFIRMATION_WORKFLOW = 'subscriptionConfirmation';
export type SubscriptionConfirmationWorkflow = (input: SubscriptionConfirmationInput) => Promise<SubscriptionConfirmationResult>;

/** A request's workflow id from a keyed digest of everything it asks (computed by the API). */
export function subscriptionConfirmationWorkflowId(requestDigest: string): string {
  return `subscription-${requestDigest}`;
}

export interface SubscriptionConfirmationInput extends ConfirmationInput {
  /** Unix seconds: when the request's link expires (the only part of the sealed claim the workflow needs). */
  expiresAt?: number;
  /** How long the same request sends nothing more once settled (ms). */
  holdMs: number;
}

export interface SubscriptionConfirmationResult {
  result: ConfirmationOutcome | { outcome: 'gave-up'; error: string };
}
