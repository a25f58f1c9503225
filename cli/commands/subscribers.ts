import { createReadStream, createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { loadConfig } from '../../core/config';
import { loadPlan } from '../../core/plan/load';
import { openConfiguredStore, type Store, type Subscriber } from '../../core/store';
import {
  CsvParser,
  csvHeader,
  csvRecordToInput,
  subscriberToCsv,
  validateSubscriber,
  type RowProblem,
  type ValidSubscriber,
} from '../../core/store/subscribers';

// `herald subscribers import <file>` and `herald subscribers export [file]`: CSV or JSON (an array or
// one object a line), streamed, so a million rows never sit in memory at once. Valid rows are
// imported (inserted or updated by id); every rejected row is reported with its row number, field
// and reason, and the command then exits 1.

const CHUNK = 1000;

export function subscribersCommand(): Command {
  const cmd = new Command('subscribers').description(
    'import and export subscribers (the store: HERALD_DATABASE_URL or $HERALD_DATA_DIR/herald.db)',
  );

  cmd
    .command('import')
    .description('import subscribers from a CSV or JSON file; rows with problems are listed and skipped')
    .argument(
      '<file>',
      'CSV (header row: id,email,phone,push,webhook,chat,locale,internal,components,consent,…; other columns are attributes) or JSON',
    )
    .option('--format <format>', 'csv or json (default: from the file name)')
    .option('--dry-run', 'validate only; change nothing')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { format?: string; dryRun?: boolean; json?: boolean }) => {
      const path = resolve(file);
      const format = opts.format ?? (/\.csv$/i.test(path) ? 'csv' : /\.(json|ndjson|jsonl)$/i.test(path) ? 'json' : undefined);
      if (format !== 'csv' && format !== 'json')
        throw new Error(`cannot tell the format of ${file}: use --format csv or --format json`);
      const config = loadConfig();
      const plan = loadPlan(config.planFile, config.templatesDir);
      const known = new Set(plan.components.map((c) => c.id));
      const store = opts.dryRun ? undefined : await openConfiguredStore(config);
      const report = {
        file: path,
        rows: 0,
        inserted: 0,
        updated: 0,
        valid: 0,
        rejected: 0,
        problems: [] as RowProblem[],
        dryRun: !!opts.dryRun,
      };
      let pending: (ValidSubscriber & { id: string })[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        if (store) {
          const r = await store.upsertSubscribers(pending);
          report.inserted += r.inserted;
          report.updated += r.updated;
        }
        pending = [];
      };
      const take = async (raw: unknown, row: number) => {
        report.rows++;
        const v = validateSubscriber(raw, row, known);
        if (v.ok) {
          report.valid++;
          pending.push(v.value);
          if (pending.length >= CHUNK) await flush();
        } else {
          report.rejected++;
          if (report.problems.length < 1000) report.problems.push(...v.problems);
        }
      };
      try {
        const reject = (row: number, message: string) => {
          report.rows++;
          report.rejected++;
          report.problems.push({ row, path: '(row)', message });
        };
        if (format === 'csv') await readCsv(path, take);
        else await readJson(path, take, reject);
        await flush();
      } finally {
        await store?.close();
      }
      if (opts.json) console.log(JSON.stringify(report));
      else {
        const verb = opts.dryRun ? 'valid' : `imported (${report.inserted} new, ${report.updated} updated)`;
        console.log(`${file}: ${report.rows} rows, ${report.valid} ${verb}, ${report.rejected} rejected`);
        for (const p of report.problems) console.error(`  row ${p.row}: ${p.path}: ${p.message}`);
        if (report.rejected > report.problems.length)
          console.error(`  … and more (first ${report.problems.length} problems shown)`);
      }
      if (report.rejected > 0) process.exitCode = 1;
    });

  cmd
    .command('export')
    .description('export every subscriber as CSV or JSON, in id order')
    .argument('[file]', 'output file (default: standard output)')
    .option('--format <format>', 'csv or json (default: from the file name, else json)')
    .action(async (file: string | undefined, opts: { format?: string }) => {
      const format = opts.format ?? (file && /\.csv$/i.test(file) ? 'csv' : 'json');
      if (format !== 'csv' && format !== 'json') throw new Error('use --format csv or --format json');
      const config = loadConfig();
      const store = await openConfiguredStore(config);
      const out: Writable = file ? createWriteStream(resolve(file)) : process.stdout;
      try {
        const n = await exportTo(store, out, format);
        if (file) console.error(`${file}: ${n} subscribers`);
      } finally {
        await store.close();
        if (file) {
          out.end();
          await once(out, 'finish');
        }
      }
    });
  return cmd;
}

async function write(out: Writable, text: string) {
  if (!out.write(text)) await once(out, 'drain');
}

export async function exportTo(store: Store, out: Writable, format: 'csv' | 'json'): Promise<number> {
  const attributes = await store.attributeNames();
  let n = 0;
  await write(out, format === 'csv' ? `${csvHeader(attributes)}\n` : '[');
  for (let after: string | null = null; ;) {
    const page: Subscriber[] = await store.subscribersPage(after, CHUNK);
    if (page.length === 0) break;
    let text = '';
    for (const s of page) {
      text += format === 'csv' ? `${subscriberToCsv(s, attributes)}\n` : `${n === 0 ? '\n' : ',\n'}${JSON.stringify(toInput(s))}`;
      n++;
    }
    await write(out, text);
    after = page[page.length - 1]!.id;
  }
  if (format === 'json') await write(out, n === 0 ? ']\n' : '\n]\n');
  return n;
}

/** A subscriber in the import shape, so an export imports back unchanged. */
function toInput(s: Subscriber) {
  return {
    id: s.id,
    ...(s.email ? { email: s.email } : {}),
    ...(s.phone ? { phone: s.phone } : {}),
    ...(s.push ? { push: s.push } : {}),
    ...(s.webhook ? { webhook: s.webhook } : {}),
    ...(s.chat ? { chat: s.chat } : {}),
    ...(s.locale ? { locale: s.locale } : {}),
    internal: s.internal,
    components: s.components,
    attributes: s.attributes,
    consent: s.consent.state,
    ...(s.consent.requestedAt ? { consentRequestedAt: s.consent.requestedAt } : {}),
    ...(s.consent.confirmedAt ? { confirmedAt: s.consent.confirmedAt } : {}),
    ...(s.consent.unsubscribedAt ? { unsubscribedAt: s.consent.unsubscribedAt } : {}),
  };
}

async function readCsv(path: string, take: (raw: unknown, row: number) => Promise<void>) {
  const parser = new CsvParser();
  let header: string[] | undefined;
  const handle = async (records: { line: number; fields: string[] }[]) => {
    for (const r of records) {
      if (!header) {
        header = r.fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
        continue;
      }
      await take(csvRecordToInput(header, r.fields), r.line);
    }
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) await handle(parser.push(chunk as string));
  await handle(parser.end());
  if (!header) throw new Error(`${path} is empty: a CSV needs a header row`);
}

/** A JSON array (streamed element by element) or newline-delimited JSON objects. */
async function readJson(
  path: string,
  take: (raw: unknown, row: number) => Promise<void>,
  reject: (row: number, message: string) => void,
) {
  let mode: 'unknown' | 'array' | 'lines' = 'unknown';
  let buf = '';
  let row = 0;
  // Array mode: split top-level objects by tracking depth and strings.
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let line = 1;
  const parse = async (text: string) => {
    row++;
    const at = mode === 'lines' ? line : row;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return reject(at, `not JSON: ${(err as Error).message}`);
    }
    await take(value, at);
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    buf += chunk as string;
    if (mode === 'unknown') {
      const first = buf.trimStart()[0];
      if (!first) continue;
      mode = first === '[' ? 'array' : 'lines';
      if (mode === 'array') buf = buf.slice(buf.indexOf('[') + 1);
    }
    if (mode === 'lines') {
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (text) await parse(text);
        line++;
      }
      continue;
    }
    let i = 0;
    for (; i < buf.length; i++) {
      const ch = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (ch === '}') {
        depth--;
        if (depth === 0 && start >= 0) {
          await parse(buf.slice(start, i + 1));
          buf = buf.slice(i + 1);
          i = -1;
          start = -1;
        }
      }
    }
    if (depth === 0) buf = '';
  }
  if (mode === 'lines' && buf.trim()) await parse(buf.trim());
  if (mode === 'array' && depth !== 0) throw new Error(`${path}: the JSON array is not closed`);
}
