import { z } from 'zod';
import { COMPONENTS_MAX, ID_MAX, MESSAGE_MAX, OWNER_MAX, TECHNICAL_DETAIL_MAX, TITLE_MAX, TITLE_MIN } from './textLimits';

// The text parts of the operator API's request bodies (core/incident.ts, core/maintenance.ts), one
// definition each, bounded by core/textLimits.ts.

export const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes')
  .max(ID_MAX);
// Text people read: no control characters (titles not even line breaks).
export const Title = z
  .string()
  .trim()
  .min(TITLE_MIN)
  .max(TITLE_MAX)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters or line breaks');
export const Body = z
  .string()
  .trim()
  .min(1)
  .max(MESSAGE_MAX)
  .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters');
export const Instant = z.iso.datetime({ offset: true });
export const Owner = z.string().trim().min(1).max(OWNER_MAX);
export const TechnicalDetail = z.string().trim().max(TECHNICAL_DETAIL_MAX);
export const ComponentIds = z.array(Id).min(1).max(COMPONENTS_MAX);
