import type { MessageFacts } from './messageContext';
import type { Channel } from './plan/schema';

// The contract between the lifecycle workflows (incident, maintenance) and a message round
// (workflows/notify): one round tells one audience one thing, on the given channels.

export interface NotifyRequest {
  /** Unique and stable: also the notify child workflow id and the delivery ledger's round key. */
  roundId: string;
  /** A plan audience id. In drills it is the plan's sandbox audience. */
  audienceId: string;
  /** The audience whose wording (external/internal) this round uses; in drills, the one the sandbox stands in for. Defaults to audienceId. */
  standsFor?: string;
  /** The scenario's channels for this audience (a subset of the audience's). */
  channels: Channel[];
  phase: string;
  templateId: string;
  facts: MessageFacts;
  /** Recipients are subscribers of any of these components (after the audience's filters). */
  components: string[];
  /** …except subscribers of these (they were told already: components added later). */
  excludeComponents?: string[];
  /**
   * Audiences of the same message that outrank this one (plan precedence), with the channels they
   * use for it: their members who have an address on one of those channels are left out here.
   */
  outrankedBy?: { audienceId: string; channels: Channel[] }[];
  drill: boolean;
  /** Where messages link to: the public status page, or the drill page in drills. Defaults to HERALD_PUBLIC_URL. */
  statusUrl?: string;
}

export interface ChannelCounts {
  sent: number;
  failed: number;
}

export interface NotifyReport {
  roundId: string;
  audienceId: string;
  phase: string;
  recipients: number;
  sent: number;
  failedPermanently: number;
  suppressed: number;
  optedOut: number;
  retried: number;
  /** Sends that may have gone out twice: requests in flight when a worker died (bound: one per in-flight request). */
  possibleDuplicates: number;
  byChannel: Partial<Record<Channel, ChannelCounts>>;
  startedAt: string;
  finishedAt: string;
  /** When the first provider request of the round was accepted; null if nothing was sent. */
  firstSentAt: string | null;
}
