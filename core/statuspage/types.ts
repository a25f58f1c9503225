import type { ComponentStatus } from '../plan/schema';

// What the status page knows, in Herald's own terms; v2.ts turns it into Statuspage's shapes.

export interface PageUpdate {
  id: string;
  status: string;
  body: string;
  createdAt: string;
  affectedComponents: { id: string; oldStatus: ComponentStatus; newStatus: ComponentStatus }[] | null;
}

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
