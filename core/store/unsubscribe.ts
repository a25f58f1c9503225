import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Signed one-click unsubscribe links (RFC 8058): the token names the subscriber and channel and is
// an HMAC-SHA256 under Herald's secret, so the API can honour it without a lookup table and nobody
// can unsubscribe someone else by guessing ids.

/** HERALD_SECRET, or one generated once into $HERALD_DATA_DIR/secret (mode 0600) and reused. */
export function ensureSecret(config: { dataDir: string; delivery: { secret?: string } }): string {
  if (config.delivery.secret) return config.delivery.secret;
  const file = join(config.dataDir, 'secret');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  } catch {
    // not generated yet
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    // Another process wrote it first: use theirs.
    return readFileSync(file, 'utf8').trim();
  }
}

const mac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`unsubscribe:${payload}`).digest('base64url').slice(0, 32);

export function unsubscribeToken(secret: string, subscriberId: string, channel: string): string {
  const payload = Buffer.from(`${subscriberId}\n${channel}`).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

/** The token's subscriber and channel; undefined unless the token is exactly "<payload>.<signature>" as issued. */
export function verifyUnsubscribeToken(secret: string, token: string): { subscriberId: string; channel: string } | undefined {
  const m = /^([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m) return undefined;
  const [, payload, sig] = m as unknown as [string, string, string];
  const want = Buffer.from(mac(secret, payload));
  if (!timingSafeEqual(want, Buffer.from(sig))) return undefined;
  const parts = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { subscriberId: parts[0], channel: parts[1] };
}

/** The link for one recipient: the configured unsubscribe URL with ?t=<token>. */
export function unsubscribeLink(base: string, token: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}t=${token}`;
}
