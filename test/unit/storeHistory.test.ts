import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../core/store';
import { pageHistory, pageKey, type StoredDay } from '../../core/store/history';
import { operationalState } from '../../core/statuspage/v2';
import { examplePlan } from '../support/config';
import { pastIncident, scheduledMaintenance, STATE_NOW } from '../support/pageStates';
import { freshDatabase, testPostgres, type TestPostgres } from '../support/postgres';

// The status page's history in the store, the same on SQLite and PostgreSQL.

const day = (componentId: string, d: string, major: number, final: boolean): StoredDay => ({
  componentId,
  day: d,
  worst: major > 0 ? 'major_outage' : 'operational',
  majorOutageSeconds: major,
  partialOutageSeconds: 0,
  maintenanceSeconds: 0,
  final,
});

function historySuite(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>) {
  describe(`page history on ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    test('items: recorded once, a retry changes nothing, an older record never replaces a newer one', async () => {
      const plan = examplePlan();
      const key = pageKey(plan.page.id, false);
      const h = pageHistory(store);
      const state = operationalState(plan, STATE_NOW.toISOString());
      state.incidents = [pastIncident('inc-a', 3, 30), pastIncident('inc-b', 95, 30)];
      state.maintenances = [scheduledMaintenance()];
      assert.equal(await h.recordItems(key, state), 3);
      assert.equal(await pageHistory(store).recordItems(key, state), 0, 'a retry (even from a fresh handle) writes nothing');
      const newer = {
        ...state.incidents[0]!,
        status: 'postmortem' as const,
        updatedAt: new Date(STATE_NOW.getTime() + 60_000).toISOString(),
      };
      assert.equal(await h.recordItems(key, { ...state, incidents: [newer] }), 1);
      assert.equal(await pageHistory(store).recordItems(key, state), 0, 'the older record of inc-a does not come back');
      const loaded = await h.load(key, new Date(STATE_NOW.getTime() - 10 * 86_400_000).toISOString(), '2026-03-01', 1);
      assert.deepEqual(
        loaded.incidents.map((i) => [i.id, i.status]).sort(),
        [['inc-a', 'postmortem']],
        'inc-b is older than the horizon and not among the most recent 1',
      );
      assert.deepEqual((await h.load(key, STATE_NOW.toISOString(), '2026-03-01', 50)).incidents.map((i) => i.id).sort(), [
        'inc-a',
        'inc-b',
      ]);
      assert.deepEqual(
        loaded.maintenances.map((m) => m.id),
        ['mnt-network'],
      );
      assert.deepEqual(await h.countItems(key), { incidents: 2, maintenances: 1 });
      assert.deepEqual(
        await h.countItems(pageKey(plan.page.id, true)),
        { incidents: 0, maintenances: 0 },
        'a drill page keeps its own',
      );
    });

    test('page state: the newest wins', async () => {
      const plan = examplePlan();
      const h = pageHistory(store);
      const s1 = operationalState(plan, '2026-03-10T10:00:00.000Z');
      const s2 = { ...s1, updatedAt: '2026-03-10T10:15:00.000Z' };
      await h.recordState(plan.page.id, s2, 7);
      await h.recordState(plan.page.id, s1, 6);
      const last = await h.lastState(plan.page.id);
      assert.equal(last!.version, 7);
      assert.equal(last!.state.updatedAt, s2.updatedAt);
      assert.equal(await h.lastState('nope'), undefined);
    });

    test('component days: open days follow the page, final days never change, days past the window are dropped', async () => {
      const plan = examplePlan();
      const h = pageHistory(store);
      const key = plan.page.id;
      const first = [day('api', '2026-03-09', 0, false), day('api', '2026-03-08', 600, true)];
      assert.equal(await h.recordDays(key, first, []), 2);
      let stored = (await h.load(key, STATE_NOW.toISOString(), '2026-01-01')).days;
      assert.equal(await h.recordDays(key, first, stored), 0, 'the same days again: nothing written');
      assert.equal(
        await h.recordDays(key, [day('api', '2026-03-09', 120, true), day('api', '2026-03-08', 0, true)], stored),
        1,
        'the open day is updated and becomes final',
      );
      // Even written without the stored rows at hand, a final day is not rewritten.
      await h.recordDays(key, [day('api', '2026-03-08', 0, true), day('api', '2026-03-09', 0, true)], []);
      stored = (await h.load(key, STATE_NOW.toISOString(), '2026-01-01')).days;
      assert.deepEqual(
        stored.map((d) => [d.day, d.majorOutageSeconds, d.final]),
        [
          ['2026-03-08', 600, true],
          ['2026-03-09', 120, true],
        ],
      );
      assert.equal(await h.pruneDays(key, '2026-03-09'), 1);
      assert.deepEqual(
        (await h.load(key, STATE_NOW.toISOString(), '2026-01-01')).days.map((d) => d.day),
        ['2026-03-09'],
      );
    });
  });
}

historySuite('SQLite', async () => ({
  store: await openStore({ sqliteFile: join(mkdtempSync(join(tmpdir(), 'herald-history-')), 'herald.db') }),
  cleanup: async () => undefined,
}));

let pg: TestPostgres | undefined;
historySuite('PostgreSQL', async () => {
  pg ??= await testPostgres();
  const db = await freshDatabase(pg.url);
  const store = await openStore({ databaseUrl: db.url });
  return { store, cleanup: () => db.drop() };
});
after(async () => {
  await pg?.stop();
});
