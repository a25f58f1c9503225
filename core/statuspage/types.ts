import type { ComponentStatus } from '../plan/schema';

// What the status page knows, in Herald's own terms; v2.ts turns it into Statuspage's shapes.

export interface PageUpdate {
  id: string;
  status: string;
  /** The words every locale shows (an operator's), or the default locale's when `bodies` is set; absent when `wording` is. */
  body?: string;
  createdAt: string;
  affectedComponents: { id: string; oldStatus: ComponentStatus; newStatus: ComponentStatus }[] | null;
  /** The body per locale when the update was written in several; `body` is the default locale's. */
  bodies?: Record<string, string>;
  /** The plan's own words, by key: resolved per locale when the snapshot is rendered (core/statuspage/wording.ts). */
  wording?: PageWording;
}

/**
 * Sentences by key under `pageWording` in templates/pages/locales/<locale>.json, with their
 * {placeholders}; joined with the locale's `pageWording.sentenceJoiner`.
 */
export type PageWording = {
  key: string;
  /** Filled in as given, except times (time, from, until, untilTime): ISO instants, put in each locale's words. */
  params?: Record<string, string>;
  /** Component ids whose business functions fill {functions}, in each locale's words. */
  functions?: string[];
}[];

export interface PageIncident {
  id: string;
  name: string;
  status: 'investigating' | 'identified' | 'monitoring' | 'resolved' | 'postmortem';
  impact: 'none' | 'minor' | 'major' | 'critical';
  createdAt: string;
  updatedAt: string;
  startedAt: string;
  monitoringAt: string | null;
  resolvedAt: string | null;
  components: string[];
  /** Oldest first; rendered newest first. */
  updates: PageUpdate[];
  eta: string | null;
  nextUpdateAt: string | null;
  /** What this incident does to each affected component while it is open. */
  componentStatuses: Record<string, ComponentStatus>;
  drill?: boolean;
  /** The name per locale when known; `name` is the default locale's. */
  names?: Record<string, string>;
}

export interface PageMaintenance {
  id: string;
  name: string;
  status: 'scheduled' | 'in_progress' | 'verifying' | 'completed';
  impact: 'none' | 'minor' | 'major' | 'critical' | 'maintenance';
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  resolvedAt: string | null;
  scheduledFor: string;
  scheduledUntil: string;
  components: string[];
  updates: PageUpdate[];
  nextUpdateAt: string | null;
  /** under_maintenance for each component while the window is in progress. */
  componentStatuses: Record<string, ComponentStatus>;
  /** The name per locale when known; `name` is the default locale's. */
  names?: Record<string, string>;
}

export interface PageState {
  /** When the page was first published: the components' created_at. */
  createdAt: string;
  updatedAt: string;
  components: Record<string, { status: ComponentStatus; updatedAt: string }>;
  incidents: PageIncident[];
  maintenances: PageMaintenance[];
}

/** A change sent to the statusPage workflow: the whole current record of one incident or maintenance. */
export type PageChange = { kind: 'incident'; incident: PageIncident } | { kind: 'maintenance'; maintenance: PageMaintenance };

/** One component's day in the page's time zone, as the uptime bars show it. */
export interface ComponentDay {
  /** The worst status the component had that day. */
  worst: ComponentStatus;
  /** Seconds in major_outage and in partial_outage that day. */
  majorOutageSeconds: number;
  partialOutageSeconds: number;
  maintenanceSeconds: number;
}

/**
 * History kept outside the workflow (the store, later): past incidents and maintenances older than
 * what PageState keeps, and per-day component summaries keyed by component id, then by the day
 * (`YYYY-MM-DD` in the page's time zone). A day given here wins over what the snapshot computes.
 */
export interface PageHistory {
  incidents?: PageIncident[];
  maintenances?: PageMaintenance[];
  componentDays?: Record<string, Record<string, ComponentDay>>;
}

// How the pages, feeds and banner show an incident or maintenance: times formatted for one locale.

export interface TimeView {
  iso: string;
  text: string;
}

export interface ItemView {
  id: string;
  kind: 'incident' | 'maintenance';
  name: string;
  status: string;
  impact: string;
  href: string;
  url: string;
  components: string[];
  componentNames: string;
  startedAt: TimeView | null;
  resolvedAt: TimeView | null;
  scheduledFor: TimeView | null;
  scheduledUntil: TimeView | null;
  eta: TimeView | null;
  nextUpdateAt: TimeView | null;
  updates: { id: string; status: string; at: TimeView; body: string }[];
  /** The newest update's text. */
  latest: string | null;
  latestUpdateId: string | null;
  sortAt: string;
}
