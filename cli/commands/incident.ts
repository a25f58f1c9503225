import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { AwaitingApproval, IncidentState, PublishedResult } from '../../workflows/contracts/incident';
import { apiClient, CliError, collect, instant, print, printRecord, withApi, type ApiOptions } from '../client';
import { noteMissing, wordsBody, wordsCell, withWords, type WordsOptions } from '../words';

interface ListedIncident {
  id: string;
  title: string | null;
  status: string | null;
  severity: string | null;
  components: string[];
  startedAt: string;
  /** Running incidents: what waits for approval (null: nothing); absent when it could not be asked. */
  awaitingApproval?: AwaitingApproval | null;
}

/** "#3 to customers, enterprise; goes out by itself 22:40 UTC" — what waits, for whom, until when. */
function waitingCell(w: AwaitingApproval | null | undefined): string | null {
  if (w === undefined) return null;
  if (w === null) return 'nothing';
  const when = w.sendsAt ? `; goes out by itself ${w.sendsAt.slice(11, 16)} UTC` : '';
  return `#${w.seq} to ${w.audiences.join(', ')}${when}`;
}

export function incidentCommand(): Command {
  const incident = new Command('incident').description('declare and drive incidents');

  withApi(
    withWords(
      incident
        .command('declare')
        .description('declare an incident; prints its id')
        .requiredOption('--title <text>', 'what customers see as the incident name')
        .requiredOption('--scenario <id>', 'an incident scenario of the plan (outage, degradation, regional-failover, …)')
        .requiredOption('-c, --component <ids>', 'affected component (repeat or comma-separate)', collect)
        .requiredOption('-m, --message <text>', 'customer-facing words on what is affected')
        .option('--severity <id>', "severity (default: the scenario's)")
        .option('--eta <when>', 'expected resolution (ISO 8601 or +2h)')
        .option('--owner <name>', 'incident owner (escalations go here)')
        .option('--detail <text>', 'internal technical detail (never sent to customers)')
        .option('--wait', 'print the id, then wait until only approvals are outstanding (initial rounds sent), showing progress')
        .option('--wait-timeout <seconds>', 'give up waiting after this long', '120'),
    ),
  ).action(
    async (
      o: ApiOptions &
        WordsOptions & {
          title: string;
          scenario: string;
          component: string[];
          severity?: string;
          eta?: string;
          owner?: string;
          detail?: string;
          wait?: boolean;
          waitTimeout: string;
        },
    ) => {
      const api = apiClient(o);
      const created = await api.post<{ id: string; status: string; missingLocales?: string[] }>('/v1/incidents', {
        title: o.title,
        scenario: o.scenario,
        components: o.component,
        ...(await wordsBody(api, o)),
        ...(o.severity ? { severity: o.severity } : {}),
        ...(o.eta ? { eta: instant(o.eta) } : {}),
        ...(o.owner ? { owner: o.owner } : {}),
        ...(o.detail ? { technicalDetail: o.detail } : {}),
      });
      noteMissing(created.missingLocales);
      if (o.json && !o.wait) return print(o, created);
      // The id first: whatever happens while waiting, the operator has it.
      if (!o.json) console.log(created.id);
      if (!o.wait) return;
      const state = await waitForInitialRounds(api, created.id, Number(o.waitTimeout) * 1000, !o.json);
      if (o.json) print(o, { ...created, deliveries: state.deliveries, awaitingApproval: state.awaitingApproval ?? null });
      else noteWaiting(created.id, state.awaitingApproval);
    },
  );

  withApi(
    withWords(
      incident
        .command('update')
        .description('post an update')
        .argument('<id>', 'incident id')
        .requiredOption('--status <status>', 'investigating, identified or monitoring')
        .requiredOption('-m, --message <text>', 'customer-facing words')
        .option('--eta <when>', 'new ETA (ISO 8601 or +2h); "none" withdraws it')
        .option('-c, --component <ids>', 'newly affected component (repeat or comma-separate)', collect),
    ),
  ).action(async (id: string, o: ApiOptions & WordsOptions & { status: string; eta?: string; component?: string[] }) => {
    const api = apiClient(o);
    const r = await api.post<PublishedResult & { missingLocales?: string[] }>(`/v1/incidents/${encodeURIComponent(id)}/updates`, {
      status: o.status,
      ...(await wordsBody(api, o)),
      ...(o.eta ? { eta: o.eta === 'none' ? null : instant(o.eta) } : {}),
      ...(o.component ? { components: o.component } : {}),
    });
    printPublished(o, r);
    noteMissing(r.missingLocales);
  });

  withApi(
    incident
      .command('impact')
      .description('change severity, components or the impact text')
      .argument('<id>', 'incident id')
      .option('--severity <id>', 'new severity')
      .option('-c, --component <ids>', 'newly affected component (repeat or comma-separate)', collect)
      .option('--impact <text>', 'new customer-facing impact text'),
  ).action(async (id: string, o: ApiOptions & { severity?: string; component?: string[]; impact?: string }) => {
    const r = await apiClient(o).post<PublishedResult>(`/v1/incidents/${encodeURIComponent(id)}/impact`, {
      ...(o.severity ? { severity: o.severity } : {}),
      ...(o.component ? { components: o.component } : {}),
      ...(o.impact ? { impact: o.impact } : {}),
    });
    printPublished(o, r);
  });

  withApi(
    incident
      .command('approve')
      .description('approve external messages waiting for approval (all, or one by --seq)')
      .argument('<id>', 'incident id')
      .option('--seq <n>', 'the publication to approve'),
  ).action(async (id: string, o: ApiOptions & { seq?: string }) => {
    if (o.seq !== undefined && !/^\d+$/.test(o.seq)) throw new CliError('--seq must be a number');
    const r = await apiClient(o).post<{ approved: number[] }>(
      `/v1/incidents/${encodeURIComponent(id)}/approve`,
      o.seq ? { seq: Number(o.seq) } : {},
    );
    if (o.json) print(o, r);
    else console.log(`approved ${r.approved.join(', ')}`);
  });

  withApi(
    incident
      .command('reject')
      .description('reject the external message that waits for approval: the audiences it waits for get nothing of it')
      .argument('<id>', 'incident id')
      .requiredOption('--seq <n>', 'the waiting message (herald incident show <id>)')
      .requiredOption('--reason <text>', 'why it should not go out (kept in the record, never sent)'),
  ).action(async (id: string, o: ApiOptions & { seq: string; reason: string }) => {
    if (!/^\d+$/.test(o.seq)) throw new CliError('--seq must be a number');
    const r = await apiClient(o).post<{ rejected: number[] }>(`/v1/incidents/${encodeURIComponent(id)}/reject`, {
      seq: Number(o.seq),
      reason: o.reason,
    });
    if (o.json) print(o, r);
    else
      console.log(
        `rejected ${r.rejected.join(', ')}: nothing of it goes out; post an update with new words (it waits for approval in turn)`,
      );
  });

  withApi(
    withWords(
      incident
        .command('resolve')
        .description('resolve the incident (announced on every channel that carried it)')
        .argument('<id>', 'incident id')
        .requiredOption('-m, --message <text>', 'customer-facing resolution words')
        .option('--review <url>', 'a post-incident review to follow; the closing message links it'),
    ),
  ).action(async (id: string, o: ApiOptions & WordsOptions & { review?: string }) => {
    const api = apiClient(o);
    const r = await api.post<PublishedResult & { missingLocales?: string[] }>(`/v1/incidents/${encodeURIComponent(id)}/resolve`, {
      ...(await wordsBody(api, o)),
      ...(o.review ? { reviewUrl: o.review } : {}),
    });
    printPublished(o, r);
    noteMissing(r.missingLocales);
  });

  withApi(
    incident
      .command('list')
      .description('list incidents')
      .option('--status <status>', 'investigating, identified, monitoring, resolved or postmortem')
      .option('--component <id>', 'only incidents affecting this component')
      .option('--drill <bool>', 'true: drills only; false: real incidents only'),
  ).action(async (o: ApiOptions & { status?: string; component?: string; drill?: string }) => {
    const q = new URLSearchParams(
      Object.entries({ status: o.status, component: o.component, drill: o.drill }).filter(([, v]) => v !== undefined) as [
        string,
        string,
      ][],
    );
    const r = await apiClient(o).get<{ incidents: ListedIncident[] }>(`/v1/incidents${q.size ? `?${q}` : ''}`);
    print(o, r, () => ({
      head: ['id', 'status', 'severity', 'components', 'title', 'started', 'awaiting approval'],
      rows: r.incidents.map((i) => [
        i.id,
        i.status,
        i.severity,
        i.components.join(', '),
        i.title,
        i.startedAt.slice(0, 16).replace('T', ' '),
        waitingCell(i.awaitingApproval),
      ]),
    }));
  });

  withApi(incident.command('show').description("an incident's state and timeline").argument('<id>', 'incident id')).action(
    async (id: string, o: ApiOptions) => {
      const s = await apiClient(o).get<IncidentState>(`/v1/incidents/${encodeURIComponent(id)}`);
      if (o.json) return print(o, s);
      printRecord(o, s, [
        ['id', s.id],
        ['title', s.title],
        ['status', s.status],
        ['severity', s.severity],
        ['components', s.components.map((c) => `${c} (${s.componentStatuses[c] ?? '—'})`)],
        ['impact', wordsCell(s.impact)],
        ['eta', s.eta],
        ['next update due', s.nextUpdateDue],
        ['monitoring', `${s.monitoring.state}${s.monitoring.since ? ` since ${s.monitoring.since}` : ''}`],
        ['awaiting approval', waitingCell(s.awaitingApproval ?? null)],
      ]);
      print(o, s, () => ({
        head: ['seq', 'at', 'kind', 'status', 'by', 'message'],
        rows: s.timeline.map((e) => [e.seq, e.at.slice(0, 19).replace('T', ' '), e.kind, e.status, e.by, wordsCell(e.message)]),
      }));
      if (s.deliveries.length > 0) {
        print(o, s, () => ({
          head: ['round', 'audience', 'recipients', 'sent', 'failed', 'state'],
          rows: s.deliveries.map((d) => [
            d.roundId,
            d.standsFor,
            d.report?.recipients,
            d.report?.sent,
            d.report?.failedPermanently,
            d.error ? `error: ${d.error}` : d.report ? 'done' : 'running',
          ]),
        }));
      }
    },
  );

  return incident;
}

/** What still waits once the first notice is out to everyone who needs no approval. */
function noteWaiting(id: string, w: AwaitingApproval | null | undefined): void {
  if (!w) return;
  console.error(
    `the message to ${w.audiences.join(', ')} waits for approval (#${w.seq})${w.sendsAt ? `; it goes out by itself in the plan's wording at ${w.sendsAt}` : ''}: herald incident approve ${id} --seq ${w.seq}, or herald incident reject ${id} --seq ${w.seq} --reason …`,
  );
}

function printPublished(o: ApiOptions, r: PublishedResult): void {
  if (o.json) return print(o, r);
  console.log(
    `published #${r.seq}: ${r.status}${r.approval === 'pending' ? ' (external messages wait for approval: herald incident approve)' : ''}${r.nextUpdateDue ? `; next update due ${r.nextUpdateDue}` : ''}`,
  );
}

/**
 * Polls the incident until only approvals are outstanding: every initial round started has a report,
 * and either something waits for approval or rounds went out. Shows rounds done of rounds started.
 */
async function waitForInitialRounds(
  api: ReturnType<typeof apiClient>,
  id: string,
  timeoutMs: number,
  showBar: boolean,
): Promise<IncidentState> {
  const bar = showBar
    ? new SingleBar(
        {
          format: 'initial notice |{bar}| {value}/{total} rounds · {sent} sent · {failed} failed',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  const deadline = Date.now() + timeoutMs;
  let started = false;
  try {
    for (;;) {
      const s = await api.get<IncidentState>(`/v1/incidents/${encodeURIComponent(id)}`);
      const initial = s.deliveries.filter((d) => d.phase === 'initial');
      const done = initial.filter((d) => d.report || d.error);
      const sent = done.reduce((n, d) => n + (d.report?.sent ?? 0), 0);
      const failed = done.reduce((n, d) => n + (d.report?.failedPermanently ?? 0), 0) + done.filter((d) => d.error).length;
      if (bar && initial.length > 0) {
        if (!started) bar.start(initial.length, 0, { sent, failed });
        started = true;
        bar.setTotal(initial.length);
        bar.update(done.length, { sent, failed });
      }
      const waiting = s.awaitingApproval ?? null;
      if (done.length === initial.length && (initial.length > 0 || waiting)) return s;
      if (Date.now() > deadline) {
        throw new CliError(
          `${id}: ${done.length} of ${initial.length} initial rounds finished after ${Math.round(timeoutMs / 1000)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    bar?.stop();
  }
}
