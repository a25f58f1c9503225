import { Command } from 'commander';
import type { MaintenanceState } from '../../workflows/contracts/maintenance';
import type { PlannedReminder } from '../../core/maintenanceReminders';
import { apiClient, collect, instant, print, printRecord, withApi, type ApiOptions } from '../client';
import { noteMissing, wordsBody, wordsCell, withWords, type WordsOptions } from '../words';

/** A change's answer: the state, and the external locales that get the plan's wording when words were given. */
type Answer = MaintenanceState & { missingLocales?: string[] };

interface ListedMaintenance {
  id: string;
  title: string | null;
  status: string | null;
  components: string[];
  createdAt: string;
}

export function maintenanceCommand(): Command {
  const maintenance = new Command('maintenance').description('schedule and drive maintenance windows');

  withApi(
    withWords(
      maintenance
        .command('schedule')
        .description('schedule a window; prints its id')
        .requiredOption('--title <text>', 'what customers see')
        .requiredOption('-c, --component <ids>', 'affected component (repeat or comma-separate)', collect)
        .requiredOption('--from <when>', 'start (ISO 8601 or +2d)')
        .requiredOption('--until <when>', 'end (ISO 8601 or +2d)')
        .requiredOption('-m, --message <text>', 'customer-facing words on what the work means for them')
        .option('--scenario <id>', 'a maintenance scenario of the plan', 'maintenance')
        .option('--owner <name>', 'owner')
        .option('--detail <text>', 'internal technical detail'),
    ),
  ).action(
    async (
      o: ApiOptions &
        WordsOptions & {
          title: string;
          component: string[];
          from: string;
          until: string;
          scenario: string;
          owner?: string;
          detail?: string;
        },
    ) => {
      const api = apiClient(o);
      const r = await api.post<{ id: string; status: string; missingLocales?: string[] }>('/v1/maintenances', {
        title: o.title,
        scenario: o.scenario,
        components: o.component,
        scheduledFor: instant(o.from),
        scheduledUntil: instant(o.until),
        ...(await wordsBody(api, o)),
        ...(o.owner ? { owner: o.owner } : {}),
        ...(o.detail ? { technicalDetail: o.detail } : {}),
      });
      if (o.json) print(o, r);
      else console.log(r.id);
      noteMissing(r.missingLocales);
    },
  );

  withApi(
    withWords(
      maintenance
        .command('reschedule')
        .description('move the window (reminders are re-timed and customers told)')
        .argument('<id>', 'maintenance id')
        .requiredOption('--from <when>', 'new start')
        .requiredOption('--until <when>', 'new end')
        .option('-m, --message <text>', 'why, in customer words'),
    ),
  ).action(async (id: string, o: ApiOptions & WordsOptions & { from: string; until: string }) => {
    const api = apiClient(o);
    const s = await api.post<Answer>(`/v1/maintenances/${encodeURIComponent(id)}/reschedule`, {
      scheduledFor: instant(o.from),
      scheduledUntil: instant(o.until),
      ...(await wordsBody(api, o)),
    });
    summary(o, s);
    noteMissing(s.missingLocales);
  });

  for (const [name, what] of [
    ['cancel', 'cancel a window that has not started'],
    ['complete', 'complete a window in progress'],
  ] as const) {
    withApi(
      withWords(
        maintenance
          .command(name)
          .description(what)
          .argument('<id>', 'maintenance id')
          .option('-m, --message <text>', 'customer-facing words'),
      ),
    ).action(async (id: string, o: ApiOptions & WordsOptions) => {
      const api = apiClient(o);
      const s = await api.post<Answer>(`/v1/maintenances/${encodeURIComponent(id)}/${name}`, await wordsBody(api, o));
      summary(o, s);
      noteMissing(s.missingLocales);
    });
  }

  withApi(
    withWords(
      maintenance
        .command('update')
        .description('post progress')
        .argument('<id>', 'maintenance id')
        .requiredOption('-m, --message <text>', 'customer-facing words'),
    ),
  ).action(async (id: string, o: ApiOptions & WordsOptions) => {
    const api = apiClient(o);
    const s = await api.post<Answer>(`/v1/maintenances/${encodeURIComponent(id)}/updates`, await wordsBody(api, o));
    summary(o, s);
    noteMissing(s.missingLocales);
  });

  withApi(
    maintenance
      .command('list')
      .description('list maintenance windows')
      .option('--status <status>', 'scheduled, in_progress, completed or cancelled')
      .option('--component <id>', 'only windows affecting this component')
      .option('--drill <bool>', 'true: drills only; false: real windows only'),
  ).action(async (o: ApiOptions & { status?: string; component?: string; drill?: string }) => {
    const q = new URLSearchParams(
      Object.entries({ status: o.status, component: o.component, drill: o.drill }).filter(([, v]) => v !== undefined) as [
        string,
        string,
      ][],
    );
    const r = await apiClient(o).get<{ maintenances: ListedMaintenance[] }>(`/v1/maintenances${q.size ? `?${q}` : ''}`);
    print(o, r, () => ({
      head: ['id', 'status', 'components', 'title', 'created'],
      rows: r.maintenances.map((m) => [
        m.id,
        m.status,
        m.components.join(', '),
        m.title,
        m.createdAt.slice(0, 16).replace('T', ' '),
      ]),
    }));
  });

  withApi(maintenance.command('show').description("a window's state and timeline").argument('<id>', 'maintenance id')).action(
    async (id: string, o: ApiOptions) => {
      const s = await apiClient(o).get<MaintenanceState & { reminders?: PlannedReminder[] }>(
        `/v1/maintenances/${encodeURIComponent(id)}`,
      );
      if (o.json) return print(o, s);
      summary(o, s);
      print(o, s, () => ({
        head: ['seq', 'at', 'phase', 'status', 'by', 'message'],
        rows: s.timeline.map((e) => [e.seq, e.at.slice(0, 19).replace('T', ' '), e.phase, e.status, e.by, wordsCell(e.message)]),
      }));
    },
  );

  return maintenance;
}

function summary(o: ApiOptions, s: MaintenanceState & { reminders?: PlannedReminder[] }): void {
  printRecord(o, s, [
    ['id', s.id],
    ['title', s.title],
    ['status', s.status],
    ['components', s.components],
    ['message', wordsCell(s.message)],
    ['window', `${s.scheduledFor} – ${s.scheduledUntil}`],
    ['reminders sent', s.remindersSent.length],
    ...(s.reminders ?? []).map((r) => [`reminder ${r.before} before`, `${r.at} (${r.state})`] as [string, string]),
  ]);
}
