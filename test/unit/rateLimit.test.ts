import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey, tokenBucket } from '../../api/rateLimit';

// Per-client limits count a client the way networks hand out addresses: one IPv4 address, or one
// IPv6 /64 (a host picks any address in its /64 at will).

test('every address of one IPv6 /64 is one client; another /64 is another', () => {
  assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2:ffff:eeee:dddd:cccc'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:0000:0000:0000:0009'), '2001:db8:1:2::/64');
  assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
});

test('IPv4 clients, also when the socket reports them IPv4-mapped, are counted per address', () => {
  assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.notEqual(clientKey('203.0.113.8'), clientKey('203.0.113.7'));
  assert.equal(clientKey(undefined), 'unknown');
});

test('a client rotating through addresses of its /64 runs out of its one bucket', () => {
  const limiter = tokenBucket({ perSecond: 1, burst: 3 }, () => 0);
  const waits = Array.from({ length: 5 }, (_, i) => limiter.take(clientKey(`2001:db8:aa:bb::${i + 1}`)));
  assert.deepEqual(
    waits.map((w) => w > 0),
    [false, false, false, true, true],
  );
  assert.equal(limiter.take(clientKey('2001:db8:aa:bc::1')), 0, 'a neighbouring /64 has its own bucket');
});
