import type { NotifyRequest } from '../core/notify';
import type { Channel, Plan, PlanAudience } from '../core/plan/schema';
import type { AudienceFilter, Recipient, Store } from '../core/store';

// Audience resolution: a plan audience + the round's components → recipients, in id order, a page
// at a time, never all in memory. Drills (and sandbox audiences) take the plan's listed recipients
// only, never subscribers.

export interface BatchRange {
  /** Exclusive lower bound (null: from the start). */
  afterId: string | null;
  /** Inclusive upper bound. */
  throughId: string;
  count: number;
}

export interface AudiencePage {
  batches: BatchRange[];
  /** Cursor for the next page. */
  nextCursor: string | null;
  done: boolean;
}

export function planAudience(plan: Plan, id: string): PlanAudience {
  const audience = plan.audiences.find((a) => a.id === id);
  if (!audience) throw new Error(`the plan has no audience "${id}"`);
  return audience;
}

/** Drill rounds and sandbox audiences send to the plan's listed recipients only. */
export function isSandboxRound(plan: Plan, request: NotifyRequest): boolean {
  return request.drill || planAudience(plan, request.audienceId).sandbox;
}

export function audienceFilter(plan: Plan, request: NotifyRequest): AudienceFilter {
  const audience = planAudience(plan, request.audienceId);
  // One message per person: members of an audience of the same message that outranks this one
  // hear it from that audience (its wording, its channels), decided by the same query on every page
  // and every retry.
  const outrankedBy = (request.outrankedBy ?? []).map((o) => {
    const higher = planAudience(plan, o.audienceId);
    return { internal: higher.kind === 'internal', attributes: higher.filter, channels: o.channels };
  });
  return {
    components: request.components,
    ...(request.excludeComponents?.length ? { excludeComponents: request.excludeComponents } : {}),
    internal: audience.kind === 'internal',
    attributes: audience.filter,
    ...(outrankedBy.length > 0 ? { outrankedBy } : {}),
  };
}

const sandboxId = (i: number) => `sandbox-${String(i).padStart(4, '0')}`;

/** The sandbox audience's recipients as subscribers (ids sandbox-0000, …). */
export function sandboxRecipients(plan: Plan, request: NotifyRequest): Recipient[] {
  const audience = planAudience(plan, request.audienceId);
  return audience.recipients.map((r, i) => ({
    id: sandboxId(i),
    email: r.email ?? null,
    phone: r.phone ?? null,
    push: null,
    webhook: r.webhook ?? null,
    chat: null,
    locale: r.locale ?? null,
    consent: 'confirmed',
  }));
}

export function addressFor(r: Recipient, channel: Channel): string | null {
  switch (channel) {
    case 'email':
      return r.email;
    case 'sms':
    case 'voice':
      return r.phone;
    case 'push':
      return r.push;
    case 'chat':
      return r.chat;
    case 'webhook':
      return r.webhook;
  }
}

export function createAudienceActivities({ plan, store }: { plan: Plan; store: Store }) {
  return {
    /** The next page of the round's audience, split into batch ranges (ids only; no recipient data leaves). */
    async planAudiencePage(input: {
      request: NotifyRequest;
      afterId: string | null;
      pageSize: number;
      batchSize: number;
    }): Promise<AudiencePage> {
      const { request, afterId, pageSize, batchSize } = input;
      let ids: string[];
      if (isSandboxRound(plan, request)) {
        ids = sandboxRecipients(plan, request)
          .map((r) => r.id)
          .filter((id) => afterId === null || id > afterId)
          .slice(0, pageSize);
      } else {
        ids = await store.audienceIds(audienceFilter(plan, request), afterId, pageSize);
      }
      const batches: BatchRange[] = [];
      for (let i = 0; i < ids.length; i += batchSize) {
        const part = ids.slice(i, i + batchSize);
        batches.push({ afterId: i === 0 ? afterId : ids[i - 1]!, throughId: part[part.length - 1]!, count: part.length });
      }
      return { batches, nextCursor: ids.length > 0 ? ids[ids.length - 1]! : afterId, done: ids.length < pageSize };
    },
  };
}

/** Recipients in (afterId, throughId], at most `limit`, for a round. */
export async function recipientsInRange(
  plan: Plan,
  store: Store,
  request: NotifyRequest,
  afterId: string | null,
  throughId: string,
  limit: number,
): Promise<Recipient[]> {
  if (isSandboxRound(plan, request)) {
    return sandboxRecipients(plan, request)
      .filter((r) => (afterId === null || r.id > afterId) && r.id <= throughId)
      .slice(0, limit);
  }
  return store.audienceRange(audienceFilter(plan, request), afterId, throughId, limit);
}
