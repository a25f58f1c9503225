import { z } from 'zod';
import { INCIDENT_STATUSES } from './incidentStatus';
import { COMPONENT_STATUSES } from './plan/schema';
import { localizedTextSchema } from './localizedText';
import { Body, ComponentIds, Id, Instant, Owner, TechnicalDetail, Title } from './textSchemas';

/** Customer-facing words: a string (in `locale`, else the page's default locale) or { "en": "…", "zh-TW": "…" }. */
const Words = localizedTextSchema(Body);
/** The language of plain-string words in the request (default: the page's default locale). */
const WordsLocale = z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'use a BCP 47 tag such as en or zh-TW');

// The incident's public nouns, shared by the API (request bodies) and the CLI, so a request is checked
// by one schema wherever it enters. Workflows do not import this module (it loads zod): their
// validators read the same bounds from core/textLimits.ts and the statuses from core/incidentStatus.ts.

export { INCIDENT_STATUSES };
export const IncidentStatus = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/** POST /v1/incidents: an operator declares an incident. */
export const DeclareIncident = z.strictObject({
  title: Title,
  scenario: Id,
  severity: Id.optional(),
  components: ComponentIds,
  /** The first notice's words to customers; external messages carry them once. */
  message: Words,
  /** The customer-facing impact as it stands, when it should read differently from the first notice (default: the message). */
  impact: Words.optional(),
  locale: WordsLocale.optional(),
  eta: Instant.optional(),
  owner: Owner.optional(),
  /** Internal only: alert names, hosts, links for the incident team. */
  technicalDetail: TechnicalDetail.optional(),
});
export type DeclareIncident = z.infer<typeof DeclareIncident>;

// Operator writes to a running incident. Who makes them (`by`) is never in the body: the API takes it
// from the authenticated token. The workflow's validators check what only the running state knows
// (status order, pending approvals, the content guard); these check shape and bounds.

/** POST /v1/incidents/:id/updates */
export const PostIncidentUpdate = z.strictObject({
  status: z.enum(['investigating', 'identified', 'monitoring']),
  message: Words,
  locale: WordsLocale.optional(),
  /** A new ETA, or null to withdraw the current one. */
  eta: Instant.nullable().optional(),
  /** Components newly affected (their subscribers get the initial notice). */
  components: ComponentIds.optional(),
});
export type PostIncidentUpdate = z.infer<typeof PostIncidentUpdate>;

/** POST /v1/incidents/:id/impact */
export const ChangeIncidentImpact = z
  .strictObject({
    severity: Id.optional(),
    components: ComponentIds.optional(),
    componentStatuses: z.record(Id, z.enum(COMPONENT_STATUSES)).optional(),
    impact: Words.optional(),
    locale: WordsLocale.optional(),
  })
  .refine(
    (c) => c.severity !== undefined || c.components !== undefined || c.componentStatuses !== undefined || c.impact !== undefined,
    {
      message: 'nothing to change: give severity, components, componentStatuses or impact',
    },
  );
export type ChangeIncidentImpact = z.infer<typeof ChangeIncidentImpact>;

/** POST /v1/incidents/:id/approve — one publication by its seq, or every pending one. */
export const ApproveIncidentMessage = z.strictObject({
  seq: z.number().int().min(1).max(1_000_000).optional(),
});
export type ApproveIncidentMessage = z.infer<typeof ApproveIncidentMessage>;

/** The longest reason a rejection keeps (the workflow's validator holds the same bound). */
export const REJECT_REASON_MAX = 500;

/** POST /v1/incidents/:id/reject — the message that waits for approval goes to nobody. */
export const RejectIncidentMessage = z.strictObject({
  seq: z.number().int().min(1).max(1_000_000),
  /** Why: kept in the incident's record for the team, never sent. */
  reason: z.string().trim().min(1, 'say why the message should not go out').max(REJECT_REASON_MAX),
});
export type RejectIncidentMessage = z.infer<typeof RejectIncidentMessage>;

/** POST /v1/incidents/:id/resolve */
export const ResolveIncident = z.strictObject({
  message: Words,
  locale: WordsLocale.optional(),
  /** A post-incident review to follow; the closing message links it. */
  reviewUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
});
export type ResolveIncident = z.infer<typeof ResolveIncident>;

export function incidentSlug(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'incident';
}
