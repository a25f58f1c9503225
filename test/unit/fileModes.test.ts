import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutboxProvider } from '../../activities/providers/outbox';
import { loadConfig } from '../../core/config';
import { secureDataDir } from '../../core/dataDir';
import { ensureTokens } from '../../core/tokens';
import { openWebhookLedger } from '../../core/webhookLedger';
import { startDevServer, temporalCliPath } from '../../scripts/devServer';
import { freePort } from '../support/ports';

// Herald's data directory holds subscriber addresses, messages with working unsubscribe links,
// tokens and technical detail: it is 0700 and everything Herald (or the Temporal dev server it
// starts) creates in it is readable by its owner only.

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => m.toString(8).padStart(4, '0');
/** Runs fn under a permissive umask, as a process that never loaded Herald's configuration. */
async function underUmask<T>(mask: number, fn: () => T | Promise<T>): Promise<T> {
  const before = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(before);
  }
}

test('loading the configuration makes every file the process creates owner-only', async () => {
  await underUmask(0o022, () => {
    loadConfig({ HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-modes-')) });
    assert.equal(octal(process.umask()), octal(0o077));
    const dir = mkdtempSync(join(tmpdir(), 'herald-modes-'));
    writeFileSync(join(dir, 'plain.txt'), 'x');
    mkdirSync(join(dir, 'sub'));
    assert.equal(octal(mode(join(dir, 'plain.txt'))), '0600');
    assert.equal(octal(mode(join(dir, 'sub'))), '0700');
  });
});

test('the data directory is created 0700, and an existing 0755 one is made 0700', async () => {
  await underUmask(0o022, () => {
    const fresh = join(mkdtempSync(join(tmpdir(), 'herald-modes-')), 'data');
    secureDataDir(fresh);
    assert.equal(octal(mode(fresh)), '0700');
    const old = mkdtempSync(join(tmpdir(), 'herald-modes-'));
    mkdirSync(join(old, 'data'), { mode: 0o755 });
    secureDataDir(join(old, 'data'));
    assert.equal(octal(mode(join(old, 'data'))), '0700');
  });
});

test('the webhook ledger, the outbox and the tokens are 0600 even under a permissive umask', async () => {
  const data = mkdtempSync(join(tmpdir(), 'herald-modes-'));
  await underUmask(0o022, async () => {
    const ledger = openWebhookLedger(join(data, 'ledger', 'webhooks.sqlite'));
    ledger.record('generic', 'd1', 'incident-x', 'signalled');
    ledger.close();
    assert.equal(octal(mode(join(data, 'ledger'))), '0700');
    assert.equal(octal(mode(join(data, 'ledger', 'webhooks.sqlite'))), '0600');

    const outbox = join(data, 'outbox');
    const provider = createOutboxProvider(outbox, 'status@acme.com');
    await provider.send('local', [
      {
        roundId: 'round-1',
        recipientId: 'sub_1',
        channel: 'email',
        address: 'ada@example.com',
        locale: 'en',
        idempotencyKey: 'round-1:sub_1:email',
        email: {
          subject: 'Payments',
          text: 'Card payments fail.',
          html: '<p>Card payments fail.</p>',
          unsubscribeUrl: 'https://status.acme.com/unsubscribe?t=x',
        },
      } as never,
    ]);
    assert.equal(octal(mode(outbox)), '0700');
    assert.equal(octal(mode(join(outbox, 'round-1--sub_1--email.eml'))), '0600');

    ensureTokens({ dataDir: join(data, 'tokens'), api: { tokens: [] } } as never);
    assert.equal(octal(mode(join(data, 'tokens'))), '0700');
    assert.equal(octal(mode(join(data, 'tokens', 'tokens.json'))), '0600');
  });
});

test('the Temporal dev server started by a Herald process writes temporal.db owner-only', async () => {
  const data = mkdtempSync(join(tmpdir(), 'herald-modes-'));
  await underUmask(0o022, async () => {
    loadConfig({ HERALD_DATA_DIR: data });
    const dbFile = join(data, 'temporal.db');
    const dev = await startDevServer({ binary: temporalCliPath(), port: await freePort(), dbFile, stdio: 'ignore' });
    try {
      assert.ok(existsSync(dbFile));
      for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`].filter(existsSync))
        assert.equal(octal(mode(file)), '0600', file);
    } finally {
      await dev.stop();
    }
  });
});
