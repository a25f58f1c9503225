import type { Plan } from '../plan/schema';
import { label, type Labels } from './locale';
import type { ItemView } from './types';

// embed/banner.json: what a customer's own app shows in its banner (embed/banner.js), already
// worded per locale so the script only picks the visitor's language. An item carries the id of its
// latest update, so a visitor who dismissed it sees it again when something new is said.

const OPEN = new Set(['investigating', 'identified', 'monitoring', 'in_progress', 'verifying']);
const SOON_MS = 24 * 3_600_000;

export interface BannerItem {
  id: string;
  kind: 'incident' | 'maintenance';
  /** Changes with every update: the dismissal key. */
  update_id: string;
  status: string;
  /** What the banner looks like: critical/major/minor incident, maintenance now, or scheduled. */
  level: 'critical' | 'major' | 'minor' | 'maintenance' | 'scheduled';
  starts_at: string | null;
  ends_at: string | null;
  eta: string | null;
  next_update_at: string | null;
  text: Record<string, { title: string; message: string; status: string; details: string; url: string }>;
}

export interface BannerDocument {
  page: { id: string; name: string; url: string };
  updated_at: string;
  status: { indicator: string; description: string };
  locales: string[];
  default_locale: string;
  labels: Record<string, { region: string; dismiss: string; details: string }>;
  items: BannerItem[];
}

export function bannerDocument(input: {
  plan: Plan;
  now: string;
  status: { indicator: string; description: string };
  locales: Record<string, { t: Labels; views: ItemView[] }>;
}): BannerDocument {
  const { plan, now, status, locales } = input;
  const nowMs = new Date(now).getTime();
  const defaultViews = locales[plan.page.defaultLocale]?.views ?? Object.values(locales)[0]?.views ?? [];
  const shown = defaultViews.filter(
    (v) =>
      OPEN.has(v.status) ||
      (v.status === 'scheduled' &&
        v.scheduledFor &&
        new Date(v.scheduledFor.iso).getTime() - nowMs <= SOON_MS &&
        new Date(v.scheduledUntil!.iso).getTime() > nowMs),
  );
  const rank = { critical: 0, major: 1, minor: 2, maintenance: 3, scheduled: 4 } as const;
  const items: BannerItem[] = shown.map((v) => {
    const level: BannerItem['level'] =
      v.kind === 'maintenance'
        ? v.status === 'scheduled'
          ? 'scheduled'
          : 'maintenance'
        : v.impact === 'critical'
          ? 'critical'
          : v.impact === 'major'
            ? 'major'
            : 'minor';
    const text: BannerItem['text'] = {};
    for (const [locale, { t, views }] of Object.entries(locales)) {
      const lv = views.find((x) => x.id === v.id) ?? v;
      const parts: string[] = [];
      if (lv.latest) parts.push(lv.latest);
      if (lv.kind === 'maintenance' && lv.scheduledFor && lv.scheduledUntil)
        parts.push(`${label(t, 'window')}${label(t, 'colon')}${lv.scheduledFor.text} – ${lv.scheduledUntil.text}`);
      if (lv.eta) parts.push(`${label(t, 'eta')}${label(t, 'colon')}${lv.eta.text}`);
      else if (lv.nextUpdateAt) parts.push(`${label(t, 'nextUpdate')}${label(t, 'colon')}${lv.nextUpdateAt.text}`);
      const kindLabel =
        level === 'scheduled'
          ? label(t, 'banner.scheduled')
          : lv.kind === 'maintenance'
            ? label(t, 'banner.maintenance')
            : label(t, 'banner.incident');
      text[locale] = {
        title: `${kindLabel}${label(t, 'colon')}${lv.name}`,
        message: parts.join(' · '),
        status: label(t, `incidentStatus.${lv.status}`),
        details: label(t, 'banner.details'),
        url: lv.url,
      };
    }
    return {
      id: v.id,
      kind: v.kind,
      update_id: v.latestUpdateId ?? v.id,
      status: v.status,
      level,
      starts_at: v.startedAt?.iso ?? v.scheduledFor?.iso ?? null,
      ends_at: v.resolvedAt?.iso ?? v.scheduledUntil?.iso ?? null,
      eta: v.eta?.iso ?? null,
      next_update_at: v.nextUpdateAt?.iso ?? null,
      text,
    };
  });
  items.sort((a, b) => rank[a.level] - rank[b.level]);
  return {
    page: { id: plan.page.id, name: plan.page.name, url: plan.page.url.replace(/\/+$/, '') },
    updated_at: now,
    status,
    locales: Object.keys(locales),
    default_locale: plan.page.defaultLocale,
    labels: Object.fromEntries(
      Object.entries(locales).map(([l, { t }]) => [
        l,
        { region: label(t, 'banner.region'), dismiss: label(t, 'banner.dismiss'), details: label(t, 'banner.details') },
      ]),
    ),
    items,
  };
}
