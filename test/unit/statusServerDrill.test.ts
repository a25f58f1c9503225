import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStatusServer } from '../../api/statusServer';

// Drill messages link <public URL>/drill/incidents/<id>.html: the status server serves the drill
// snapshot there, beside the real page, which it never mixes with.

test('the status server serves the drill snapshot under /drill/ and the real page at the root', async () => {
  const root = mkdtempSync(join(tmpdir(), 'herald-drill-serve-'));
  const publicDir = join(root, 'public');
  const drillDir = join(root, 'drill');
  mkdirSync(join(publicDir, 'incidents'), { recursive: true });
  mkdirSync(join(drillDir, 'incidents'), { recursive: true });
  writeFileSync(join(publicDir, 'index.html'), '<p>real page</p>');
  writeFileSync(join(drillDir, 'index.html'), '<p>drill page</p>');
  writeFileSync(join(drillDir, 'incidents', 'incident-drill-1.html'), '<p>drill incident</p>');
  const status = createStatusServer(publicDir, { pollMs: 50, drillDir });
  await status.ready;
  status.server.listen(0, '127.0.0.1');
  await new Promise((r) => status.server.once('listening', r));
  const base = `http://127.0.0.1:${(status.server.address() as AddressInfo).port}`;
  try {
    const drillIncident = await fetch(`${base}/drill/incidents/incident-drill-1.html`);
    assert.equal(drillIncident.status, 200);
    assert.match(await drillIncident.text(), /drill incident/);
    assert.match(await (await fetch(`${base}/drill/`)).text(), /drill page/);
    assert.match(await (await fetch(`${base}/`)).text(), /real page/);
    assert.equal((await fetch(`${base}/incidents/incident-drill-1.html`)).status, 404, 'drills never show on the real page');
  } finally {
    await status.close();
    rmSync(root, { recursive: true, force: true });
  }
});
