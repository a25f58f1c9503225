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
}

export interface PageState {
  /** When the page was first published: the components' created_at. */
  createdAt: string;
  updatedAt: string;
  components: Record<string, { status: ComponentStatus; updatedAt: string }>;
  incidents: PageIncident[];
  maintenances: PageMaintenance[];
}
