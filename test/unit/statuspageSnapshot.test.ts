import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Plan } from '../../core/plan/schema';
import { dayOf, lastDays, startOfDay } from '../../core/statuspage/days';
import { negotiateLocale } from '../../core/statuspage/locale';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import { componentUptime } from '../../core/statuspage/uptime';
import { examplePlan } from '../support/config';
import { STATE_NOW, openIncident, pageState, pastIncident } from '../support/pageStates';

// The snapshot as files: pages per locale, uptime bars, feeds, the banner data and the error pages.

const plan = examplePlan();
const TEMPLATES = join(__dirname, '..', '..', 'templates');
const text = (snapshot: Map<string, { body: Buffer }>, path: string) => {
  const f = snapshot.get(path);
  assert.ok(f, `the snapshot has ${path}`);
  return f.body.toString();
};

describe('the snapshot', () => {
  test('is pure: the same state renders the same bytes', () => {
    const a = buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES);
    const b = buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [path, f] of a) assert.deepEqual(f.body, b.get(path)!.body, path);
  });

  test('has the status page, history and every incident page in en and zh-TW, linked to each other with hreflang', () => {
    const s = buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES);
    for (const path of ['index.html', 'history.html', 'incidents/inc-api-errors.html', 'incidents/inc-past-1.html']) {
      const en = text(s, path);
      const zh = text(s, `zh-TW/${path}`);
      assert.match(en, /<html lang="en">/, path);
      assert.match(zh, /<html lang="zh-TW">/, path);
      assert.ok(
        en.includes(
          `<link rel="alternate" hreflang="zh-TW" href="http://localhost:8080/zh-TW/${path === 'index.html' ? '' : path}">`,
        ),
        path,
      );
      assert.ok(
        zh.includes(`<link rel="alternate" hreflang="en" href="http://localhost:8080/${path === 'index.html' ? '' : path}">`),
        path,
      );
    }
    assert.match(text(s, 'index.html'), /<a href="zh-TW\/" hreflang="zh-TW" lang="zh-TW" data-lang-switch>繁體中文<\/a>/);
    assert.match(text(s, 'zh-TW/index.html'), /<a href="..\/" hreflang="en" lang="en" data-lang-switch>English<\/a>/);
    assert.match(text(s, 'zh-TW/incidents/inc-api-errors.html'), /href="..\/..\/zh-TW\/history.atom"/);
  });

  test('the status page shows the incident with updates newest first, its ETA and next update in the page time zone, and text for every status', () => {
    const s = buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES);
    const en = text(s, 'index.html');
    assert.match(en, /Partial system outage/);
    assert.ok(en.indexOf('We have found the cause') < en.indexOf('Some API requests'), 'newest update first');
    assert.match(en, /Expected resolution<\/dt><dd><time datetime="2026-03-10T12:00:00.000Z">Tue, Mar 10, 12:00 UTC<\/time>/);
    assert.match(en, /Next update by<\/dt><dd><time datetime="2026-03-10T10:20:00.000Z">Tue, Mar 10, 10:20 UTC<\/time>/);
    assert.match(en, /Partial outage<\/span>/);
    assert.match(en, /Degraded performance<\/span>/);
    const zh = text(s, 'zh-TW/index.html');
    assert.match(zh, /公開 API 發生錯誤/);
    assert.match(zh, /我們已找到原因/);
    assert.match(zh, /預計恢復時間<\/dt><dd><time datetime="2026-03-10T12:00:00.000Z">3月10日（週二）12:00 UTC<\/time>/);
    assert.match(zh, /部分中斷/);
  });

  test('maintenance: in progress and upcoming windows are shown, with the window in the page time zone', () => {
    const taipei: Plan = { ...plan, page: { ...plan.page, timeZone: 'Asia/Taipei' } };
    const s = buildSnapshot(taipei, pageState(taipei, 'maintenance'), TEMPLATES);
    const en = text(s, 'index.html');
    assert.match(en, /Maintenance in progress/);
    assert.match(en, /Scheduled maintenance/);
    assert.match(en, /Tue, Mar 10, 17:30 GMT\+8<\/time> – <time datetime="[^"]+">Tue, Mar 10, 19:30 GMT\+8/);
    assert.match(en, /Service under maintenance/);
    assert.match(text(s, 'maintenance.html'), /Invoicing database upgrade/);
    assert.match(text(s, 'maintenance.html'), /Network maintenance/, 'the maintenance page also names the next window');
  });

  test('escapes what operators write everywhere it appears', () => {
    const state = pageState(plan, 'incident');
    const i = state.incidents.find((x) => x.id === 'inc-api-errors')!;
    i.name = '<script>alert("x")</script> & <b>';
    i.names = undefined;
    i.updates[1]!.body = '<img src=x onerror=alert(1)>';
    i.updates[1]!.bodies = undefined;
    const s = buildSnapshot(plan, state, TEMPLATES);
    for (const path of [
      'index.html',
      'incidents/inc-api-errors.html',
      'history.html',
      '503.html',
      'history.atom',
      'history.rss',
    ]) {
      const body = text(s, path);
      assert.doesNotMatch(body, /<script>alert|<img src=x/, path);
    }
    assert.match(text(s, 'index.html'), /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;b&gt;/);
    assert.equal(
      JSON.parse(text(s, 'embed/banner.json')).items[0].text.en.title,
      'Incident: <script>alert("x")</script> & <b>',
      'JSON carries the text as data',
    );
  });

  test('feeds: one Atom and one RSS entry per incident and maintenance, newest activity first, per locale', () => {
    const s = buildSnapshot(plan, pageState(plan, 'maintenance'), TEMPLATES);
    const atom = text(s, 'history.atom');
    assert.match(atom, /^<\?xml version="1.0" encoding="utf-8"\?>\s*<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    assert.equal((atom.match(/<entry>/g) ?? []).length, 4);
    assert.ok(atom.indexOf('Invoicing database upgrade') < atom.indexOf('Card payments failing'));
    assert.match(atom, /<id>http:\/\/localhost:8080\/incidents\/mnt-db-upgrade.html<\/id>/);
    assert.match(atom, /<author>\s*<name>Acme Cloud Status<\/name>/, 'Atom needs an author');
    assert.match(atom, /<link rel="self" href="http:\/\/localhost:8080\/history.atom"\/>/);
    const rss = text(s, 'history.rss');
    assert.match(rss, /<rss version="2.0"/);
    assert.equal((rss.match(/<item>/g) ?? []).length, 4);
    assert.match(text(s, 'zh-TW/history.atom'), /帳單資料庫升級/);
    assert.match(text(s, 'zh-TW/history.atom'), /<link href="http:\/\/localhost:8080\/zh-TW\/incidents\/mnt-db-upgrade.html"/);
  });

  test('banner.json: open incidents and maintenance (and windows starting within a day), worded per locale, keyed by the latest update', () => {
    const incident = JSON.parse(text(buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES), 'embed/banner.json'));
    assert.deepEqual(
      incident.items.map((i: { id: string; update_id: string; level: string }) => [i.id, i.update_id, i.level]),
      [['inc-api-errors', 'inc-api-errors-u2', 'major']],
    );
    assert.equal(incident.items[0].text['zh-TW'].url, 'http://localhost:8080/zh-TW/incidents/inc-api-errors.html');
    const maintenance = JSON.parse(text(buildSnapshot(plan, pageState(plan, 'maintenance'), TEMPLATES), 'embed/banner.json'));
    assert.deepEqual(
      maintenance.items.map((i: { id: string; level: string }) => [i.id, i.level]),
      [
        ['mnt-db-upgrade', 'maintenance'],
        ['mnt-network', 'scheduled'],
      ],
    );
    const resolved = JSON.parse(text(buildSnapshot(plan, pageState(plan, 'resolved'), TEMPLATES), 'embed/banner.json'));
    assert.deepEqual(resolved.items, []);
    assert.match(text(buildSnapshot(plan, pageState(plan, 'resolved'), TEMPLATES), 'embed/banner.js'), /localStorage/);
  });

  test('error pages are self-contained, state the current status in every locale and link to the status page', () => {
    const s = buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES);
    for (const path of ['502.html', '503.html', '504.html', '404.html', 'maintenance.html']) {
      const html = text(s, path);
      assert.doesNotMatch(html, /<script|<link (?!rel="icon" href="data:,">)|src=|@import|url\(/, `${path} loads nothing else`);
      assert.match(html, /<style>/);
      assert.match(html, /<section lang="en"/);
      assert.match(html, /<section lang="zh-TW"/);
      assert.match(html, /href="http:\/\/localhost:8080\/"/);
      assert.match(html, /href="http:\/\/localhost:8080\/zh-TW\/"/);
      assert.match(html, /Partial system outage/);
      assert.match(html, /部分系統中斷/);
    }
    assert.match(text(s, '503.html'), /Errors on the public API[\s\S]*Expected resolution: Tue, Mar 10, 12:00 UTC/);
    for (const type of ['outage', 'maintenance', 'upstream-failure', 'upstream-timeout', 'throttled', 'quota-exceeded']) {
      assert.match(
        text(s, `problems/${type}.html`),
        new RegExp(`http://localhost:8080/problems/${type}`),
        `the problem type ${type} is documented at its URI`,
      );
    }
  });

  test('error pages list ten open incidents at most and say how many more the status page has', () => {
    const state = pageState(plan, 'operational');
    for (let i = 0; i < 330; i++) state.incidents.push({ ...openIncident(), id: `inc-open-${i}`, name: `Open incident ${i}` });
    const s = buildSnapshot(plan, state, TEMPLATES);
    for (const path of ['404.html', '503.html']) {
      const html = text(s, path);
      assert.equal(html.match(/<li>/g)?.length, 20, `${path}: ten items in each of the two locales`);
      assert.match(html, /And 320 more on the status page\./);
      assert.match(html, /另有 320 項，請見狀態頁面。/);
      assert.ok(html.length < 40_000, `${path} is ${html.length} bytes`);
    }
    assert.doesNotMatch(text(buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES), '404.html'), /more on the status page/);
  });

  test('history from a store is merged in, and stored days win over computed ones', () => {
    const state = pageState(plan, 'operational');
    const old = pastIncident('inc-from-store', 70, 60);
    const s = buildSnapshot(plan, state, TEMPLATES, {
      history: {
        incidents: [old],
        componentDays: {
          api: {
            '2026-03-01': { worst: 'major_outage', majorOutageSeconds: 864, partialOutageSeconds: 0, maintenanceSeconds: 0 },
          },
        },
      },
    });
    assert.ok(s.has('incidents/inc-from-store.html'));
    assert.match(text(s, 'history.html'), /inc-from-store/);
    assert.ok(JSON.parse(text(s, 'api/v2/incidents.json')).incidents.some((i: { id: string }) => i.id === 'inc-from-store'));
    assert.match(text(s, 'index.html'), /Public API: 99.98 % uptime over the past 90 days/);
  });
});

describe('uptime bars', () => {
  test('a 95-minute major outage 12 days ago marks that day and costs its share of 90 days', () => {
    const [payments] = componentUptime({
      plan: { ...plan, components: plan.components.filter((c) => c.id === 'payments') },
      since: '2025-01-01T00:00:00Z',
      now: STATE_NOW.toISOString(),
      incidents: [pastIncident('x', 12, 95)],
      maintenances: [],
    });
    assert.equal(payments!.days.length, 90);
    assert.equal(payments!.days.at(-1)!.day, '2026-03-10');
    const day = payments!.days.find((d) => d.day === '2026-02-26')!;
    assert.equal(day.worst, 'major_outage');
    assert.equal(day.majorOutageSeconds, 95 * 60);
    assert.deepEqual(
      day.events.map((e) => e.id),
      ['x'],
    );
    const observed = 89 * 86400 + 10 * 3600;
    assert.equal(payments!.percent, (Math.floor((1 - 5700 / observed) * 10000) / 100).toFixed(2));
    assert.ok(payments!.days.filter((d) => d.day !== '2026-02-26').every((d) => d.worst === 'operational'));
  });

  test('partial outage counts 30 %, degraded and maintenance not at all, the worst status wins where they overlap', () => {
    const incident = openIncident();
    const [website, api] = componentUptime({
      plan,
      since: '2025-01-01T00:00:00Z',
      now: STATE_NOW.toISOString(),
      incidents: [incident],
      maintenances: [],
    });
    const apiToday = api!.days.at(-1)!;
    assert.equal(apiToday.worst, 'partial_outage');
    assert.equal(apiToday.partialOutageSeconds, 45 * 60);
    const websiteToday = website!.days.at(-1)!;
    assert.equal(websiteToday.worst, 'degraded_performance');
    assert.equal(website!.percent, '100.00');
  });

  test('days before the page existed have no data, and days follow the page time zone', () => {
    const [website] = componentUptime({
      plan,
      since: '2026-03-08T12:00:00Z',
      now: STATE_NOW.toISOString(),
      incidents: [],
      maintenances: [],
    });
    assert.equal(website!.days.filter((d) => !d.noData).length, 3);
    assert.equal(dayOf('2026-03-09T20:00:00Z', 'Asia/Taipei'), '2026-03-10');
    assert.equal(new Date(startOfDay('2026-03-10', 'Asia/Taipei')).toISOString(), '2026-03-09T16:00:00.000Z');
    assert.equal(new Date(startOfDay('2026-03-08', 'America/New_York')).toISOString(), '2026-03-08T05:00:00.000Z');
    const dst = lastDays(Date.parse('2026-03-09T12:00:00Z'), 2, 'America/New_York');
    assert.equal((dst[0]!.end - dst[0]!.start) / 3600_000, 23, 'the day clocks spring forward has 23 hours');
  });
});

describe('Accept-Language negotiation', () => {
  const supported = ['en', 'zh-TW'];
  for (const [header, expected] of [
    ['zh-TW,zh;q=0.9,en;q=0.8', 'zh-TW'],
    ['zh-HK', 'zh-TW'],
    ['zh-Hant-TW', 'zh-TW'],
    ['fr-FR, en;q=0.5', 'en'],
    ['en;q=0.2, zh-TW;q=0.9', 'zh-TW'],
    ['de', 'en'],
    ['zh-TW;q=0, en', 'en'],
    ['*', 'en'],
    ['', 'en'],
  ] as const) {
    test(`"${header}" → ${expected}`, () => assert.equal(negotiateLocale(header, supported, 'en'), expected));
  }
});
