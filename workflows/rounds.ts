import {
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  startChild,
} from '@temporalio/workflow';
import type { MessageFacts } from '../core/messageContext';
import type { NotifyRequest } from '../core/notify';
import type { PolicyAudience } from '../core/policy';
import type { PageChange } from '../core/statuspage/types';
import type { HeraldActivities } from '../activities';
import { NOTIFY_WORKFLOW, roundWorkflowId, type DeliverySummary, type NotifyWorkflow } from './contracts/notify';
import { pageChangeSignal, statusPageWorkflowId } from './contracts/statusPage';
import { INLINE_SMALL_ROUNDS, ONE_MESSAGE_PER_PERSON, PAGE_CHANGE_BY_SIGNAL } from './patches';

// What the lifecycle workflows share: a message round per audience and handing page changes to the
// statusPage workflow. A small audience (HERALD_INLINE_ROUND_MAX) is sent inside the lifecycle's own
// workflow task, as a local activity; a larger one, or one the inline attempt could not finish, is
// a notify child awaited in the background, so a lifecycle never blocks on a long fan-out. Reports
// land in the lifecycle's state either way.

const { sendPageChange } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s' },
});

// One attempt, bounded: whatever it leaves (a region down, a throttled provider) is the notify
// round's to finish, with its retries and heartbeats.
const { runRoundInline } = proxyLocalActivities<HeraldActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});

export interface RoundTracker {
  inFlight: number;
  deliveries: DeliverySummary[];
}

export interface RoundSpec {
  ownerId: string;
  seq: number;
  phase: string;
  templateId: string;
  facts: MessageFacts;
  components: string[];
  excludeComponents?: string[];
  drill: boolean;
  statusUrl: string;
}

export function roundId(spec: RoundSpec, audience: PolicyAudience): string {
  return roundWorkflowId(spec.ownerId, spec.seq, spec.phase, audience.standsFor);
}

/**
 * One round per audience; returns once each was sent inline or its notify child has started.
 * `among` is every audience the message is for (default: these), of which the ones that outrank an
 * audience take its members who are in both.
 */
export async function startRounds(
  tracker: RoundTracker,
  spec: RoundSpec,
  audiences: PolicyAudience[],
  among: PolicyAudience[] = audiences,
): Promise<void> {
  await Promise.all(audiences.map((audience) => startRound(tracker, spec, audience, among)));
}

/**
 * The audiences of one message that outrank `audience` (same kind, a higher precedence, or the same
 * and listed before it): a subscriber in both hears the message from them.
 */
export function outranking(among: PolicyAudience[], audience: PolicyAudience): PolicyAudience[] {
  const rank = (a: PolicyAudience) => a.precedence ?? 0;
  const at = among.findIndex((a) => a.standsFor === audience.standsFor);
  return among.filter(
    (b, i) =>
      b.standsFor !== audience.standsFor &&
      b.kind === audience.kind &&
      (rank(b) > rank(audience) || (rank(b) === rank(audience) && at >= 0 && i < at)),
  );
}

function externalFacts(facts: MessageFacts): MessageFacts {
  const { awaitingApproval: _internal, ...rest } = facts;
  return { ...rest, technicalDetail: null, owner: null };
}

async function startRound(
  tracker: RoundTracker,
  spec: RoundSpec,
  audience: PolicyAudience,
  among: PolicyAudience[],
): Promise<void> {
  // Drills send every audience's wording to the same sandbox recipients: nobody is outranked there.
  const outrankedBy =
    !spec.drill && patched(ONE_MESSAGE_PER_PERSON)
      ? outranking(among, audience).map((b) => ({ audienceId: b.audienceId, channels: b.channels }))
      : [];
  const request: NotifyRequest = {
    roundId: roundId(spec, audience),
    audienceId: audience.audienceId,
    standsFor: audience.standsFor,
    channels: audience.channels,
    phase: spec.phase,
    templateId: spec.templateId,
    // Internal audiences see the technical detail and what waits for approval; external rounds never carry them.
    facts: audience.kind === 'internal' ? spec.facts : externalFacts(spec.facts),
    components: spec.components,
    excludeComponents: spec.excludeComponents,
    ...(outrankedBy.length > 0 ? { outrankedBy } : {}),
    drill: spec.drill,
    statusUrl: spec.statusUrl,
  };
  const summary: DeliverySummary = {
    roundId: request.roundId,
    seq: spec.seq,
    phase: spec.phase,
    audienceId: audience.audienceId,
    standsFor: audience.standsFor,
    requestedAt: new Date().toISOString(),
    components: spec.components,
    excludeComponents: spec.excludeComponents ?? [],
    operatorWording: !!spec.facts.message,
    report: null,
    error: null,
  };
  tracker.deliveries.push(summary);
  tracker.inFlight += 1;
  // Runs that started before the patch always start a notify child.
  if (patched(INLINE_SMALL_ROUNDS)) {
    try {
      const inline = await runRoundInline(request);
      if (inline.inline) {
        summary.report = inline.report;
        tracker.inFlight -= 1;
        return;
      }
    } catch {
      /* the notify round below takes over; the ledger keeps what was sent */
    }
  }
  try {
    const child = await startChild<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: request.roundId,
      args: [request],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    void child
      .result()
      .then((report) => void (summary.report = report))
      .catch((err: Error) => void (summary.error = err.message))
      .finally(() => void (tracker.inFlight -= 1));
  } catch (err) {
    summary.error = (err as Error).message;
    tracker.inFlight -= 1;
  }
}

/**
 * Hands a page change to the page's statusPage workflow. With the page id, it signals the running
 * page workflow directly (no activity: one task and its dispatch fewer before the page shows the
 * change); when that workflow is not running yet, the activity starts it (signal-with-start).
 * Runs that started before the patch always go through the activity.
 */
export async function publishToPage(drill: boolean, change: PageChange, pageId?: string): Promise<void> {
  if (pageId !== undefined && patched(PAGE_CHANGE_BY_SIGNAL)) {
    try {
      await getExternalWorkflowHandle(statusPageWorkflowId(pageId, drill)).signal(pageChangeSignal, change);
      return;
    } catch {
      /* not running (the first change ever, or it ended): the activity starts it */
    }
  }
  await sendPageChange({ drill, change });
}
