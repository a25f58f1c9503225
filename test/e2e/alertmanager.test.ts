import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { correlationSummaryQuery, correlationWorkflowId } from '../../workflows/contracts/correlation';
import { incidentStateQuery, type IncidentState } from '../../workflows/contracts/incident';
import { freePort } from '../support/ports';
import { eventually } from '../support/temporal';
import { startApi, TOKENS, type ApiHarness } from './api.harness';

// A real Prometheus Alertmanager (Debian's prometheus-alertmanager), started with its own config
// and storage on loopback, sending its webhook (payload v4, bearer token from http_config) to the
// API: one alert group is one incident; re-sent notifications and added alerts join it; resolved
// moves it to monitoring.

const BINARY = process.env.HERALD_ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';

describe(
  'a real Alertmanager drives one incident per alert group',
  { skip: existsSync(BINARY) ? false : `${BINARY} is not installed (apt-get install prometheus-alertmanager)` },
  () => {
    let h: ApiHarness;
    let am: ChildProcess;
    let amUrl: string;
    let dir: string;
    const cluster = `run-${Math.random().toString(36).slice(2, 10)}`;
    const log: string[] = [];

    before(async () => {
      h = await startApi();
      dir = mkdtempSync(join(tmpdir(), 'herald-am-'));
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      writeFileSync(
        join(dir, 'alertmanager.yml'),
        [
          'route:',
          '  receiver: herald',
          "  group_by: ['alertname', 'cluster']",
          '  group_wait: 300ms',
          '  group_interval: 1s',
          '  repeat_interval: 2s',
          '  routes:',
          // The storm: every instance is its own group, so each alert is its own notification.
          '    - matchers: [\'storm="true"\']',
          "      group_by: ['alertname', 'cluster', 'instance']",
          'receivers:',
          '  - name: herald',
          '    webhook_configs:',
          `      - url: ${h.base}/v1/webhooks/alertmanager`,
          '        send_resolved: true',
          '        http_config:',
          '          authorization:',
          `            credentials: ${TOKENS.webhook}`,
          '',
        ].join('\n'),
      );
      am = spawn(
        BINARY,
        [
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `--storage.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      am.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
      await eventually(
        async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined),
        15_000,
        `Alertmanager to be ready (${log.join('').slice(-500)})`,
      );
    });

    after(async () => {
      if (am && am.exitCode === null) {
        am.kill('SIGTERM');
        await new Promise((r) => am.once('exit', r));
      }
      await h?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const push = async (alerts: { labels: Record<string, string>; endsAt?: string }[]) => {
      const res = await fetch(`${amUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          alerts.map((a) => ({
            labels: a.labels,
            annotations: { summary: `${a.labels.alertname} on ${a.labels.instance}` },
            startsAt: new Date(Date.now() - 1000).toISOString(),
            ...(a.endsAt ? { endsAt: a.endsAt } : {}),
            generatorURL: 'http://prometheus.local/graph',
          })),
        ),
      });
      assert.equal(res.status, 200, await res.text());
    };

    /**
     * The incidents Alertmanager opened for this test's group (its `cluster` label is unique), as the
     * page's alert router knows them (visibility lists are eventually consistent; the router is not).
     */
    const ours = async (): Promise<IncidentState[]> => {
      const out: IncidentState[] = [];
      const known = await h.t.client.workflow
        .getHandle(correlationWorkflowId(h.plan.page.id))
        .query(correlationSummaryQuery)
        .catch(() => undefined);
      for (const { id } of known?.incidents ?? []) {
        const s = await h.t.client.workflow
          .getHandle(id)
          .query(incidentStateQuery)
          .catch(() => undefined);
        if (s?.monitoring.alerts.some((a) => a.labels?.cluster === cluster)) out.push(s);
      }
      return out;
    };
    /** Firing notifications received: signalled, or acknowledged as an identical re-send (the ledger). */
    const firingDeliveries = async () => {
      const text = await (await h.call('GET', '/metrics', undefined, null)).text();
      const n = (result: string) =>
        Number(new RegExp(`herald_webhooks_total\\{source="alertmanager",result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return { firing: n('firing'), duplicate: n('duplicate') };
    };

    const a = { alertname: 'PaymentsDown', cluster, component: 'payments', severity: 'major', instance: 'pay-1' };
    const b = { ...a, instance: 'inv-1', component: 'invoicing', severity: 'critical' };

    test('a firing group opens exactly one incident on the mapped component; re-sent and added alerts join it (an added component widens it, a more severe alert raises its severity); resolved moves it to monitoring', async () => {
      await push([{ labels: a }]);
      const [opened] = await eventually(
        async () => {
          const list = await ours();
          return list.length > 0 ? list : undefined;
        },
        20_000,
        'the incident Alertmanager opens',
      );
      assert.match(opened!.id, /^incident-alertmanager-[0-9a-f]{16}$/);
      assert.deepEqual(opened!.components, ['payments']);
      assert.equal(opened!.severity, 'sev2');
      assert.equal(opened!.scenario, 'outage');
      assert.equal(opened!.status, 'investigating');
      assert.equal(opened!.monitoring.state, 'firing');
      assert.equal(opened!.timeline[0]!.by, 'monitoring:alertmanager');

      // Re-sent notifications (repeat_interval 2 s) and a second alert of the same group.
      const deliveriesBefore = await firingDeliveries();
      await push([{ labels: a }, { labels: b }]);
      const joined = await eventually(
        async () => {
          const list = await ours();
          const s = list.find((x) => x.id === opened!.id);
          const now = await firingDeliveries();
          return s &&
            s.monitoring.alerts.length >= 2 &&
            now.firing >= deliveriesBefore.firing + 1 &&
            now.duplicate >= deliveriesBefore.duplicate + 1
            ? list
            : undefined;
        },
        20_000,
        'the added alert and a re-sent notification to reach the incident',
      );
      assert.equal(joined.length, 1, `one incident for the group, got ${joined.map((s) => s.id).join(', ')}`);
      assert.deepEqual(joined[0]!.monitoring.alerts.map((x) => x.labels?.instance).sort(), ['inv-1', 'pay-1']);
      // The added alert names another component and is more severe: the incident widens to it, its
      // subscribers get the initial notice (the others are not told twice), and the severity rises
      // with the update cadence following it (outage: sev2 every hour, sev1 every 30 minutes).
      const widened = await eventually(
        async () => {
          const s = (await ours())[0]!;
          return s.components.includes('invoicing') && s.severity === 'sev1' ? s : undefined;
        },
        10_000,
        'the incident to widen to invoicing and rise to sev1',
      );
      assert.deepEqual(widened.components, ['payments', 'invoicing']);
      assert.equal(widened.componentStatuses.invoicing, widened.componentStatuses.payments);
      assert.equal(
        widened.timeline.filter((e) => e.kind === 'impact' && e.by === 'monitoring:alertmanager').length,
        1,
        're-sent notifications do not widen it again',
      );
      const initial = widened.deliveries.filter((d) => d.phase === 'initial' && d.components.includes('invoicing'));
      assert.ok(initial.length > 0, 'the initial notice goes to the subscribers of invoicing');
      for (const d of initial) assert.deepEqual([d.components, d.excludeComponents], [['invoicing'], ['payments']]);
      assert.equal(Date.parse(widened.nextUpdateDue!) - Date.parse(widened.lastPublishedAt), 30 * 60_000);

      // Both alerts end: Alertmanager sends the group as resolved.
      const ended = new Date(Date.now() - 500).toISOString();
      await push([
        { labels: a, endsAt: ended },
        { labels: b, endsAt: ended },
      ]);
      const resolved = await eventually(
        async () => {
          const list = await ours();
          return list.length === 1 && list[0]!.status === 'monitoring' ? list[0] : undefined;
        },
        20_000,
        'resolved to reach the incident as monitoring',
      );
      assert.equal(resolved.id, opened!.id);
      assert.equal(resolved.monitoring.state, 'resolved');
      assert.ok(resolved.timeline.some((e) => e.kind === 'monitoring' && e.by === 'monitoring:alertmanager'));
      assert.equal((await ours()).length, 1, 'still exactly one incident');
    });

    test('a storm of 300 alert groups for one component opens one incident, which goes to monitoring only when all 300 have resolved', async () => {
      const router = h.t.client.workflow.getHandle(correlationWorkflowId(h.plan.page.id));
      const summary = () => router.query(correlationSummaryQuery);
      const storm = Array.from({ length: 300 }, (_, i) => ({
        alertname: 'WebsiteErrors',
        storm: 'true',
        cluster,
        component: 'website',
        severity: 'major',
        instance: `web-${i}`,
      }));
      await push(storm.map((labels) => ({ labels })));
      const opened = await eventually(
        async () => {
          const s = await summary();
          const website = s.incidents.filter((i) => i.components.includes('website'));
          return website.length > 0 && website.reduce((n, i) => n + i.alerts, 0) >= 300 && s.queued === 0 ? website : undefined;
        },
        90_000,
        'Alertmanager to deliver the 300 groups',
      );
      assert.deepEqual(
        opened.map((i) => [i.alerts, i.firing]),
        [[300, 300]],
        'one incident took all 300',
      );
      const id = opened[0]!.id;
      const metrics = await (await h.call('GET', '/metrics', undefined, null)).text();
      const firing = Number(/herald_webhooks_total\{source="alertmanager",result="firing"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      assert.ok(firing >= 300, `Alertmanager sent one notification per group (${firing} firing deliveries)`);

      const ended = new Date(Date.now() - 500).toISOString();
      await push(storm.slice(0, 299).map((labels) => ({ labels, endsAt: ended })));
      await eventually(
        async () => ((await summary()).incidents.find((i) => i.id === id)?.firing === 1 ? true : undefined),
        90_000,
        '299 resolutions',
      );
      assert.equal((await h.t.client.workflow.getHandle(id).query(incidentStateQuery)).status, 'investigating');
      await push([{ labels: storm[299]!, endsAt: new Date(Date.now() - 500).toISOString() }]);
      const watched = await eventually(
        async () => {
          const s = await h.t.client.workflow.getHandle(id).query(incidentStateQuery);
          return s.status === 'monitoring' ? s : undefined;
        },
        30_000,
        'the last resolution to move it to monitoring',
      );
      assert.equal(watched.monitoring.state, 'resolved');
      assert.equal((await summary()).incidents.filter((i) => i.components.includes('website')).length, 1);
    });
  },
);
