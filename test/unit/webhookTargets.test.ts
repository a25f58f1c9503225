import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateAddress, webhookTargetProblem } from '../../core/subscriptions';

// Subscribers' webhook URLs: public endpoints are accepted on either address family, and no form of
// an address of this network (or of anything that forwards to one) gets through.

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '54.239.28.85',
  '203.0.114.1',
  '2606:4700:4700::1111',
  '2a00:1450:4001:82b::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::8.8.8.8',
  '2002:0808:0808::1',
];

const PRIVATE = [
  '10.0.3.7',
  '127.0.0.1',
  '169.254.169.254',
  '172.16.0.1',
  '192.168.1.1',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '198.18.0.1',
  '192.0.2.1',
  '::',
  '::1',
  'fe80::1',
  'fe80::1%eth0',
  'fd00::1',
  'ff02::1',
  '2001:db8::1',
  // IPv6 forms that carry a private IPv4 address
  '::ffff:10.0.0.1',
  '::ffff:127.0.0.1',
  '::ffff:a00:1',
  '::10.0.0.1',
  '::127.0.0.1',
  '::ffff:0:10.0.0.1',
  '64:ff9b::10.0.0.1',
  '64:ff9b::7f00:1',
  '64:ff9b::169.254.169.254',
  '2002:0a00:0001::1',
  '2002:7f00:1::',
  '2002:a9fe:a9fe::1',
  // Teredo whose client (stored inverted) is 10.0.0.1
  '2001:0:4136:e378:8000:63bf:f5ff:fffe',
  // never a public host of ours to judge
  '64:ff9b:1::808:808',
  'fec0::1',
  'not an address',
];

test('public IPv4 and IPv6 addresses may be webhook targets', () => {
  for (const ip of PUBLIC) assert.equal(isPrivateAddress(ip), false, ip);
});

test('private, loopback, link-local and reserved addresses, and IPv6 forms embedding them, are refused', () => {
  for (const ip of PRIVATE) assert.equal(isPrivateAddress(ip), true, ip);
});

test('a URL whose host resolves to a public IPv4 address (or both families) is accepted', async () => {
  assert.equal(await webhookTargetProblem('https://hooks.example.com/x', false, async () => ['93.184.215.14']), undefined);
  assert.equal(
    await webhookTargetProblem('https://hooks.example.com/x', false, async () => [
      '93.184.215.14',
      '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
    ]),
    undefined,
  );
  assert.equal(await webhookTargetProblem('https://8.8.8.8/x', false), undefined);
});

test('a URL reaching a private address by any family or form is refused', async () => {
  const refused = /must be a public address/;
  assert.match(
    (await webhookTargetProblem('https://x.example/', false, async () => ['93.184.215.14', '10.0.0.5'])) ?? '',
    refused,
  );
  assert.match((await webhookTargetProblem('http://[::ffff:7f00:1]/', false)) ?? '', refused);
  assert.match((await webhookTargetProblem('http://[64:ff9b::a00:1]/', false)) ?? '', refused);
  assert.match((await webhookTargetProblem('http://2130706433/', false)) ?? '', refused, 'decimal 127.0.0.1');
  assert.match((await webhookTargetProblem('http://0x7f.1/', false)) ?? '', refused, 'hex and short form');
});
