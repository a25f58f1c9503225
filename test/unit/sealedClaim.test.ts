import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openClaim, sealClaim, type SubscriptionClaim } from '../../core/subscriptions';

const SECRET = 'unit-test-secret-0123456789abcdef';
const claim: SubscriptionClaim = {
  channel: 'email',
  address: 'someone@example.com',
  components: ['api', 'payments'],
  locale: 'zh-TW',
  issuedAt: 1_800_000_000,
  expiresAt: 1_800_086_400,
};

test('a sealed claim opens to the same claim and shows nothing of it', () => {
  const sealed = sealClaim(SECRET, claim);
  assert.deepEqual(openClaim(SECRET, sealed), claim);
  assert.doesNotMatch(sealed, /someone|example|payments/);
  assert.notEqual(sealClaim(SECRET, claim), sealed, 'a fresh IV each time');
});

test('a seal made under another secret, altered, truncated or not a seal does not open', () => {
  const sealed = sealClaim(SECRET, claim);
  assert.throws(() => openClaim('another-secret-0123456789abcdef', sealed), /does not open/);
  const body = Buffer.from(sealed.slice(3), 'base64url');
  body[body.length - 1]! ^= 1;
  assert.throws(() => openClaim(SECRET, `v1.${body.toString('base64url')}`), /does not open/);
  assert.throws(() => openClaim(SECRET, sealed.slice(0, 20)), /not a sealed/);
  assert.throws(() => openClaim(SECRET, JSON.stringify(claim)), /not a sealed/);
});
