import { z } from 'zod';
import { parseDuration, isDuration } from './duration';
import type { Channel, Plan } from './plan/schema';

// Drills: a scenario's timeline replayed through the real lifecycle workflows in drill mode (time
// scaled, sandbox recipients, drill page), and the expectations a drill checks. Pure: the drill
// workflow evaluates the checks itself from what the run produced.

const Offset = z.string().refine(isDuration, 'must be a duration from the drill start, e.g. 0s, 10m, 1h35m');
const Words = z.string().trim().min(1).max(2000);

export const DrillStep = z.discriminatedUnion('action', [
  z.strictObject({
    at: Offset,
    action: z.literal('fire'),
    alert: z.string().min(1),
    components: z.array(z.string()).min(1),
    severity: z.string().optional(),
    impact: Words,
  }),
  z.strictObject({
    at: Offset,
    action: z.literal('update'),
    status: z.enum(['investigating', 'identified', 'monitoring']),
    message: Words,
    eta: Offset.optional(),
  }),
  z.strictObject({ at: Offset, action: z.literal('monitoring'), state: z.enum(['firing', 'resolved']) }),
  z.strictObject({
    at: Offset,
    action: z.literal('impact'),
    components: z.array(z.string()).min(1).optional(),
    severity: z.string().optional(),
  }),
  z.strictObject({ at: Offset, action: z.literal('resolve'), message: Words }),
  z.strictObject({
    at: Offset,
    action: z.literal('schedule'),
    title: Words,
    components: z.array(z.string()).min(1),
    startsIn: Offset,
    lasts: Offset,
    message: Words,
  }),
  z.strictObject({ at: Offset, action: z.literal('reschedule'), startsIn: Offset, lasts: Offset }),
  z.strictObject({ at: Offset, action: z.literal('maintenance-update'), message: Words }),
  z.strictObject({ at: Offset, action: z.literal('complete') }),
  z.strictObject({ at: Offset, action: z.literal('cancel') }),
]);
export type DrillStep = z.infer<typeof DrillStep>;
export const DrillTimeline = z.array(DrillStep).min(1);

export const FAULTS = ['template-missing', 'region-down', 'both-regions-down', 'approval-never', 'cadence-missed'] as const;
export type Fault = (typeof FAULTS)[number];
/**
 * What `--inject` takes: the faults, and `alert-storm` — the incident is opened by a storm of
 * STORM_ALERTS alert groups through the real alert router instead of one alert, and the
 * `storm-absorbed` check must stay green (one incident; nobody told twice).
 */
export const INJECTIONS = [...FAULTS, 'alert-storm'] as const;
export type Injection = (typeof INJECTIONS)[number];
export const STORM_ALERTS = 300;
/** The one check each injected fault must turn red. */
export const FAULT_CHECK: Record<Fault, CheckName> = {
  'template-missing': 'templates-rendered',
  'region-down': 'provider-regions',
  'both-regions-down': 'provider-regions',
  'approval-never': 'approvals-routed',
  'cadence-missed': 'cadence-kept',
};

export const CHECK_NAMES = [
  'initial-notice',
  'cadence-kept',
  'eta-missed-handled',
  'resolution-sent',
  'templates-rendered',
  'guard-clean',
  'provider-regions',
  'approvals-routed',
  'deliveries-completed',
  'reminders-sent',
  'storm-absorbed',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface DrillCheck {
  name: CheckName;
  passed: boolean;
  detail: string;
}

export const DrillRequest = z.strictObject({
  scenario: z.string().min(1),
  timeScale: z.number().positive().max(100_000).optional(),
  inject: z.array(z.enum(INJECTIONS)).max(INJECTIONS.length).default([]),
  timeline: DrillTimeline.optional(),
});
export type DrillRequest = z.infer<typeof DrillRequest>;

/** The plan's default timeline for a scenario, e.g. outage: fires at T0, identified at +10 min with an ETA of +60 min, the ETA is missed, resolved at +95 min. */
export function defaultTimeline(plan: Plan, scenarioId: string): DrillStep[] {
  const scenario = plan.scenarios[scenarioId];
  if (!scenario) throw new Error(`unknown scenario "${scenarioId}"`);
  const component = plan.components[0]!.id;
  if (scenario.kind === 'maintenance') {
    const lead = Math.max(0, ...scenario.reminders.map(parseDuration)) + 10 * 60_000;
    const startsIn = `${Math.round(lead / 60_000)}m`;
    return [
      {
        at: '0s',
        action: 'schedule',
        title: 'Planned upgrade (drill)',
        components: [component],
        startsIn,
        lasts: '1h',
        message: 'The service will be briefly unavailable during planned work.',
      },
      { at: `${Math.round(lead / 60_000) + 30}m`, action: 'maintenance-update', message: 'The work is going to plan.' },
      { at: `${Math.round(lead / 60_000) + 55}m`, action: 'complete' },
    ];
  }
  const fire: DrillStep = {
    at: '0s',
    action: 'fire',
    alert: `Drill${scenarioId.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    components: [component],
    severity: scenario.defaultSeverity,
    impact: 'Some customers cannot use this service right now.',
  };
  if (scenario.autoResolve) {
    return [
      fire,
      { at: '10m', action: 'update', status: 'identified', message: 'We have found the cause and are applying a fix.' },
      { at: '30m', action: 'monitoring', state: 'resolved' },
    ];
  }
  return [
    fire,
    {
      at: '10m',
      action: 'update',
      status: 'identified',
      message: 'We have found the cause and are working on a fix.',
      eta: '60m',
    },
    { at: '95m', action: 'resolve', message: 'The service is working normally again. We are sorry for the disruption.' },
  ];
}

/** A timeline that replays a past incident: its declaration, updates and resolution at their offsets. */
export function timelineFromIncident(incident: {
  startedAt: string;
  components: string[];
  severity: string;
  impact: string;
  title: string;
  timeline: { at: string; kind: string; status: string; message: string | null; eta?: string | null }[];
}): DrillStep[] {
  const t0 = Date.parse(incident.startedAt);
  const offset = (iso: string) => `${Math.max(0, Math.round((Date.parse(iso) - t0) / 1000))}s`;
  const steps: DrillStep[] = [
    {
      at: '0s',
      action: 'fire',
      alert: incident.title.slice(0, 80),
      components: incident.components,
      severity: incident.severity,
      impact: incident.impact,
    },
  ];
  for (const e of incident.timeline) {
    if (
      e.kind === 'update' &&
      e.message &&
      (e.status === 'investigating' || e.status === 'identified' || e.status === 'monitoring')
    ) {
      steps.push({
        at: offset(e.at),
        action: 'update',
        status: e.status,
        message: e.message,
        ...(e.eta ? { eta: offset(e.eta) } : {}),
      });
    } else if (e.kind === 'resolved') {
      steps.push({ at: offset(e.at), action: 'resolve', message: e.message ?? 'Resolved.' });
    }
  }
  return steps;
}

/** A real audience the sandbox stands in for during a drill. */
export interface AudienceUse {
  standsFor: string;
  kind: 'external' | 'internal';
  locales: string[];
  channels: Channel[];
}

export interface DrillReport {
  drillId: string;
  scenario: string;
  kind: 'incident' | 'maintenance';
  timeScale: number;
  inject: Injection[];
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  checks: DrillCheck[];
  counts: {
    byAudience: Record<string, { rounds: number; sent: number; failed: number }>;
    byChannel: Record<string, { sent: number; failed: number }>;
    byLocale: Record<string, number>;
    /** Per sandbox recipient: notices received, and initial notices per audience it stood in for. */
    byRecipient?: Record<string, RecipientNotices>;
  };
  latencies: { initialNoticeMs: Record<string, number | null>; drillMs: number };
  targetId: string;
  reportFiles?: string[];
}

export function renderDrillMarkdown(r: DrillReport): string {
  const lines = [
    `# Drill ${r.drillId}: ${r.scenario} — ${r.passed ? 'PASSED' : 'FAILED'}`,
    '',
    `Time scale ${r.timeScale}× · ${r.startedAt} → ${r.finishedAt} (${(r.latencies.drillMs / 1000).toFixed(1)} s) · target workflow ${r.targetId}`,
    r.inject.length > 0 ? `Injected faults: ${r.inject.join(', ')}` : 'No injected faults.',
    '',
    '| check | result | detail |',
    '|---|---|---|',
    ...r.checks.map((c) => `| ${c.name} | ${c.passed ? 'pass' : '**FAIL**'} | ${c.detail.replace(/\|/g, '\\|')} |`),
    '',
    '## Counts per audience',
    '',
    '| audience | rounds | sent | failed |',
    '|---|---|---|---|',
    ...Object.entries(r.counts.byAudience).map(([a, c]) => `| ${a} | ${c.rounds} | ${c.sent} | ${c.failed} |`),
    '',
    '## Counts per channel',
    '',
    '| channel | sent | failed |',
    '|---|---|---|',
    ...Object.entries(r.counts.byChannel).map(([ch, c]) => `| ${ch} | ${c.sent} | ${c.failed} |`),
    '',
    ...(r.counts.byRecipient
      ? [
          '## Notices per recipient',
          '',
          '| recipient | notices | initial notices (per audience it stood in for) |',
          '|---|---|---|',
          ...Object.entries(r.counts.byRecipient).map(
            ([id, n]) =>
              `| ${id} | ${n.notices} | ${Object.entries(n.initial)
                .map(([a, k]) => `${a} ${k}`)
                .join(', ')} |`,
          ),
          '',
        ]
      : []),
    '## Messages rendered per locale',
    '',
    ...Object.entries(r.counts.byLocale).map(([l, n]) => `- ${l}: ${n}`),
    '',
    '## Initial notice latency (real time)',
    '',
    ...Object.entries(r.latencies.initialNoticeMs).map(([a, ms]) => `- ${a}: ${ms === null ? 'never' : `${ms} ms`}`),
    '',
  ];
  return lines.join('\n');
}

export function renderDrillHtml(r: DrillReport): string {
  const esc = (s: string) =>
    s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  const rows = r.checks
    .map(
      (c) =>
        `<tr><th scope="row">${esc(c.name)}</th><td class="${c.passed ? 'pass' : 'fail'}">${c.passed ? 'Pass' : 'Fail'}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drill ${esc(r.drillId)}: ${r.passed ? 'passed' : 'failed'}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
.pass{color:#0b5d1e;font-weight:600}.fail{color:#8a1020;font-weight:700}</style></head>
<body><main><h1>Drill ${esc(r.drillId)} — ${esc(r.scenario)}: <span class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'passed' : 'failed'}</span></h1>
<p>Time scale ${r.timeScale}×, ${esc(r.startedAt)} to ${esc(r.finishedAt)}. ${r.inject.length ? `Injected faults: ${esc(r.inject.join(', '))}.` : 'No injected faults.'}</p>
<table><caption>Checks</caption><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Counts per audience</h2><ul>${Object.entries(r.counts.byAudience)
    .map(([a, c]) => `<li>${esc(a)}: ${c.rounds} rounds, ${c.sent} sent, ${c.failed} failed</li>`)
    .join('')}</ul>
${
  r.counts.byRecipient
    ? `<h2>Notices per recipient</h2><ul>${Object.entries(r.counts.byRecipient)
        .map(
          ([id, n]) =>
            `<li>${esc(id)}: ${n.notices} notices; initial: ${esc(
              Object.entries(n.initial)
                .map(([a, k]) => `${a} ${k}`)
                .join(', '),
            )}</li>`,
        )
        .join('')}</ul>`
    : ''
}
<h2>Counts per channel</h2><ul>${Object.entries(r.counts.byChannel)
    .map(([ch, c]) => `<li>${esc(ch)}: ${c.sent} sent, ${c.failed} failed</li>`)
    .join('')}</ul>
</main></body></html>
`;
}

export interface RecipientNotices {
  /** Rounds that sent to this recipient (one notice each, whatever the channels). */
  notices: number;
  /** Initial notices per audience the recipient stood in for (more than one each: told twice). */
  initial: Record<string, number>;
}
