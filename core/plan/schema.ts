import { z } from 'zod';
import { isDuration, parseDuration } from '../duration';
import { DEFAULT_DATE_HORIZON } from '../horizon';

// The communication plan's shape. Cross-references (a route naming a component, a scenario naming an
// audience, …) are checked in check.ts, which reports each problem with its path in the file.

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes');
export const Locale = z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'use a BCP 47 tag such as en or zh-TW');
const Text = z.string().trim().min(1);
/** Text per locale, e.g. { en: "Payments", "zh-TW": "付款" }. */
const Localized = z.record(Locale, Text);
const Duration = z.string().refine(isDuration, 'must be a duration such as 30s, 15m, 1h30m or 2d');

export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export const ComponentStatus = z.enum(COMPONENT_STATUSES);

export const CHANNELS = ['email', 'sms', 'push', 'voice', 'chat', 'webhook'] as const;
export const Channel = z.enum(CHANNELS);

export const INCIDENT_PHASES = ['initial', 'update', 'holding', 'etaMissed', 'resolved'] as const;
export const MAINTENANCE_PHASES = [
  'announce',
  'reminder',
  'start',
  'update',
  'complete',
  'cancel',
  'reschedule',
  'overrun',
] as const;
export const TEMPLATE_PARTS = ['subject', 'text', 'short'] as const;

const Page = z.strictObject({
  id: Id,
  name: Text,
  url: z.url(),
  timeZone: Text.default('Etc/UTC'),
  locales: z.array(Locale).min(1),
  defaultLocale: Locale,
});

const Group = z.strictObject({ id: Id, name: Localized });

const Component = z.strictObject({
  id: Id,
  name: Localized,
  description: Localized.optional(),
  /** What customers can no longer do, in their words: external messages name this, never hosts. */
  businessFunction: Localized,
  /** What customers can do meanwhile. */
  workaround: Localized.optional(),
  group: Id.optional(),
});

const Severity = z.strictObject({
  id: Id,
  name: Text,
  /** Statuspage incident impact for this severity. */
  impact: z.enum(['none', 'minor', 'major', 'critical']),
});

const Audience = z.strictObject({
  id: Id,
  kind: z.enum(['external', 'internal']),
  description: Text,
  locales: z.array(Locale).min(1),
  channels: z.array(Channel).min(1),
  /** Subscriber attributes that must match (any of the listed values), e.g. { tier: [enterprise] }. */
  filter: z.record(Text, z.array(Text).min(1)).default({}),
  /**
   * A subscriber reached by several audiences of one message hears it once, from the audience with
   * the highest precedence (its wording and channels); at equal precedence, the one listed first
   * in the scenario.
   */
  precedence: z
    .number()
    .int('a whole number from 0 to 1000 (the higher wins)')
    .min(0, 'a whole number from 0 to 1000 (the higher wins)')
    .max(1000, 'a whole number from 0 to 1000 (the higher wins)')
    .default(0),
  /** A sandbox audience receives drills only; its recipients are listed here, never taken from subscribers. */
  sandbox: z.boolean().default(false),
  recipients: z
    .array(
      z.strictObject({
        email: z.email().optional(),
        phone: z
          .string()
          .regex(/^\+[1-9]\d{6,14}$/, 'use E.164, e.g. +15555550100')
          .optional(),
        webhook: z.url().optional(),
        locale: Locale.optional(),
      }),
    )
    .default([]),
});

const ScenarioAudience = z.strictObject({
  audience: Id,
  /** A subset of the audience's channels; all of them when omitted. */
  channels: z.array(Channel).min(1).optional(),
  /** External messages to this audience wait for an operator's approval, up to the scenario's timeout. */
  requiresApproval: z.boolean().default(false),
});

const templateMap = <P extends readonly string[]>(phases: P) =>
  z.strictObject(Object.fromEntries(phases.map((p) => [p, Text])) as { [K in P[number]]: typeof Text });

const IncidentScenario = z.strictObject({
  kind: z.literal('incident'),
  name: Localized,
  description: Text,
  defaultSeverity: Id,
  /** Component status per severity, unless the operator sets one. */
  componentStatus: z.record(Id, ComponentStatus),
  /** How often customers hear from us per severity: next update due = last update + cadence. */
  cadence: z.record(Id, Duration),
  /** Every audience must have the initial notice within this time of the incident's start. */
  initialNoticeWithin: Duration,
  approvalTimeout: Duration.default('10m'),
  /** After monitoring reports resolved and stays quiet this long: resolve (autoResolve) or remind the owner. */
  quietPeriod: Duration.default('30m'),
  autoResolve: z.boolean().default(false),
  audiences: z.array(ScenarioAudience).min(1),
  templates: templateMap(INCIDENT_PHASES),
});

const MaintenanceScenario = z.strictObject({
  kind: z.literal('maintenance'),
  name: Localized,
  description: Text,
  /** Reminders before the window starts, e.g. [72h, 24h, 1h]. */
  reminders: z.array(Duration).default([]),
  /** How far an overrunning window is extended each time its end passes. */
  overrunExtension: Duration.default('30m'),
  approvalTimeout: Duration.default('10m'),
  audiences: z.array(ScenarioAudience).min(1),
  templates: templateMap(MAINTENANCE_PHASES),
});

const Scenario = z.discriminatedUnion('kind', [IncidentScenario, MaintenanceScenario]);

const RouteRule = z.strictObject({
  /** Every listed label must equal the value (exact match). */
  match: z.record(Text, Text).refine((m) => Object.keys(m).length > 0, 'match needs at least one label'),
  scenario: Id.optional(),
  severity: Id.optional(),
  components: z.array(Id).min(1).optional(),
});

const Routing = z.strictObject({
  /** Alert label whose value names a component id. */
  componentLabel: Text.default('component'),
  /** Alert label whose value is mapped to a plan severity through severityMap. */
  severityLabel: Text.default('severity'),
  severityMap: z.record(Text, Id).default({}),
  defaultScenario: Id,
  defaultSeverity: Id,
  rules: z.array(RouteRule).default([]),
});

/** How firing alerts join incidents (core/correlation.ts). Unlisted scenarios in `joins` may join any open incident. */
const Correlation = z.strictObject({
  by: z.enum(['component', 'group', 'labels']).default('component'),
  /** With `by: labels`: alerts whose values of these labels are equal belong together. */
  labels: z.array(Text).default([]),
  /** An open incident takes alerts for this long after its last alert (extending) or after it opened (fixed). */
  window: Duration.default('2h'),
  windowMode: z.enum(['extending', 'fixed']).default('extending'),
  /** Alert scenario → the incident scenarios its alerts may join besides their own, e.g. { degradation: [outage] }. */
  joins: z.record(Id, z.array(Id)).default({}),
});

const DrillSchedule = z.strictObject({
  scenario: Id,
  /** Months (JANUARY…DECEMBER) in which the drill runs, on dayOfMonth at hour:00 in the page's time zone. */
  months: z
    .array(
      z.enum([
        'JANUARY',
        'FEBRUARY',
        'MARCH',
        'APRIL',
        'MAY',
        'JUNE',
        'JULY',
        'AUGUST',
        'SEPTEMBER',
        'OCTOBER',
        'NOVEMBER',
        'DECEMBER',
      ]),
    )
    .min(1),
  dayOfMonth: z.number().int().min(1).max(28),
  hour: z.number().int().min(0).max(23),
});

const Drills = z.strictObject({
  audience: Id,
  timeScale: z.number().positive().default(600),
  schedule: z.array(DrillSchedule).default([]),
});

const Limits = z.strictObject({
  /** SMS length per locale in billed segments (GSM-7: 160 characters, 153 per part; UCS-2: 70, 67); default en 2, Chinese 3. */
  smsSegments: z.record(Locale, z.number().int().min(1).max(10)).default({}),
  /** Deprecated: a character count, read as the segments it takes for locales smsSegments does not name. */
  smsLength: z.number().int().min(70).max(1600).optional(),
  pushLength: z.number().int().min(40).max(1000).default(178),
  /** How far ahead an ETA or a maintenance window may lie; later dates are refused as typos. */
  dateHorizon: Duration.refine((d) => parseDuration(d) >= 86_400_000, 'at least 1d').default(DEFAULT_DATE_HORIZON),
});

const Sms = z.strictObject({
  /** How to stop SMS, ending every SMS (carriers expect it), e.g. "Reply STOP to opt out". */
  optOut: Localized.optional(),
});

export const Plan = z.strictObject({
  version: z.literal(1),
  page: Page,
  /** Internal code names that must never appear in an external message. */
  codeNames: z.array(Text).default([]),
  /** Internal DNS domains; any host under them is refused in external messages. */
  internalDomains: z.array(Text).default([]),
  groups: z.array(Group).default([]),
  components: z.array(Component).min(1),
  severities: z.array(Severity).min(1),
  audiences: z.array(Audience).min(1),
  scenarios: z.record(Id, Scenario),
  routing: Routing,
  correlation: Correlation.prefault({}),
  drills: Drills,
  limits: Limits.default({ smsSegments: {}, pushLength: 178, dateHorizon: DEFAULT_DATE_HORIZON }),
  sms: Sms.default({}),
});

export type Plan = z.infer<typeof Plan>;
export type PlanAudience = Plan['audiences'][number];
export type IncidentScenario = z.infer<typeof IncidentScenario>;
export type MaintenanceScenario = z.infer<typeof MaintenanceScenario>;
export type ScenarioAudience = z.infer<typeof ScenarioAudience>;
export type ComponentStatus = z.infer<typeof ComponentStatus>;
export type Channel = z.infer<typeof Channel>;
export type IncidentPhase = (typeof INCIDENT_PHASES)[number];
export type MaintenancePhase = (typeof MAINTENANCE_PHASES)[number];
