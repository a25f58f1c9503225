import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LocalizedText } from '../../core/localizedText';
import type { IncidentStatus } from '../../core/incidentStatus';
import type { ComponentStatus } from '../../core/plan/schema';
import type { IncidentPolicy } from '../../core/policy';
import type { PageUpdate } from '../../core/statuspage/types';
import type { DeliverySummary } from './notify';

// The incident workflow's public contract: what starts it, what it holds, and the messages it takes.
// The API, the CLI, activities and other workflows import this module, never workflows/incident.ts,
// and start the workflow by name (INCIDENT_WORKFLOW) typed with IncidentWorkflow.

export const INCIDENT_WORKFLOW = 'incident';
export type IncidentWorkflow = (input: IncidentInput, carried?: IncidentState) => Promise<IncidentState>;

/** An operator-declared incident's id: the title's slug and a random suffix. */
export function incidentWorkflowId(slug: string, suffix: string): string {
  return `incident-${slug}-${suffix}`;
}

/** A monitoring-opened incident's id: the source and a digest of the alert group's correlation key. */
export function alertIncidentWorkflowId(source: string, keyDigest: string): string {
  return `incident-${source}-${keyDigest}`;
}

export interface AlertInfo {
  source: string;
  name: string;
  summary?: string;
  labels?: Record<string, string>;
  fingerprint?: string;
  startsAt?: string;
}

export interface IncidentInput {
  title: string;
  scenario: string;
  severity: string;
  components: string[];
  /** The customer-facing impact as it stands: per locale, or a plain string in the page's default locale. */
  impact: LocalizedText;
  /** The first notice's words, when they differ from the impact (absent: the impact is the first notice's words). */
  message?: LocalizedText;
  eta?: string;
  owner?: string;
  technicalDetail?: string;
  /** Operator-set component statuses; otherwise derived from scenario and severity. */
  componentStatuses?: Record<string, ComponentStatus>;
  drill: boolean;
  declaredBy: string;
  /** Set when monitoring opened the incident: it starts firing. */
  alert?: AlertInfo;
  policy: IncidentPolicy;
}

export type TimelineKind =
  | 'declared'
  | 'update'
  | 'holding'
  | 'eta-missed'
  | 'impact'
  | 'approval'
  | 'monitoring'
  | 'escalation'
  | 'reminder'
  | 'resolved';

export interface TimelineEntry {
  seq: number;
  at: string;
  kind: TimelineKind;
  status: IncidentStatus;
  /** The customer-facing words published with this entry; null when the plan's wording was used. */
  message: LocalizedText | null;
  by: string;
  eta?: string | null;
}

export interface ApprovalRecord {
  seq: number;
  phase: string;
  requestedAt: string;
  decidedAt: string | null;
  decision: 'pending' | 'approved' | 'timed-out';
  by: string | null;
}

export interface IncidentState {
  id: string;
  title: string;
  scenario: string;
  severity: string;
  status: IncidentStatus;
  components: string[];
  componentStatuses: Record<string, ComponentStatus>;
  componentStatusOverrides: Record<string, ComponentStatus>;
  impact: LocalizedText;
  eta: string | null;
  owner: string | null;
  technicalDetail: string | null;
  drill: boolean;
  startedAt: string;
  identifiedAt: string | null;
  monitoringAt: string | null;
  resolvedAt: string | null;
  /** The post-incident review given on resolve (absent in runs started before it existed). */
  reviewUrl?: string | null;
  lastPublishedAt: string;
  nextUpdateDue: string | null;
  monitoring: {
    state: 'firing' | 'resolved' | 'none';
    since: string | null;
    alerts: AlertInfo[];
    statusBefore: IncidentStatus | null;
  };
  timeline: TimelineEntry[];
  approvals: ApprovalRecord[];
  escalations: { at: string; reason: string; to: string[] }[];
  deliveries: DeliverySummary[];
  /** Page updates as published (oldest first). */
  pageUpdates: PageUpdate[];
  /** Component statuses as the page last showed them (for each update's affected_components). */
  pageComponentStatuses: Record<string, ComponentStatus>;
  seq: number;
  runs: number;
}

export interface PostUpdateInput {
  status: IncidentStatus;
  message: LocalizedText;
  eta?: string | null;
  components?: string[];
  by: string;
}
export interface ChangeImpactInput {
  severity?: string;
  components?: string[];
  componentStatuses?: Record<string, ComponentStatus>;
  impact?: LocalizedText;
  by: string;
}
export interface ApproveInput {
  /** Which publication; all pending ones when omitted. */
  seq?: number;
  by: string;
}
export interface ResolveInput {
  message: LocalizedText;
  /** A post-incident review to follow: the closing message links it. */
  reviewUrl?: string;
  by: string;
}
export interface MonitoringInput {
  state: 'firing' | 'resolved';
  alert: AlertInfo;
  /**
   * Firing only: what the whole alert group routes to now. Components it names that the incident
   * lacks are added (their subscribers get the initial notice) and a more severe severity raises the
   * incident's (the cadence follows); nothing is ever narrowed or lowered. Senders that do not route
   * (drills) leave it out, which changes nothing.
   */
  routed?: { components: string[]; severity: string };
}
export interface PublishedResult {
  seq: number;
  status: IncidentStatus;
  nextUpdateDue: string | null;
  approval: 'not-required' | 'pending';
}

export const incidentStateQuery = defineQuery<IncidentState>('state');
export const postUpdate = defineUpdate<PublishedResult, [PostUpdateInput]>('postUpdate');
export const changeImpact = defineUpdate<PublishedResult, [ChangeImpactInput]>('changeImpact');
export const approve = defineUpdate<{ approved: number[] }, [ApproveInput]>('approve');
export const resolveIncident = defineUpdate<PublishedResult, [ResolveInput]>('resolve');
export const monitoringSignal = defineSignal<[MonitoringInput]>('monitoring');
