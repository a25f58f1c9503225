import {
  ApplicationFailure,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { NotifyReport, NotifyRequest } from '../core/notify';
import type { Channel } from '../core/plan/schema';
import type { HeraldActivities } from '../activities';
import type { BatchResult, ChannelTally } from '../activities/deliver';
import { notifyProgressQuery, type NotifyProgress, type NotifyProgressView } from './contracts/notify';
import { NOTIFY_LOCAL_PREPARE } from './patches';

// One message round to one audience. Prepare (render once per locale and channel, guard, save),
// then page through the audience: each page is split into batch activities run a few at a time;
// after each page the workflow continues as new with its progress, so a million recipients never
// strain the history. The report is counted from the delivery ledger.

const roundRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: ['GuardRefused', 'RenderFailed'],
};
const { prepareRound, planAudiencePage, finishRound } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '2 minutes',
  retry: roundRetry,
});

// Preparing the round, planning a page and the report as local activities: the worker runs them
// inside the workflow task that asked for them, so the round's first task schedules the first
// deliverBatch and the task after the last batch completes the round (three activity tasks and
// three workflow tasks fewer per round; the first two on the path to the first notice). Same
// functions, same retries; runs that started before NOTIFY_LOCAL_PREPARE use the proxies above.
const local = proxyLocalActivities<HeraldActivities>({ startToCloseTimeout: '2 minutes', retry: roundRetry });

// A batch waits as long as it must when every region is down (the round completes when one returns);
// a dead worker is noticed by the missing heartbeat.
const { deliverBatch } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['RoundNotFound'] },
});

export async function notify(request: NotifyRequest, progress?: NotifyProgress): Promise<NotifyReport> {
  let phase: NotifyProgressView['phase'] = progress ? 'sending' : 'preparing';
  let inFlight = 0;
  const state: NotifyProgress = progress ?? {
    cursor: null,
    pages: 0,
    recipients: 0,
    expected: 0,
    totals: {},
    startedAt: new Date().toISOString(),
    settings: { pageSize: 0, batchSize: 0, concurrency: 0 },
  };

  setHandler(notifyProgressQuery, () => {
    const sum = (k: keyof ChannelTally) => Object.values(state.totals).reduce((n, t) => n + (t?.[k] ?? 0), 0);
    return {
      roundId: request.roundId,
      phase,
      expected: state.expected,
      recipients: state.recipients,
      pages: state.pages,
      batchesInFlight: inFlight,
      sent: sum('sent'),
      failed: sum('failed'),
      suppressed: sum('suppressed'),
      optedOut: sum('optedOut'),
      byChannel: state.totals,
      startedAt: state.startedAt,
    };
  });

  const inline = patched(NOTIFY_LOCAL_PREPARE);
  if (!progress) {
    const prepared = await (inline ? local.prepareRound : prepareRound)(request);
    state.expected = prepared.recipients;
    state.settings = { pageSize: prepared.pageSize, batchSize: prepared.batchSize, concurrency: prepared.concurrency };
    phase = 'sending';
  }

  const page = await (inline ? local.planAudiencePage : planAudiencePage)({
    request,
    afterId: state.cursor,
    pageSize: state.settings.pageSize,
    batchSize: state.settings.batchSize,
  });
  // A few batches at a time; each finished batch makes room for the next.
  const queue = [...page.batches];
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      inFlight++;
      try {
        add(state, await deliverBatch({ request, afterId: b.afterId, throughId: b.throughId, count: b.count }));
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, state.settings.concurrency) }, worker));
  state.cursor = page.nextCursor;
  state.pages++;

  if (!page.done) {
    if (state.pages > 100_000)
      throw ApplicationFailure.nonRetryable('the audience did not end after 100,000 pages', 'RunawayRound');
    await continueAsNew<typeof notify>(request, state);
  }

  phase = 'reporting';
  const report = await (inline ? local.finishRound : finishRound)({
    request,
    startedAt: state.startedAt,
    recipients: state.recipients,
  });
  phase = 'done';
  return report;
}

function add(state: NotifyProgress, r: BatchResult): void {
  state.recipients += r.recipients;
  for (const [channel, t] of Object.entries(r.byChannel) as [Channel, ChannelTally][]) {
    const into = (state.totals[channel] ??= {
      sent: 0,
      failed: 0,
      suppressed: 0,
      optedOut: 0,
      retried: 0,
      possibleDuplicates: 0,
    });
    for (const k of Object.keys(into) as (keyof ChannelTally)[]) into[k] += t[k];
  }
}
