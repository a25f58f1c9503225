import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../core/store';
import { applyConfirmation, type SubscriptionClaim } from '../../core/subscriptions';

// A confirmation link works once. Used again — or after a newer link for the same address was
// used — it changes nothing, so an old copy of a link cannot undo what the address chose since.

const at = (s: number) => new Date(s * 1000);
const claim = (issuedAt: number, components: string[] | '*', locale: 'en' | 'zh-TW' = 'en'): SubscriptionClaim => ({
  channel: 'email',
  address: 'ada@example.com',
  components,
  locale,
  issuedAt,
  expiresAt: issuedAt + 48 * 3600,
});

test('a confirmation link applies once; used again it changes nothing', async () => {
  const store = await openStore({});
  try {
    const first = claim(1_800_000_000, ['payments']);
    const done = await applyConfirmation(store, first, at(1_800_000_100));
    assert.deepEqual(done.ok && [done.created, done.applied], [true, true]);
    const [id] = done.ok ? done.subscriberIds : [];
    const before = await store.getSubscriber(id!);

    const again = await applyConfirmation(store, first, at(1_800_000_900));
    assert.deepEqual(again.ok && [again.created, again.applied, again.subscriberIds], [false, false, [id]]);
    assert.deepEqual(await store.getSubscriber(id!), before, 'the second use wrote nothing');
  } finally {
    await store.close();
  }
});

test('an older link used after a newer one does not roll back the newer choice', async () => {
  const store = await openStore({});
  try {
    const older = claim(1_800_000_000, ['payments']);
    const newer = claim(1_800_003_600, ['website', 'api'], 'zh-TW');
    await applyConfirmation(store, older, at(1_800_000_100));
    const applied = await applyConfirmation(store, newer, at(1_800_003_700));
    assert.ok(applied.ok && applied.applied);
    const replay = await applyConfirmation(store, older, at(1_800_004_000));
    assert.ok(replay.ok && !replay.applied);
    const s = (await store.getSubscriber(applied.ok ? applied.subscriberIds[0]! : ''))!;
    assert.deepEqual([s.components, s.locale], [['api', 'website'], 'zh-TW']);
  } finally {
    await store.close();
  }
});
