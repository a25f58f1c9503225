import { Feed } from 'feed';
import type { Plan } from '../plan/schema';
import { label, type Labels } from './locale';
import type { ItemView } from './types';

// Atom and RSS feeds of incidents and maintenances: one entry per incident or maintenance, its
// date the latest update, its content every update newest first, so a reader shows the current state.

const MAX_ITEMS = 50;

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function feedDocuments(input: {
  plan: Plan;
  locale: string;
  t: Labels;
  items: ItemView[];
  updatedAt: string;
  feedBase: string;
}): { atom: string; rss: string } {
  const { plan, locale, t, items, updatedAt, feedBase } = input;
  const feed = new Feed({
    id: feedBase,
    title: `${plan.page.name} · ${label(t, 'history')}`,
    description: label(t, 'historyIntro'),
    link: feedBase,
    language: locale,
    updated: new Date(updatedAt),
    generator: 'Herald',
    copyright: plan.page.name,
    // Atom requires an author for the feed when its entries have none.
    author: { name: plan.page.name, link: plan.page.url },
    feedLinks: { atom: `${feedBase}history.atom`, rss: `${feedBase}history.rss` },
  });
  const latest = (v: ItemView) => v.updates[0]?.at.iso ?? v.sortAt;
  const sorted = [...items].sort((a, b) => latest(b).localeCompare(latest(a))).slice(0, MAX_ITEMS);
  for (const v of sorted) {
    const status = label(t, `incidentStatus.${v.status}`);
    const facts: string[] = [];
    if (v.componentNames) facts.push(`${label(t, 'affects')}${label(t, 'colon')}${v.componentNames}`);
    if (v.scheduledFor && v.scheduledUntil)
      facts.push(`${label(t, 'window')}${label(t, 'colon')}${v.scheduledFor.text} – ${v.scheduledUntil.text}`);
    if (v.eta) facts.push(`${label(t, 'eta')}${label(t, 'colon')}${v.eta.text}`);
    if (v.nextUpdateAt) facts.push(`${label(t, 'nextUpdate')}${label(t, 'colon')}${v.nextUpdateAt.text}`);
    const content = [
      `<p>${facts.map(escape).join('<br>')}</p>`,
      ...v.updates.map(
        (u) =>
          `<p><strong>${escape(label(t, `incidentStatus.${u.status}`))}</strong> · <time datetime="${u.at.iso}">${escape(u.at.text)}</time><br>${escape(u.body)}</p>`,
      ),
    ].join('\n');
    feed.addItem({
      // The feed marks title and summary as HTML, so operator text is escaped there too.
      title: escape(`${v.name} · ${status}`),
      id: v.url,
      guid: v.url,
      link: v.url,
      date: new Date(latest(v)),
      published: v.startedAt ? new Date(v.startedAt.iso) : v.scheduledFor ? new Date(v.scheduledFor.iso) : undefined,
      description: escape(`${status}${label(t, 'colon')}${v.latest ?? v.name}`),
      content,
      category: [{ name: v.kind === 'incident' ? label(t, 'banner.incident') : label(t, 'banner.maintenance'), term: v.kind }],
    });
  }
  return { atom: feed.atom1(), rss: feed.rss2() };
}
