import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../core/config';
import type { NotifyReport } from '../core/notify';
import { NOTIFY_WORKFLOW, type NotifyWorkflow } from '../workflows/contracts/notify';
import { arg, argText, benchRequest, startWorker, withBenchRig } from './fanout';

// `npm run chaos:kill-worker -- --recipients N --kills K`: one round of N recipients (half e-mail via
// SES v2, half SMS via Pinpoint, to local AWS regions), during which the worker process is killed
// with SIGKILL K times — each time when another 1/(K+1) of the messages has been accepted — and
// restarted. Every message must arrive; repeats may only come from requests in flight at a kill,
// which the ledger flags as possible duplicates. The last line is JSON:
// {"recipients","delivered","lost","duplicates","duplicateBound","kills","repeatsPerKillPercent","inFlightRecipients"}
// (delivered: distinct recipients the providers accepted; duplicateBound: the round's reported
// possible duplicates — what the ledger found in flight at the kills; repeatsPerKillPercent: the
// repeats per kill as a share of the round, against the bound HERALD_IN_FLIGHT_RECIPIENTS; --in-flight N
// sets it, 0 removes it).

async function main() {
  const recipients = arg('recipients', 20_000);
  const kills = Math.floor(arg('kills', 3));
  const batch = arg('batch', 500);
  const page = arg('page', 10_000);
  const concurrency = arg('concurrency', 8);
  const providerConcurrency = argText('provider-concurrency', '16');
  await withBenchRig({ name: 'chaos', recipients, batch, page, concurrency, providerConcurrency }, async (rig) => {
    const { env, fake, server } = rig;
    let worker = (rig.worker = startWorker(env));
    await worker.ready;
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const roundId = `chaos-${Date.now()}`;
    const started = Date.now();
    const handle = await client.workflow.start<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: roundId,
      taskQueue: 'chaos',
      args: [benchRequest(roundId)],
    });
    let done = false;
    const outcome = handle.result().finally(() => (done = true));
    let killed = 0;
    while (!done && killed < kills) {
      const threshold = (recipients * (killed + 1)) / (kills + 1);
      const { accepted } = await fake.stats();
      if (accepted >= threshold) {
        worker.proc.kill('SIGKILL');
        await new Promise((r) => worker.proc.once('exit', r));
        killed++;
        console.error(
          `kill ${killed}: SIGKILL at ${accepted} accepted messages (${((Date.now() - started) / 1000).toFixed(1)} s); restarting the worker`,
        );
        worker = rig.worker = startWorker(env);
        await worker.ready;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    const report: NotifyReport = await outcome;
    const stats = await fake.stats();
    await connection.close();
    const window = Number(env.HERALD_IN_FLIGHT_RECIPIENTS ?? loadConfig(env).delivery.inFlightRecipients);
    const perKill = killed ? stats.duplicates / killed : 0;
    const pct = (n: number) => `${((100 * n) / recipients).toFixed(2)} % of the round`;
    console.error(
      `round done in ${((Date.now() - started) / 1000).toFixed(1)} s: sent ${report.sent}, failed ${report.failedPermanently}, retried ${report.retried}, possible duplicates ${report.possibleDuplicates}`,
    );
    console.error(
      `repeats per kill: ${Math.round(perKill)} on average (${pct(perKill)}); ` +
        (window > 0
          ? `bound per kill: HERALD_IN_FLIGHT_RECIPIENTS = ${window} recipients in flight in the worker (${pct(window)})`
          : `no recipient bound (HERALD_IN_FLIGHT_RECIPIENTS=0): up to ${concurrency} batches × ${providerConcurrency} requests of up to 50 (SES bulk) or 100 (Pinpoint) recipients`),
    );
    return JSON.stringify({
      recipients,
      delivered: stats.unique,
      lost: recipients - stats.unique,
      duplicates: stats.duplicates,
      duplicateBound: report.possibleDuplicates,
      kills: killed,
      repeatsPerKillPercent: Number(((100 * perKill) / recipients).toFixed(2)),
      inFlightRecipients: window,
    });
  });
}

main().catch((err) => {
  console.error(`chaos: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
