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
  /** The alert router that opened it (workflows/contracts/correlation.ts); it tells the router when it closes. */
  correlationId?: string;
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
  | 'rejection'
  | 'resolved'
  /** An alert joined (internal; the first few only, then counts). */
  | 'alert';

export interface TimelineEntry {
  seq: number;
  at: string;
  kind: TimelineKind;
  status: IncidentStatus;
  /** The customer-facing words published with this entry; null when the plan's wording was used. */
  message: LocalizedText | null;
  by: string;
  eta?: string | null;
  /** Internal detail of an `alert` entry: which alert, and what it says. */
  detail?: string;
}

export interface ApprovalRecord {
  seq: number;
  phase: string;
  requestedAt: string;
  decidedAt: string | null;
  /** folded: a later publication took its place in the message that waits (foldedInto). */
  decision: 'pending' | 'approved' | 'timed-out' | 'rejected' | 'folded';
  by: string | null;
  /** The audiences it waited for. */
  audiences?: string[];
  /** When it would go out by itself in the plan's wording. */
  sendsAt?: string;
  foldedInto?: number;
  /** Why it was rejected. */
  reason?: string;
}

/**
 * The external message that waits for approval: one at a time, carrying every publication since it
 * was asked for. Approved, its audiences get one message that says how things stand, in the words
 * that stand; timed out, the plan's wording of the phase reached; rejected, nothing.
 */
export interface AwaitingApproval {
  /** The publication to approve or reject: the latest one it carries. */
  seq: number;
  /** Every publication it carries, oldest first. */
  carries: number[];
  /** The latest one's phase. */
  phase: 'initial' | 'update' | 'holding' | 'etaMissed' | 'resolved';
  /** The audiences it waits for. */
  audiences: string[];
  /** The operator's words that stand (null: the plan's wording), and the publication they were written for. */
  words: LocalizedText | null;
  wordsSeq: number | null;
  /** When the first publication it carries was asked for. */
  requestedAt: string;
  /** When it goes out by itself in the plan's wording (null for incidents started before it was known). */
  sendsAt: string | null;
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
    /** The alert router's count of this incident's alerts, and how many still fire (absent before the router). */
    total?: number;
    firing?: number;
    /** Customers were told it is being monitored; a flap back and forth is not told again. */
    announced?: boolean;
  };
  timeline: TimelineEntry[];
  approvals: ApprovalRecord[];
  /** What waits for approval now (absent in runs started before messages waited in order). */
  awaitingApproval?: AwaitingApproval | null;
  /** Components whose subscribers in the audiences that need approval have had a first notice. */
  toldExternally?: string[];
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
export interface RejectInput {
  /** The waiting message's seq. */
  seq: number;
  /** Why (internal: kept in the incident's record, never sent). */
  reason: string;
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
/** What the alert router tells an incident: new alerts' details (the first few), its whole alert set's counts, what widens it. */
export interface AlertsInput {
  source: string;
  joined: AlertInfo[];
  total: number;
  firing: number;
  /** Components the new alerts add, and a more severe severity; nothing is ever narrowed or lowered. */
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
export const rejectMessage = defineUpdate<{ rejected: number[] }, [RejectInput]>('reject');
export const resolveIncident = defineUpdate<PublishedResult, [ResolveInput]>('resolve');
/** What waits for approval, to whom, and when it goes out by itself (small: for lists). */
export const awaitingApprovalQuery = defineQuery<AwaitingApproval | null>('awaitingApproval');
export const monitoringSignal = defineSignal<[MonitoringInput]>('monitoring');
/** The alert router's news; refused once the incident is resolved (the router then decides those alerts again). */
export const takeAlerts = defineUpdate<{ taken: true }, [AlertsInput]>('takeAlerts');
