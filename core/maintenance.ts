import { z } from 'zod';

// The maintenance window's request bodies, shared by the API, the CLI and (where they want them) the
// maintenance workflow's validators. Who makes a change (`by`) comes from the token, never the body.
// Pure: safe in workflows.

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes')
  .max(64);
// Text people read: no control characters (titles not even line breaks).
const Title = z
  .string()
  .trim()
  .min(3)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters or line breaks');
const Body = z
  .string()
  .trim()
  .min(1)
  .max(4000)
  .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters');
const Instant = z.iso.datetime({ offset: true });

const window = <T extends { scheduledFor: string; scheduledUntil: string }>(w: T) =>
  Date.parse(w.scheduledUntil) > Date.parse(w.scheduledFor);
const windowIssue = { message: 'scheduledUntil must be after scheduledFor', path: ['scheduledUntil'] };

/** POST /v1/maintenances */
export const ScheduleMaintenance = z
  .strictObject({
    title: Title,
    /** A maintenance scenario of the plan. */
    scenario: Id,
    components: z.array(Id).min(1).max(50),
    scheduledFor: Instant,
    scheduledUntil: Instant,
    /** Customer-facing words on what the work means for them. */
    message: Body,
    owner: z.string().trim().min(1).max(200).optional(),
    /** Internal only. */
    technicalDetail: z.string().trim().max(4000).optional(),
  })
  .refine(window, windowIssue);
export type ScheduleMaintenance = z.infer<typeof ScheduleMaintenance>;

/** POST /v1/maintenances/:id/reschedule */
export const RescheduleMaintenanceBody = z
  .strictObject({
    scheduledFor: Instant,
    scheduledUntil: Instant,
    message: Body.optional(),
  })
  .refine(window, windowIssue);
export type RescheduleMaintenanceBody = z.infer<typeof RescheduleMaintenanceBody>;

/** POST /v1/maintenances/:id/updates */
export const MaintenanceNoteBody = z.strictObject({ message: Body });
export type MaintenanceNoteBody = z.infer<typeof MaintenanceNoteBody>;

/** POST /v1/maintenances/:id/cancel and …/complete */
export const FinishMaintenanceBody = z.strictObject({ message: Body.optional() });
export type FinishMaintenanceBody = z.infer<typeof FinishMaintenanceBody>;
