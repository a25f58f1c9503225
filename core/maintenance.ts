import { z } from 'zod';
import { localizedTextSchema, wordsLocaleSchema } from './localizedText';
import { Body, ComponentIds, Id, Instant, Owner, TechnicalDetail, Title } from './textSchemas';

/** Customer-facing words: a string (in `locale`, else the page's default locale) or { "en": "…", "zh-TW": "…" }. */
const Words = localizedTextSchema(Body);

// The maintenance window's request bodies, shared by the API and the CLI. Who makes a change (`by`)
// comes from the token, never the body. Workflows do not import this module (it loads zod); their
// validators read the same bounds from core/textLimits.ts.

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;

const window = <T extends { scheduledFor: string; scheduledUntil: string }>(w: T) =>
  Date.parse(w.scheduledUntil) > Date.parse(w.scheduledFor);
const windowIssue = { message: 'scheduledUntil must be after scheduledFor', path: ['scheduledUntil'] };

/** POST /v1/maintenances */
export const ScheduleMaintenance = z
  .strictObject({
    title: Title,
    /** A maintenance scenario of the plan. */
    scenario: Id,
    components: ComponentIds,
    scheduledFor: Instant,
    scheduledUntil: Instant,
    /** Customer-facing words on what the work means for them. */
    message: Words,
    locale: wordsLocaleSchema.optional(),
    owner: Owner.optional(),
    /** Internal only. */
    technicalDetail: TechnicalDetail.optional(),
  })
  .refine(window, windowIssue);
export type ScheduleMaintenance = z.infer<typeof ScheduleMaintenance>;

/** POST /v1/maintenances/:id/reschedule */
export const RescheduleMaintenanceBody = z
  .strictObject({
    scheduledFor: Instant,
    scheduledUntil: Instant,
    message: Words.optional(),
    locale: wordsLocaleSchema.optional(),
  })
  .refine(window, windowIssue);
export type RescheduleMaintenanceBody = z.infer<typeof RescheduleMaintenanceBody>;

/** POST /v1/maintenances/:id/updates */
export const MaintenanceNoteBody = z.strictObject({ message: Words, locale: wordsLocaleSchema.optional() });
export type MaintenanceNoteBody = z.infer<typeof MaintenanceNoteBody>;

/** POST /v1/maintenances/:id/cancel and …/complete */
export const FinishMaintenanceBody = z.strictObject({ message: Words.optional(), locale: wordsLocaleSchema.optional() });
export type FinishMaintenanceBody = z.infer<typeof FinishMaintenanceBody>;
