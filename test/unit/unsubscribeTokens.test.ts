import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unsubscribeToken, verifyUnsubscribeToken } from '../../core/store/unsubscribe';

// An unsubscribe link's token is accepted exactly as issued: nothing appended, nothing changed.

const SECRET = 'unsubscribe-secret-0123456789';

test('the token as issued names its subscriber and channel', () => {
  assert.deepEqual(verifyUnsubscribeToken(SECRET, unsubscribeToken(SECRET, 'sub_1', 'email')), {
    subscriberId: 'sub_1',
    channel: 'email',
  });
});

test('a token with extra trailing segments or characters is refused', () => {
  const t = unsubscribeToken(SECRET, 'sub_1', 'email');
  for (const bad of [`${t}.x`, `${t}.`, `${t}..${t}`, `${t}.${t}`, `${t}x`, `${t} `, `${t}\n`, ` ${t}`, `${t}%00`, `${t}=`]) {
    assert.equal(verifyUnsubscribeToken(SECRET, bad), undefined, JSON.stringify(bad));
  }
});

test('a signed payload with more than subscriber and channel is refused', () => {
  const t = unsubscribeToken(SECRET, 'sub_1', 'email\nsms');
  assert.equal(verifyUnsubscribeToken(SECRET, t), undefined);
});
