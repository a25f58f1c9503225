import { z } from 'zod';

// The incident's public nouns, shared by the API (request bodies), the CLI and the workflow's
// validators, so a request is checked by one schema wherever it enters. Pure: safe in workflows.

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export const IncidentStatus = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes').max(64);
const Title = z.string().trim().min(3).max(200);
const Body = z.string().trim().min(1).max(4000);
const Instant = z.iso.datetime({ offset: true });

/** POST /v1/incidents: an operator declares an incident. */
export const DeclareIncident = z.strictObject({
  title: Title,
  scenario: Id,
  severity: Id.optional(),
  components: z.array(Id).min(1).max(50),
  /** Customer-facing words on what is affected; external messages carry them. */
  message: Body,
  eta: Instant.optional(),
  owner: z.string().trim().min(1).max(200).optional(),
  /** Internal only: alert names, hosts, links for the incident team. */
  technicalDetail: z.string().trim().max(4000).optional(),
});
export type DeclareIncident = z.infer<typeof DeclareIncident>;

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
