import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { IncidentStatus } from '../../core/incidentStatus';
import { formatMessageTime } from '../../core/messageWords';
import { loadLabels } from '../../core/statuspage/locale';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import type { PageIncident, PageMaintenance, PageState, PageUpdate, PageWording } from '../../core/statuspage/types';
import { wordingText } from '../../core/statuspage/wording';
import type { MaintenancePhase } from '../../workflows/contracts/maintenance';
import { incidentPageWording, maintenancePageWording, type IncidentPagePhase } from '../../workflows/pageWording';
import { examplePlan } from '../support/config';
import { STATE_NOW, openIncident, pageState } from '../support/pageStates';

// The plan's own page wording is written by key in the workflows and put into words when the page
// is rendered: the sentences below, in both locales, with times as the page writes every other time
// (its zone, the locale's form), and a page rendered from keys is byte for byte the page rendered from
// the same update stored in words (as older records are).

const plan = examplePlan();
const TEMPLATES = join(__dirname, '..', '..', 'templates');
const en = loadLabels(TEMPLATES, 'en');
const zh = loadLabels(TEMPLATES, 'zh-TW');
const DUE = '2026-03-10T10:30:00.000Z';
/** Times as the page writes them (the example plan's zone is UTC). */
const timeIn = (locale: string) => (at: Date) => formatMessageTime(at, locale, plan.page.timeZone);
const inEnglish = (w: PageWording) => wordingText(w, en, en, undefined, timeIn('en'));
const inChinese = (w: PageWording) => wordingText(w, zh, zh, undefined, timeIn('zh-TW'));

/** The incident page wording as the incident workflow wrote it in words. */
const INCIDENT_WORDS: [IncidentPagePhase, IncidentStatus, string | null, string, string][] = [
  [
    'initial',
    'investigating',
    DUE,
    'We are investigating an issue affecting this service. We will post another update by Tue, Mar 10, 10:30 UTC.',
    '我們正在調查影響此服務的問題。我們將於 3月10日（週二）10:30 UTC 前發布下一次更新。',
  ],
  ['initial', 'investigating', null, 'We are investigating an issue affecting this service.', '我們正在調查影響此服務的問題。'],
  [
    'update',
    'identified',
    DUE,
    'We are continuing to work on this issue. We will post another update by Tue, Mar 10, 10:30 UTC.',
    '我們正持續處理此問題。我們將於 3月10日（週二）10:30 UTC 前發布下一次更新。',
  ],
  [
    'update',
    'monitoring',
    DUE,
    'A fix has been applied and we are monitoring the results. We will post another update by Tue, Mar 10, 10:30 UTC.',
    '修正已套用，我們正在觀察結果。我們將於 3月10日（週二）10:30 UTC 前發布下一次更新。',
  ],
  [
    'holding',
    'identified',
    DUE,
    'We are still working on this issue. We will post another update by Tue, Mar 10, 10:30 UTC.',
    '我們仍在處理此問題。我們將於 3月10日（週二）10:30 UTC 前發布下一次更新。',
  ],
  [
    'etaMissed',
    'investigating',
    DUE,
    'This is taking longer than we estimated. We are still working on it. We will post another update by Tue, Mar 10, 10:30 UTC.',
    '修復所需時間比預估更長，我們仍在處理中。我們將於 3月10日（週二）10:30 UTC 前發布下一次更新。',
  ],
  ['resolved', 'resolved', null, 'This incident has been resolved.', '此事件已解決。'],
];

const WINDOW = {
  scheduledFor: '2026-03-12T01:00:00.000Z',
  scheduledUntil: '2026-03-12T03:00:00.000Z',
};
/** The maintenance page wording in both locales. */
const MAINTENANCE_WORDS: [MaintenancePhase, string, string][] = [
  [
    'announce',
    'Maintenance is scheduled from Thu, Mar 12, 01:00 UTC to Thu, Mar 12, 03:00 UTC.',
    '維護預定於 3月12日（週四）01:00 UTC 至 3月12日（週四）03:00 UTC 進行。',
  ],
  [
    'reminder',
    'Reminder: maintenance is scheduled from Thu, Mar 12, 01:00 UTC to Thu, Mar 12, 03:00 UTC.',
    '提醒：維護預定於 3月12日（週四）01:00 UTC 至 3月12日（週四）03:00 UTC 進行。',
  ],
  ['start', 'Maintenance is in progress until Thu, Mar 12, 03:00 UTC.', '維護進行中，預計於 3月12日（週四）03:00 UTC 結束。'],
  ['complete', 'The maintenance has been completed.', '維護已完成。'],
  ['cancel', 'This maintenance has been cancelled. No work will take place.', '此維護已取消，不會進行任何作業。'],
  [
    'reschedule',
    'This maintenance has been rescheduled: it now runs from Thu, Mar 12, 01:00 UTC to Thu, Mar 12, 03:00 UTC.',
    '此維護已改期，新的時間為 3月12日（週四）01:00 UTC 至 3月12日（週四）03:00 UTC。',
  ],
  [
    'overrun',
    'The maintenance is taking longer than planned; it is now expected to end by Thu, Mar 12, 03:00 UTC.',
    '維護所需時間比預期更長，現預計於 3月12日（週四）03:00 UTC 前結束。',
  ],
];

describe('page wording by key', () => {
  test('incident updates say their sentences in English and Traditional Chinese, the next update as the page writes times', () => {
    for (const [phase, status, due, english, chinese] of INCIDENT_WORDS) {
      const wording = incidentPageWording(phase, status, due);
      assert.equal(inEnglish(wording), english, `${phase}/${status} en`);
      assert.equal(inChinese(wording), chinese, `${phase}/${status} zh-TW`);
    }
  });

  test("maintenance updates give the window in each locale's form of the page's times, never an ISO cut", () => {
    for (const [phase, english, chinese] of MAINTENANCE_WORDS) {
      const wording = maintenancePageWording(phase, WINDOW);
      assert.equal(inEnglish(wording), english, phase);
      assert.equal(inChinese(wording), chinese, phase);
      assert.doesNotMatch(`${english} ${chinese}`, /2026-|T\d\d:/, `${phase}: no ISO dates`);
    }
    // A page in another zone says the window in that zone.
    const taipei = (at: Date) => formatMessageTime(at, 'zh-TW', 'Asia/Taipei');
    assert.equal(
      wordingText(maintenancePageWording('start', WINDOW), zh, zh, undefined, taipei),
      '維護進行中，預計於 3月12日（週四）11:00 GMT+8 結束。',
    );
  });

  test("older records' UTC times (cut from ISO when they were written) read in the same form", () => {
    const older: PageWording = [
      { key: 'maintenance.reminder', params: { from: '2026-03-12 01:00', until: '2026-03-12 03:00' } },
      { key: 'nextUpdateBy', params: { time: '10:30' } },
    ];
    assert.equal(
      inEnglish(older),
      'Reminder: maintenance is scheduled from Thu, Mar 12, 01:00 UTC to Thu, Mar 12, 03:00 UTC. We will post another update by 10:30 UTC.',
    );
    assert.equal(
      inChinese(older),
      '提醒：維護預定於 3月12日（週四）01:00 UTC 至 3月12日（週四）03:00 UTC 進行。我們將於 10:30 UTC 前發布下一次更新。',
    );
  });

  test('a page rendered from wording keys is byte for byte the page rendered from the same words stored', () => {
    const incident = openIncident();
    const withUpdate = (u: Partial<PageUpdate>): PageState => {
      const state = pageState(plan, 'incident');
      const item: PageIncident = {
        ...incident,
        updates: [...incident.updates, { ...incident.updates[0]!, id: 'inc-api-errors-holding', ...u }],
      };
      const maintenance: PageMaintenance = {
        id: 'mnt-db',
        name: 'Database upgrade',
        status: 'scheduled',
        impact: 'maintenance',
        createdAt: STATE_NOW.toISOString(),
        updatedAt: STATE_NOW.toISOString(),
        startedAt: null,
        resolvedAt: null,
        scheduledFor: WINDOW.scheduledFor,
        scheduledUntil: WINDOW.scheduledUntil,
        components: ['payments'],
        updates: [
          {
            id: 'mnt-db-1',
            status: 'scheduled',
            createdAt: STATE_NOW.toISOString(),
            affectedComponents: null,
            ...(u.wording
              ? { wording: maintenancePageWording('reminder', WINDOW) }
              : {
                  body: MAINTENANCE_WORDS[1]![1],
                  bodies: { en: MAINTENANCE_WORDS[1]![1], 'zh-TW': MAINTENANCE_WORDS[1]![2] },
                }),
          },
        ],
        nextUpdateAt: null,
        componentStatuses: {},
      };
      return {
        ...state,
        incidents: state.incidents.map((i) => (i.id === incident.id ? item : i)),
        maintenances: [...state.maintenances, maintenance],
      };
    };
    const [, , , english, chinese] = INCIDENT_WORDS[4]!;
    const stored = buildSnapshot(plan, withUpdate({ body: english, bodies: { en: english, 'zh-TW': chinese } }), TEMPLATES);
    const byKey = buildSnapshot(
      plan,
      withUpdate({ body: undefined, bodies: undefined, wording: incidentPageWording('holding', 'identified', DUE) }),
      TEMPLATES,
    );
    assert.deepEqual([...byKey.keys()].sort(), [...stored.keys()].sort());
    const differing = [...stored].filter(([path, f]) => !f.body.equals(byKey.get(path)!.body)).map(([path]) => path);
    assert.deepEqual(differing, []);
    const summary = byKey.get('api/v2/incidents.json')!.body.toString();
    assert.ok(summary.includes(JSON.stringify(english)), 'the JSON API carries the default locale words');
    assert.ok(byKey.get('zh-TW/index.html')!.body.toString().includes(chinese.slice(0, 9)), 'the zh-TW page its own');
    assert.ok(byKey.get('zh-TW/index.html')!.body.toString().includes(MAINTENANCE_WORDS[1]![2]), 'the window in Chinese form');
  });

  test('a templates directory without the keys falls back to the built-in words instead of showing a key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-templates-'));
    try {
      cpSync(TEMPLATES, dir, { recursive: true });
      const stripped = JSON.parse(JSON.stringify(en)) as Record<string, unknown>;
      delete stripped.pageWording;
      writeFileSync(join(dir, 'pages', 'locales', 'en.json'), JSON.stringify(stripped));
      const state = pageState(plan, 'incident');
      state.incidents[0]!.updates.push({
        ...state.incidents[0]!.updates[0]!,
        id: 'x-holding',
        body: undefined,
        bodies: undefined,
        wording: incidentPageWording('holding', 'identified', DUE),
      });
      const page = buildSnapshot(plan, state, dir).get('api/v2/incidents.json')!.body.toString();
      assert.ok(page.includes(INCIDENT_WORDS[4]![3]));
      assert.ok(!page.includes('pageWording.'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
