import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { loadConfig } from '../core/config';

// How the CLI talks to Herald's API: the address and token from flags, the environment (read by
// commander) or the data directory's tokens.json; errors become one clear line and a non-zero exit.

export interface ApiOptions {
  api?: string;
  token?: string;
  json?: boolean;
}

export class CliError extends Error {
  override name = 'CliError';
}

/** Adds --api, --token and --json to a command that talks to the API. */
export function withApi(cmd: Command): Command {
  return cmd
    .addOption(new Option('--api <url>', 'Herald API address (default: http://localhost:$HERALD_API_PORT)').env('HERALD_API_URL'))
    .addOption(
      new Option('--token <token>', "bearer token (default: the operator token in the data directory's tokens.json)").env(
        'HERALD_TOKEN',
      ),
    )
    .option('--json', 'print JSON instead of tables');
}

function defaults(): { api: string; token?: string } {
  let config;
  try {
    config = loadConfig();
  } catch {
    return { api: 'http://localhost:3000' };
  }
  let token: string | undefined;
  try {
    token = (JSON.parse(readFileSync(join(config.dataDir, 'tokens.json'), 'utf8')) as { operator?: string }).operator;
  } catch {
    token = config.operatorToken;
  }
  return { api: `http://localhost:${config.apiPort}`, token: token ?? config.operatorToken };
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  base: string;
}

export function apiClient(o: ApiOptions): ApiClient {
  const d = o.api && o.token ? { api: o.api } : defaults();
  const base = (o.api ?? d.api).replace(/\/+$/, '');
  const token = o.token ?? ('token' in d ? d.token : undefined);
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CliError(`cannot reach the Herald API at ${base} (${cause}); is it running? (npm start, or --api)`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const p = (json ?? {}) as { title?: string; detail?: string; errors?: { path: string; message: string }[] };
      if (res.status === 401 && !token)
        throw new CliError('no token: pass --token, set HERALD_TOKEN, or run where the data directory has tokens.json');
      const detail = p.detail ?? (p.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
      throw new CliError(`${p.title ?? `HTTP ${res.status}`} (${res.status})${detail ? `: ${detail}` : ''}`);
    }
    return json as T;
  };
  return { base, get: (p) => request('GET', p), post: (p, b) => request('POST', p, b) };
}

/** Prints rows as a table, or the raw value as JSON with --json. */
export function print(
  o: ApiOptions,
  value: unknown,
  rows?: () => { head: string[]; rows: (string | number | null | undefined)[][] },
): void {
  if (o.json || !rows) {
    console.log(JSON.stringify(value, null, o.json ? 2 : undefined));
    return;
  }
  const { head, rows: body } = rows();
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true });
  for (const r of body) table.push(r.map((c) => (c === null || c === undefined ? '—' : String(c))));
  console.log(table.toString());
}

/** Key/value table for one object. */
export function printRecord(o: ApiOptions, value: unknown, fields: [string, unknown][]): void {
  if (o.json) return print(o, value);
  const table = new Table({ style: { head: [], border: [] }, wordWrap: true, colWidths: [20, 80] });
  for (const [k, v] of fields)
    table.push({ [k]: v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : String(v) });
  console.log(table.toString());
}

export const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/** An instant from ISO 8601 or a relative "+2h", "+30m", "+1d". */
export function instant(value: string): string {
  const rel = /^\+(\d+)(m|h|d)$/.exec(value);
  if (rel)
    return new Date(
      Date.now() + Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'],
    ).toISOString();
  if (Number.isNaN(Date.parse(value)))
    throw new CliError(`"${value}" is not a date-time (use ISO 8601, e.g. 2026-12-01T02:00:00Z, or +2h)`);
  return new Date(value).toISOString();
}
