import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { Plan } from '../plan/schema';
import type { PageState } from './types';
import { v2Documents } from './v2';

export interface SnapshotFile {
  body: Buffer;
  contentType: string;
}
export type Snapshot = Map<string, SnapshotFile>;

const STATUS_LABELS: Record<string, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

/** Renders the whole public snapshot for a page state: the v2 JSON API and the HTML page. */
export function buildSnapshot(plan: Plan, state: PageState, templatesDir: string): Snapshot {
  const files: Snapshot = new Map();
  const docs = v2Documents(plan, state);
  for (const [path, doc] of Object.entries(docs)) {
    files.set(path, { body: Buffer.from(JSON.stringify(doc)), contentType: 'application/json; charset=utf-8' });
  }
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(templatesDir, 'pages')), { autoescape: true, throwOnUndefined: true });
  const summary = docs['api/v2/summary.json'] as { page: unknown; status: unknown; components: unknown };
  const html = env.render('status.html.njk', { locale: plan.page.defaultLocale, ...summary, labels: STATUS_LABELS });
  files.set('index.html', { body: Buffer.from(html), contentType: 'text/html; charset=utf-8' });
  return files;
}
