// The incident statuses, in the order an incident moves through them. Kept apart from core/incident.ts
// (the zod request schemas) so the workflow bundle does not carry zod: the SDK evaluates the bundle's
// modules again for every workflow it creates, and building the request schemas cost about 30 ms of the
// workflow thread per new incident, notify round or status page run.

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
