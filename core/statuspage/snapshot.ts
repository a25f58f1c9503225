import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { formatMessageTime as formatUncached } from '../messageWords';
import type { Plan } from '../plan/schema';
import { bannerDocument } from './banner';
import { feedDocuments } from './feeds';
import { contentTypeFor } from './http';
import { fill, label, loadLabels, type Labels } from './locale';
import type { ItemView, PageHistory, PageIncident, PageMaintenance, PageState, PageUpdate, TimeView } from './types';
import { UPTIME_DAYS, componentUptime, type ComponentUptime } from './uptime';
import { v2Components, v2Documents, v2Status, withoutDrills } from './v2';
import { subscribeFormView } from '../subscriptions';
import { withPageWording } from './wording';

/** Error and maintenance pages list at most this many items and say how many more the status page has. */
const ERROR_PAGE_ITEMS = 10;

// The whole public snapshot of a page state, as files: the status page (every locale), incident
// pages, the history page, the Statuspage v2 JSON API, Atom/RSS feeds, the embeddable banner, the
// maintenance page and the CDN error pages. Pure: the same plan, state and templates give the same
// files; "now" is the state's updatedAt. History older than the workflow keeps can be passed in.

export interface SnapshotFile {
  body: Buffer;
  contentType: string;
}
export type Snapshot = Map<string, SnapshotFile>;

export interface SnapshotOptions {
  /** Past incidents, maintenances and component days kept outside the workflow (the store). */
  history?: PageHistory;
  /** A drill page shows drill incidents and says it is a drill. */
  drill?: boolean;
  /** POST /v1/subscriptions at the API's public URL: the status page shows a subscribe form posting there (never on drill pages). */
  subscribeUrl?: string;
}

/** Times repeat across pages and publishes; formatting one builds an Intl formatter, so keep the text. */
const formatted = new Map<string, string>();
function formatMessageTime(at: Date, locale: string, timeZone: string): string {
  const key = `${at.getTime()}|${locale}|${timeZone}`;
  let text = formatted.get(key);
  if (text === undefined) {
    if (formatted.size > 50_000) formatted.clear();
    text = formatUncached(at, locale, timeZone);
    formatted.set(key, text);
  }
  return text;
}

const listFormats = new Map<string, Intl.ListFormat>();
function listFormat(locale: string): Intl.ListFormat {
  let f = listFormats.get(locale);
  if (!f) listFormats.set(locale, (f = new Intl.ListFormat(locale, { type: 'conjunction', style: 'long' })));
  return f;
}

/** Rendered pages by template and context; pages of past incidents repeat from publish to publish. */
const rendered = new Map<string, string>();
function renderCached(
  env: nunjucks.Environment,
  templatesDir: string,
  template: string,
  context: { locale: string; t: Labels } & Record<string, unknown>,
): string {
  const key = `${templatesDir}|${template}|${context.locale}|${JSON.stringify({ ...context, t: undefined })}`;
  let html = rendered.get(key);
  if (html === undefined) {
    if (rendered.size > 5_000) rendered.clear();
    html = env.render(template, context);
    rendered.set(key, html);
  }
  return html;
}

const environments = new Map<string, nunjucks.Environment>();
function environment(templatesDir: string): nunjucks.Environment {
  let env = environments.get(templatesDir);
  if (!env) {
    env = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(templatesDir, 'pages')), {
      autoescape: true,
      throwOnUndefined: false,
    });
    env.addFilter('fmt', (text: string, vars: Record<string, string | number>) => fill(String(text), vars ?? {}));
    environments.set(templatesDir, env);
  }
  return env;
}

const OPEN_INCIDENT = new Set(['investigating', 'identified', 'monitoring']);

/** Incidents and maintenances from the state, plus older ones from history the state no longer holds. */
function mergeHistory(state: PageState, history?: PageHistory): PageState {
  if (!history) return state;
  const byId = <T extends { id: string }>(current: T[], older: T[] = []) => {
    const known = new Set(current.map((x) => x.id));
    return [...current, ...older.filter((x) => !known.has(x.id))];
  };
  return {
    ...state,
    incidents: byId(state.incidents, history.incidents),
    maintenances: byId(state.maintenances, history.maintenances),
  };
}

export function localePrefix(plan: Plan, locale: string): string {
  return locale === plan.page.defaultLocale ? '' : `${locale}/`;
}

/** Renders the whole public snapshot for a page state. */
export function buildSnapshot(plan: Plan, pageState: PageState, templatesDir: string, options: SnapshotOptions = {}): Snapshot {
  const files: Snapshot = new Map();
  const put = (path: string, body: string | Buffer) =>
    files.set(path, { body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType: contentTypeFor(path) });
  const drill = !!options.drill;
  const state = withPageWording(mergeHistory(pageState, options.history), plan, templatesDir);
  const visible = drill ? state : withoutDrills(state);
  const shownIncidents = visible.incidents;

  const docs = v2Documents(plan, visible, { drill });
  for (const [path, doc] of Object.entries(docs)) put(path, JSON.stringify(doc));

  const env = environment(templatesDir);
  const base = plan.page.url.replace(/\/+$/, '');
  const now = state.updatedAt;
  const uptime = componentUptime({
    plan,
    since: state.createdAt,
    now,
    incidents: shownIncidents,
    maintenances: state.maintenances,
    history: options.history,
  });
  const overallStatus = v2Status(plan, visible, { drill });
  const locales = [plan.page.defaultLocale, ...plan.page.locales.filter((l) => l !== plan.page.defaultLocale)];
  const horizon = new Date(new Date(now).getTime() - UPTIME_DAYS * 86_400_000).toISOString();
  const viewCache = new Map<string, ItemView[]>();
  const views = (locale: string) => {
    let v = viewCache.get(locale);
    if (!v) viewCache.set(locale, (v = viewsFor(plan, state, shownIncidents, locale, loadLabels(templatesDir, locale))));
    return v;
  };

  for (const locale of locales) {
    const t = loadLabels(templatesDir, locale);
    const localeViews = views(locale);
    const prefix = localePrefix(plan, locale);
    const at = (iso: string): TimeView => ({ iso, text: formatMessageTime(new Date(iso), locale, plan.page.timeZone) });

    /** Links for a page at `pageRel` inside the locale's tree (e.g. "", "history.html", "incidents/x.html"). */
    const linksFor = (pageRel: string) => {
      const depth = (prefix + pageRel).split('/').length - 1;
      const root = '../'.repeat(depth);
      const here = (path: string) => root + path || './';
      return {
        home: here(prefix),
        history: here(`${prefix}history.html`),
        atom: here(`${prefix}history.atom`),
        rss: here(`${prefix}history.rss`),
        api: here('api/v2/summary.json'),
        xDefault: `${base}/${pageRel}`,
        alternates: locales.map((l) => ({
          locale: l,
          name: label(loadLabels(templatesDir, l), 'languageName'),
          href: here(localePrefix(plan, l) + pageRel),
          abs: `${base}/${localePrefix(plan, l)}${pageRel}`,
        })),
      };
    };
    const common = (pageRel: string) => ({
      locale,
      t,
      drill,
      page: { id: plan.page.id, name: plan.page.name, url: base },
      overall: { indicator: overallStatus.indicator, text: label(t, `indicator.${overallStatus.indicator}`) },
      updatedAt: at(now),
      links: linksFor(pageRel),
      uptimeDays: UPTIME_DAYS,
    });
    const hrefFrom = (pageRel: string) => {
      const depth = (prefix + pageRel).split('/').length - 1;
      return (item: ItemView) => ({
        ...item,
        href: '../'.repeat(depth) + `${prefix}incidents/${encodeURIComponent(item.id)}.html`,
      });
    };

    // The status page.
    const toIndex = hrefFrom('');
    const incidents = localeViews.filter((v) => v.kind === 'incident');
    const maintenances = localeViews.filter((v) => v.kind === 'maintenance');
    const activeIncidents = incidents.filter((v) => OPEN_INCIDENT.has(v.status)).map(toIndex);
    const activeMaintenances = maintenances.filter((v) => v.status === 'in_progress' || v.status === 'verifying').map(toIndex);
    const upcomingMaintenances = maintenances
      .filter((v) => v.status === 'scheduled')
      .sort((a, b) => a.sortAt.localeCompare(b.sortAt))
      .map(toIndex);
    const recent = localeViews
      .filter((v) => v.status === 'resolved' || v.status === 'postmortem' || v.status === 'completed')
      .sort((a, b) => b.sortAt.localeCompare(a.sortAt))
      .slice(0, 5)
      .map(toIndex);
    put(
      `${prefix}index.html`,
      env.render('status.html.njk', {
        ...common(''),
        activeIncidents,
        activeMaintenances,
        upcomingMaintenances,
        recent,
        componentRows: componentRows(plan, visible, locale, t, uptime),
        subscribe: options.subscribeUrl && !drill ? subscribeFormView(plan, options.subscribeUrl, locale) : null,
      }),
    );

    // One page per incident and maintenance, at the v2 shortlink's path. A page depends on its item
    // only (its "last updated" is the item's own), so an unchanged past incident renders from cache.
    for (const item of localeViews) {
      const rel = `incidents/${encodeURIComponent(item.id)}.html`;
      const itemUpdated = item.updates[0]?.at ?? item.resolvedAt ?? item.startedAt ?? at(now);
      const context = {
        ...common(rel),
        updatedAt: itemUpdated,
        overall: { indicator: overallStatus.indicator, text: `${item.name}: ${label(t, `incidentStatus.${item.status}`)}` },
        item: hrefFrom(rel)(item),
      };
      put(`${prefix}${rel}`, renderCached(env, templatesDir, 'incident.html.njk', context));
    }

    // The history list: the past 90 days, by month.
    const toHistory = hrefFrom('history.html');
    const past = localeViews
      .filter((v) => v.sortAt >= horizon && v.status !== 'scheduled')
      .sort((a, b) => b.sortAt.localeCompare(a.sortAt));
    const monthFormat = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: plan.page.timeZone });
    const months: { key: string; label: string; items: ItemView[] }[] = [];
    for (const item of past) {
      const when = new Date(item.sortAt);
      const key = `m-${when.toISOString().slice(0, 7)}`;
      const monthLabel = monthFormat.format(when);
      let month = months.find((mm) => mm.label === monthLabel);
      if (!month) months.push((month = { key, label: monthLabel, items: [] }));
      month.items.push(toHistory(item));
    }
    put(`${prefix}history.html`, env.render('history.html.njk', { ...common('history.html'), months }));

    // Feeds of incidents and maintenances.
    const feeds = feedDocuments({ plan, locale, t, items: localeViews, updatedAt: now, feedBase: `${base}/${prefix}` });
    put(`${prefix}history.atom`, feeds.atom);
    put(`${prefix}history.rss`, feeds.rss);
  }

  // Self-contained, every-locale pages for CDN custom error responses and the maintenance window.
  const errorSections = locales.map((locale) => {
    const t = loadLabels(templatesDir, locale);
    const localeViews = views(locale);
    const items = localeViews.filter(
      (v) => OPEN_INCIDENT.has(v.status) || v.status === 'in_progress' || v.status === 'verifying',
    );
    const upcoming = localeViews.filter((v) => v.status === 'scheduled').sort((a, b) => a.sortAt.localeCompare(b.sortAt));
    return {
      locale,
      t,
      overall: label(t, `indicator.${overallStatus.indicator}`),
      items,
      maintenanceItems: [...items.filter((v) => v.kind === 'maintenance'), ...upcoming.slice(0, 3)],
      statusUrl: `${base}/${localePrefix(plan, locale)}`,
      updatedAt: formatMessageTime(new Date(now), locale, plan.page.timeZone),
    };
  });
  const errorPage = (code: string, key: string, maintenancePage = false) =>
    env.render('error.html.njk', {
      page: { name: plan.page.name, url: base },
      code,
      maintenancePage,
      overall: { indicator: overallStatus.indicator },
      sections: errorSections.map((s) => {
        const items = maintenancePage ? s.maintenanceItems : s.items;
        const more = items.length - ERROR_PAGE_ITEMS;
        return {
          ...s,
          items: items.slice(0, ERROR_PAGE_ITEMS),
          more: more > 0 ? label(s.t, 'moreOpenItems', { n: more }) : null,
          title: label(s.t, `error.${key}.title`),
          body: label(s.t, `error.${key}.body`),
        };
      }),
    });
  for (const code of ['502', '503', '504']) put(`${code}.html`, errorPage(code, code));
  put('404.html', errorPage('404', '404'));
  put('maintenance.html', errorPage('', 'maintenance', true));

  // What each problem type the error middleware and the gateway responses use means, at its URI.
  for (const type of ['outage', 'maintenance', 'upstream-failure', 'upstream-timeout', 'throttled', 'quota-exceeded']) {
    put(
      `problems/${type}.html`,
      env.render('problem.html.njk', {
        page: { name: plan.page.name, url: base },
        type,
        sections: errorSections.map((s) => ({
          locale: s.locale,
          heading: label(s.t, 'problemDoc.heading'),
          colon: label(s.t, 'colon'),
          text: label(s.t, `problemDoc.${type}`),
          retry: label(s.t, 'problemDoc.retry'),
          link: label(s.t, 'statusPageLink'),
          statusUrl: s.statusUrl,
        })),
      }),
    );
  }

  // The banner a customer's own app shows, and the script that shows it.
  const bannerViews = Object.fromEntries(locales.map((l) => [l, { t: loadLabels(templatesDir, l), views: views(l) }]));
  put('embed/banner.json', JSON.stringify(bannerDocument({ plan, now, status: overallStatus, locales: bannerViews })));
  put('embed/banner.js', readFileSync(join(templatesDir, 'embed', 'banner.js')));
  return files;
}

/** Incidents and maintenances as the pages show them in one locale, newest first. */
function viewsFor(plan: Plan, state: PageState, incidents: PageIncident[], locale: string, t: Labels): ItemView[] {
  const base = plan.page.url.replace(/\/+$/, '');
  const at = (iso: string | null | undefined): TimeView | null =>
    iso ? { iso, text: formatMessageTime(new Date(iso), locale, plan.page.timeZone) } : null;
  const componentName = (id: string) => {
    const c = plan.components.find((x) => x.id === id);
    return c ? (c.name[locale] ?? c.name[plan.page.defaultLocale] ?? id) : id;
  };
  const list = (ids: string[]) => listFormat(locale).format(ids.map(componentName));
  const updates = (us: PageUpdate[]) =>
    us
      .map((u, i) => ({ u, i }))
      .sort((a, b) => (a.u.createdAt < b.u.createdAt ? 1 : a.u.createdAt > b.u.createdAt ? -1 : b.i - a.i))
      .map(({ u }) => ({ id: u.id, status: u.status, at: at(u.createdAt)!, body: u.bodies?.[locale] ?? u.body ?? '' }));
  const url = (id: string) => `${base}/${localePrefix(plan, locale)}incidents/${encodeURIComponent(id)}.html`;
  void t;
  const fromIncident = (i: PageIncident): ItemView => {
    const ups = updates(i.updates);
    return {
      id: i.id,
      kind: 'incident',
      name: i.names?.[locale] ?? i.name,
      status: i.status,
      impact: i.impact,
      href: '',
      url: url(i.id),
      components: i.components,
      componentNames: list(i.components),
      startedAt: at(i.startedAt),
      resolvedAt: at(i.resolvedAt),
      scheduledFor: null,
      scheduledUntil: null,
      eta: OPEN_INCIDENT.has(i.status) ? at(i.eta) : null,
      nextUpdateAt: OPEN_INCIDENT.has(i.status) ? at(i.nextUpdateAt) : null,
      updates: ups,
      latest: ups[0]?.body ?? null,
      latestUpdateId: ups[0]?.id ?? null,
      sortAt: i.startedAt,
    };
  };
  const fromMaintenance = (m: PageMaintenance): ItemView => {
    const ups = updates(m.updates);
    const open = m.status !== 'completed';
    return {
      id: m.id,
      kind: 'maintenance',
      name: m.names?.[locale] ?? m.name,
      status: m.status,
      impact: m.impact,
      href: '',
      url: url(m.id),
      components: m.components,
      componentNames: list(m.components),
      startedAt: at(m.startedAt),
      resolvedAt: at(m.resolvedAt),
      scheduledFor: at(m.scheduledFor),
      scheduledUntil: at(m.scheduledUntil),
      eta: null,
      nextUpdateAt: open ? at(m.nextUpdateAt) : null,
      updates: ups,
      latest: ups[0]?.body ?? null,
      latestUpdateId: ups[0]?.id ?? null,
      sortAt: m.startedAt ?? m.scheduledFor,
    };
  };
  return [...incidents.map(fromIncident), ...state.maintenances.map(fromMaintenance)].sort((a, b) =>
    b.sortAt.localeCompare(a.sortAt),
  );
}

interface ComponentView {
  id: string;
  name: string;
  status: string;
  description: string | null;
  group: boolean;
  children: ComponentView[];
  uptime: { percent: string | null; label: string; days: { noData: boolean; worst: string; title: string }[] };
}

/** Top-level rows: ungrouped components and groups holding their children, in the plan's order. */
function componentRows(plan: Plan, state: PageState, locale: string, t: Labels, uptime: ComponentUptime[]): ComponentView[] {
  const rows = v2Components(plan, state, locale);
  const dayFormat = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  const view = (r: (typeof rows)[number]): ComponentView => {
    const u = uptime.find((x) => x.id === r.id);
    const days = (u?.days ?? []).map((d) => {
      const date = dayFormat.format(new Date(`${d.day}T00:00:00Z`));
      let what = label(t, 'dayOperational');
      if (d.noData) what = label(t, 'noData');
      else if (d.majorOutageSeconds + d.partialOutageSeconds > 0)
        what = label(t, 'dayOutage', {
          major: Math.round(d.majorOutageSeconds / 60),
          partial: Math.round(d.partialOutageSeconds / 60),
        });
      else if (d.worst !== 'operational') what = label(t, `componentStatus.${d.worst}`);
      if (d.maintenanceSeconds > 0)
        what += ` · ${label(t, 'dayMaintenance', { minutes: Math.round(d.maintenanceSeconds / 60) })}`;
      const events = d.events.map((e) => e.name).join(', ');
      return { noData: d.noData, worst: d.worst, title: `${date}: ${what}${events ? ` (${events})` : ''}` };
    });
    const incidentDays = (u?.days ?? []).filter((d) => !d.noData && d.events.length > 0).length;
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      description: r.description,
      group: r.group,
      children: [],
      uptime: {
        percent: u?.percent ?? null,
        label: u?.percent
          ? label(t, 'uptimeLabel', { name: r.name, percent: u.percent, days: UPTIME_DAYS, incidentDays })
          : label(t, 'uptimeLabelNoData', { name: r.name }),
        days,
      },
    };
  };
  const out: ComponentView[] = [];
  for (const r of rows) {
    if (r.group) out.push({ ...view(r), children: rows.filter((c) => c.group_id === r.id).map(view) });
    else if (!r.group_id) out.push(view(r));
  }
  return out;
}
