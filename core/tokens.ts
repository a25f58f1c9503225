import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfiguredToken, HeraldConfig } from './config';
import { secureDataDir } from './dataDir';

export interface HeraldTokens {
  operator: string;
  webhook: string;
  /** True when this call generated at least one token (so the caller prints them once). */
  generated: boolean;
}

/**
 * Tokens from HERALD_OPERATOR_TOKEN / HERALD_WEBHOOK_TOKEN; when unset, generated once and kept in
 * $HERALD_DATA_DIR/tokens.json (mode 0600) so every process and restart uses the same ones.
 */
export function ensureTokens(config: HeraldConfig): HeraldTokens {
  const file = join(config.dataDir, 'tokens.json');
  let stored: Partial<Record<'operator' | 'webhook', string>> = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    stored = {};
  }
  let generated = false;
  const pick = (fromEnv: string | undefined, key: 'operator' | 'webhook') => {
    if (fromEnv) return fromEnv;
    if (typeof stored[key] === 'string' && stored[key]!.length >= 16) return stored[key]!;
    generated = true;
    stored[key] = `hrld_${key === 'operator' ? 'op' : 'wh'}_${randomBytes(24).toString('base64url')}`;
    return stored[key]!;
  };
  const operator = pick(config.operatorToken, 'operator');
  const webhook = pick(config.webhookToken, 'webhook');
  if (generated) {
    secureDataDir(config.dataDir);
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  }
  return { operator, webhook, generated };
}

/** Every bearer token the API accepts: the operator and webhook tokens plus the configured viewer/admin/named ones. */
export function tokenGrants(config: HeraldConfig, tokens: HeraldTokens): ConfiguredToken[] {
  return [
    { token: tokens.operator, role: 'operator', name: 'operator' },
    { token: tokens.webhook, role: 'webhook', name: 'webhook' },
    ...config.api.tokens,
  ];
}
