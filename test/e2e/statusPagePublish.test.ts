import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createPublishActivities } from '../../activities/publish';
import { ensureInitialSnapshot } from '../../activities/publish/initial';
import { openConfiguredStore, type Store } from '../../core/store';
import { pageHistory } from '../../core/store/history';
import { publishRank } from '../../activities/publish/s3';
import { cacheControlFor, contentTypeFor } from '../../core/statuspage/http';
import { examplePlan, testConfig } from '../support/config';
import { startFakeS3, type FakeS3 } from '../support/fakeS3';
import { pageState, pastIncident, STATE_NOW } from '../support/pageStates';

// Publishing to the directory and to S3 buckets in two regions, through the real S3 client against
// a local S3-compatible endpoint.

process.env.AWS_ACCESS_KEY_ID ??= 'AKIDEXAMPLETEST00001';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test-secret-key-for-the-local-fake-s3';

const EAST = 'acme-status-use1';
const WEST = 'acme-status-usw2';

describe('publishing a snapshot to the directory and to S3 in two regions', () => {
  let s3: FakeS3;
  const plan = examplePlan();
  // The publish activity never signals Temporal; a lazy connection that is never used stands in.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

  before(async () => {
    s3 = await startFakeS3();
  });
  const stores: Store[] = [];
  after(async () => {
    await s3.close();
    for (const s of stores) await s.close();
  });

  const activities = async (prefix = 'status') => {
    const config = testConfig('127.0.0.1:1', {
      HERALD_S3_BUCKETS: `us-east-1:${EAST},us-west-2:${WEST}`,
      HERALD_S3_ENDPOINT: s3.endpoint,
      HERALD_S3_PREFIX: prefix,
    });
    const store = await openConfiguredStore(config);
    stores.push(store);
    return { config, store, ...createPublishActivities({ config, plan, client, store }) };
  };

  test('every file reaches both regions with its content type and cache headers, the index written last', async () => {
    const { config, publishPage } = await activities();
    const state = pageState(plan, 'incident');
    const result = await publishPage({ pageId: plan.page.id, drill: false, state, version: 1 });
    assert.equal(result.targets.length, 3);
    assert.ok(
      result.targets.every((t) => t.ok),
      JSON.stringify(result.targets),
    );
    for (const [bucket, region] of [
      [EAST, 'us-east-1'],
      [WEST, 'us-west-2'],
    ] as const) {
      const puts = s3.puts.filter((p) => p.bucket === bucket);
      assert.equal(puts.length, result.files, `${bucket} received every file`);
      assert.ok(
        puts.every((p) => p.region === region),
        `${bucket} was signed for ${region}`,
      );
      assert.equal(puts.at(-1)!.key, 'status/index.html', 'the root index is the last object written');
      const ranks = puts.map((p) => publishRank(p.key.slice('status/'.length)));
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => a - b),
        'pages are written before the roll-ups, the roll-ups before the indexes',
      );
      for (const path of [
        'index.html',
        'zh-TW/index.html',
        'api/v2/summary.json',
        'history.atom',
        'history.rss',
        'embed/banner.js',
        'incidents/inc-api-errors.html',
        '503.html',
      ]) {
        const obj = s3.get(bucket, `status/${path}`);
        assert.ok(obj, `${bucket} has ${path}`);
        assert.equal(obj.contentType, contentTypeFor(path));
        assert.equal(obj.cacheControl, cacheControlFor(path));
        assert.deepEqual(
          obj.body,
          readFileSync(join(config.publicDir, path)),
          `${path} in ${bucket} is the same as in the directory`,
        );
      }
    }
    assert.equal(contentTypeFor('history.atom'), 'application/atom+xml; charset=utf-8');
    const summary = JSON.parse(s3.get(EAST, 'status/api/v2/summary.json')!.body.toString()) as { incidents: { id: string }[] };
    assert.deepEqual(
      summary.incidents.map((i) => i.id),
      ['inc-api-errors'],
    );
  });

  test('a region that fails does not stop the other region or the directory, and catches up on the next publish', async () => {
    const { config, publishPage } = await activities();
    s3.failBucket(WEST, 503);
    s3.puts.length = 0;
    const during = await publishPage({ pageId: plan.page.id, drill: false, state: pageState(plan, 'maintenance'), version: 2 });
    const [dir, east, west] = during.targets;
    assert.equal(dir!.ok, true);
    assert.equal(east!.ok, true);
    assert.equal(west!.ok, false);
    assert.match(west!.error ?? '', /503|ServiceUnavailable/);
    assert.equal(west!.target, `s3://${WEST}/status/ (us-west-2)`);
    const eastSummary = JSON.parse(s3.get(EAST, 'status/api/v2/summary.json')!.body.toString()) as {
      status: { indicator: string };
    };
    assert.equal(eastSummary.status.indicator, 'maintenance');
    assert.equal(JSON.parse(readFileSync(join(config.publicDir, 'api/v2/summary.json'), 'utf8')).status.indicator, 'maintenance');

    s3.failBucket(WEST, null);
    const recovered = await publishPage({
      pageId: plan.page.id,
      drill: false,
      state: pageState(plan, 'maintenance'),
      version: 3,
    });
    assert.ok(
      recovered.targets.every((t) => t.ok),
      JSON.stringify(recovered.targets),
    );
    const westSummary = JSON.parse(s3.get(WEST, 'status/api/v2/summary.json')!.body.toString()) as {
      status: { indicator: string };
    };
    assert.equal(westSummary.status.indicator, 'maintenance');
    assert.equal(recovered.targets[1]!.written, 0, 'the healthy region skips what it already holds');
    assert.equal(recovered.targets[1]!.skipped, recovered.files);
  });

  test('a region that hangs is given up on at its deadline while the other region completes', async () => {
    const { createS3Target } = await import('../../activities/publish/s3');
    const { buildSnapshot } = await import('../../core/statuspage/snapshot');
    const snapshot = buildSnapshot(plan, pageState(plan, 'incident'), join(__dirname, '..', '..', 'templates'));
    const east = createS3Target({ region: 'us-east-1', bucket: EAST, endpoint: s3.endpoint, prefix: 'slow/' });
    const west = createS3Target({ region: 'us-west-2', bucket: WEST, endpoint: s3.endpoint, prefix: 'slow/', deadlineMs: 800 });
    s3.delayBucket(WEST, 5_000);
    try {
      const started = Date.now();
      const [e, w] = await Promise.all([east.publish(snapshot, 'v1'), west.publish(snapshot, 'v1')]);
      assert.ok(Date.now() - started < 4_000, 'the slow region did not hold the publish for long');
      assert.equal(e.ok, true);
      assert.equal(e.written, snapshot.size);
      assert.equal(w.ok, false);
      assert.match(w.error ?? '', /gave up after 800 ms/);
      assert.equal(s3.get(WEST, 'slow/index.html'), undefined, 'the slow region never got an index ahead of its pages');
    } finally {
      s3.delayBucket(WEST, null);
    }
  });

  test('a drill publishes to the drill directory only, never to the public buckets', async () => {
    const { config, publishPage } = await activities();
    s3.puts.length = 0;
    const result = await publishPage({ pageId: plan.page.id, drill: true, state: pageState(plan, 'incident'), version: 1 });
    assert.equal(result.targets.length, 1);
    assert.equal(s3.puts.length, 0);
    assert.match(readFileSync(join(config.dataDir, 'drill', 'public', 'index.html'), 'utf8'), /Drill/);
  });

  test('history lives in the store: items the workflow no longer carries stay on the history page, in incidents.json, the feeds and the uptime bars', async () => {
    const { config, store, publishPage } = await activities('history');
    const read = (path: string) => readFileSync(join(config.publicDir, path), 'utf8');
    // First publish: the page with two past incidents and an old one (60 days ago).
    const first = pageState(plan, 'resolved');
    first.incidents.push(pastIncident('inc-old-60', 60, 120));
    const r1 = await publishPage({ pageId: plan.page.id, drill: false, state: first, version: 1 });
    assert.ok(r1.recorded!.items >= 5, JSON.stringify(r1.recorded));
    assert.ok(r1.recorded!.days > 0);
    // A retried publish of the same state writes nothing to the store.
    const retry = await publishPage({ pageId: plan.page.id, drill: false, state: first, version: 1 });
    assert.deepEqual(retry.recorded, { items: 0, days: 0 });
    const before = { incidents: read('api/v2/incidents.json'), history: read('history.html'), index: read('index.html') };

    // The workflow continues as new and carries only the open items: nothing open now, a quarter hour later.
    const later = new Date(STATE_NOW.getTime() + 15 * 60_000).toISOString();
    const slim = { ...first, updatedAt: later, incidents: [], maintenances: [] };
    await publishPage({ pageId: plan.page.id, drill: false, state: slim, version: 2 });
    const incidents = JSON.parse(read('api/v2/incidents.json')) as { incidents: { id: string; incident_updates: unknown[] }[] };
    assert.deepEqual(incidents.incidents.map((i) => i.id).sort(), ['inc-api-errors', 'inc-old-60', 'inc-past-1', 'inc-past-2']);
    assert.deepEqual(
      JSON.parse(read('api/v2/incidents.json')).incidents.map((i: { id: string }) => i.id),
      JSON.parse(before.incidents).incidents.map((i: { id: string }) => i.id),
      'the same incidents, in the same order',
    );
    assert.equal(JSON.parse(read('api/v2/scheduled-maintenances.json')).scheduled_maintenances[0].id, 'mnt-db-upgrade');
    for (const id of ['inc-old-60', 'inc-past-1', 'inc-api-errors']) {
      assert.match(read('history.html'), new RegExp(`incidents/${id}\\.html`), `history.html lists ${id}`);
      assert.match(read('history.atom'), new RegExp(id), `the Atom feed has ${id}`);
      assert.ok(read(`incidents/${id}.html`).length > 0);
    }
    // The uptime bars: the same percentages as when the workflow carried the incidents.
    const percents = (html: string) => [...html.matchAll(/(\d+\.\d\d) ?%/g)].map((m) => m[1]);
    assert.ok(percents(before.index).length > 0);
    assert.deepEqual(percents(read('index.html')), percents(before.index));
    assert.notEqual(
      percents(before.index).find((p) => p !== '100.00'),
      undefined,
      'an outage shows in the bars',
    );

    // What the store holds: every item, the state, component days no older than 90 days.
    const h = pageHistory(store);
    assert.deepEqual(await h.countItems(plan.page.id), { incidents: 4, maintenances: 1 });
    assert.equal((await h.lastState(plan.page.id))!.version, 2);
    const days = await store.db.all<{ day: string }>('SELECT day FROM page_component_days WHERE page_id = ? ORDER BY day', [
      plan.page.id,
    ]);
    assert.ok(days.length > 0 && days[0]!.day >= '2025-12-11', days[0]?.day);
  });

  test('at start, every target gets the snapshot before any change: the directory and both buckets', async () => {
    const config = testConfig('127.0.0.1:1', {
      HERALD_S3_BUCKETS: `us-east-1:${EAST},us-west-2:${WEST}`,
      HERALD_S3_ENDPOINT: s3.endpoint,
      HERALD_S3_PREFIX: 'start/',
    });
    let reports: { ok: boolean }[] = [];
    assert.equal(
      await ensureInitialSnapshot(config, plan, { waitForBucketsMs: 10_000, onPublished: (t) => (reports = t) }),
      true,
    );
    assert.equal(reports.length, 3);
    assert.ok(
      reports.every((r) => r.ok),
      JSON.stringify(reports),
    );
    for (const bucket of [EAST, WEST]) {
      const summary = JSON.parse(s3.get(bucket, 'start/api/v2/summary.json')!.body.toString()) as {
        status: { indicator: string };
      };
      assert.equal(summary.status.indicator, 'none');
      assert.deepEqual(s3.get(bucket, 'start/index.html')!.body, readFileSync(join(config.publicDir, 'index.html')));
    }
    // Started again with everything in place: nothing to do. A bucket that lost its index is filled again.
    assert.equal(await ensureInitialSnapshot(config, plan), false);
    s3.puts.length = 0;
    s3.objects.delete(`${WEST}/start/index.html`);
    assert.equal(await ensureInitialSnapshot(config, plan, { waitForBucketsMs: 10_000 }), true);
    assert.ok(s3.get(WEST, 'start/index.html'));
  });
});
