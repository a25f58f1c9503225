import type { CheckName, DrillCheck, DrillReport, DrillStep, RecipientNotices } from '../core/drill';
import { parseDuration } from '../core/duration';
import type { IncidentPolicy, MaintenancePolicy } from '../core/policy';
import type { IncidentState } from './contracts/incident';
import type { MaintenanceState } from './contracts/maintenance';
import type { DeliverySummary } from './contracts/notify';

// The expectations a drill checks, evaluated from what the run produced. Pure and deterministic:
// the drill workflow runs it itself.

/** Timers on a shared machine fire up to about a second late; compressed-time deadlines allow for it. */
export const JITTER_MS = 1000;
/**
 * Rendering, the ledger and provider calls take real seconds that a time scale cannot compress
 * (at 600x, the plan's 15-minute deadline is 1.5 s). The initial-notice deadline allows this much
 * real processing time on top of the scaled deadline; the latencies are reported as measured.
 */
export const PROCESSING_ALLOWANCE_MS = 5000;

export interface DrillOutcome {
  kind: 'incident' | 'maintenance';
  incident?: IncidentState;
  maintenance?: MaintenanceState;
  policy: IncidentPolicy | MaintenancePolicy;
  timeline: DrillStep[];
  startedAtMs: number;
  finishedAtMs: number;
  /** Set when the lifecycle had not finished in time. */
  unfinished?: string;
  activityChecks: {
    templates: { passed: boolean; detail: string };
    guard: { passed: boolean; detail: string };
    regions: { passed: boolean; detail: string };
  };
  renderedByLocale: Record<string, number>;
  /** With `alert-storm`: how many alerts, how many incidents they opened, and what each recipient was told. */
  storm?: { alerts: number; incidents: number; byRecipient: Record<string, RecipientNotices> };
}

const sentOn = (d: DeliverySummary) =>
  Object.entries(d.report?.byChannel ?? {})
    .filter(([, c]) => (c?.sent ?? 0) > 0)
    .map(([ch]) => ch);

export function evaluateDrill(o: DrillOutcome): {
  checks: DrillCheck[];
  counts: DrillReport['counts'];
  initialNoticeMs: Record<string, number | null>;
} {
  const checks: DrillCheck[] = [];
  const add = (name: CheckName, passed: boolean, detail: string) => checks.push({ name, passed, detail });
  const state = o.incident ?? o.maintenance!;
  const deliveries = state.deliveries;
  const audiences = o.policy.audiences;
  const startedAt = Date.parse(o.incident?.startedAt ?? o.maintenance!.createdAt);
  const initialPhase = o.kind === 'incident' ? 'initial' : 'announce';
  const initialNoticeMs: Record<string, number | null> = {};

  // Every audience of the scenario got the first notice, within the plan's deadline for incidents.
  const deadline =
    o.kind === 'incident' ? (o.policy as IncidentPolicy).initialNoticeWithinMs + PROCESSING_ALLOWANCE_MS : Infinity;
  const late: string[] = [];
  for (const a of audiences) {
    const rounds = deliveries.filter(
      (d) => d.phase === initialPhase && d.standsFor === a.standsFor && d.excludeComponents.length === 0,
    );
    const first = rounds
      .map((d) => (d.report?.firstSentAt && (d.report.sent ?? 0) > 0 ? Date.parse(d.report.firstSentAt) : NaN))
      .filter((t) => !Number.isNaN(t));
    const ms = first.length > 0 ? Math.min(...first) - startedAt : null;
    initialNoticeMs[a.standsFor] = ms;
    if (ms === null) late.push(`${a.standsFor}: never`);
    else if (ms > deadline) late.push(`${a.standsFor}: ${ms} ms (deadline ${deadline} ms)`);
  }
  add(
    'initial-notice',
    late.length === 0,
    late.length === 0
      ? `every audience told: ${Object.entries(initialNoticeMs)
          .map(([a, ms]) => `${a} ${ms} ms`)
          .join(', ')}`
      : `not told in time: ${late.join('; ')}`,
  );

  if (o.incident) {
    const inc = o.incident;
    const policy = o.policy as IncidentPolicy;
    // Cadence: customers never wait longer than the plan's cadence for the next word.
    const cadence = policy.severities[inc.severity]?.cadenceMs ?? Infinity;
    const slack = JITTER_MS + cadence * 0.1;
    const published = inc.timeline
      .filter((e) => ['declared', 'update', 'holding', 'eta-missed', 'monitoring', 'resolved'].includes(e.kind))
      .map((e) => Date.parse(e.at));
    const end = inc.resolvedAt ? Date.parse(inc.resolvedAt) : o.finishedAtMs;
    const marks = [...published, end].sort((a, b) => a - b);
    let worst = 0;
    for (let i = 1; i < marks.length; i++) worst = Math.max(worst, marks[i]! - marks[i - 1]!);
    add(
      'cadence-kept',
      worst <= cadence + slack,
      `longest silence ${worst} ms against a cadence of ${cadence} ms (+${Math.round(slack)} ms allowance); ${inc.timeline.filter((e) => e.kind === 'holding').length} holding update(s)`,
    );

    // ETA missed: customers are told honestly once an ETA passes unresolved.
    const etaSteps = o.timeline.filter((s): s is Extract<DrillStep, { action: 'update' }> => s.action === 'update' && !!s.eta);
    const etaPassed = etaSteps.some((s) => startedAt + parseDuration(s.eta!) / policy.timeScale < end);
    if (!etaPassed) add('eta-missed-handled', true, 'no ETA passed before the resolution');
    else {
      const missed = deliveries.filter((d) => d.phase === 'etaMissed');
      const told = new Set(missed.filter((d) => (d.report?.sent ?? 0) > 0).map((d) => d.standsFor));
      const notTold = audiences.filter((a) => !told.has(a.standsFor)).map((a) => a.standsFor);
      add(
        'eta-missed-handled',
        inc.timeline.some((e) => e.kind === 'eta-missed') && notTold.length === 0,
        notTold.length === 0
          ? `the missed ETA was announced to ${[...told].join(', ')}`
          : `not told that the ETA passed: ${notTold.join(', ')}`,
      );
    }
  }

  // Resolution (or completion) on every channel that carried the incident or maintenance.
  const closing = o.kind === 'incident' ? ['resolved'] : ['complete', 'cancel'];
  const carried = new Set(
    deliveries.filter((d) => !closing.includes(d.phase)).flatMap((d) => sentOn(d).map((ch) => `${d.standsFor}/${ch}`)),
  );
  const closed = new Set(
    deliveries.filter((d) => closing.includes(d.phase)).flatMap((d) => sentOn(d).map((ch) => `${d.standsFor}/${ch}`)),
  );
  const missing = [...carried].filter((c) => !closed.has(c));
  const isClosed = o.incident
    ? o.incident.status === 'resolved'
    : o.maintenance!.status === 'completed' || o.maintenance!.status === 'cancelled';
  add(
    'resolution-sent',
    isClosed && missing.length === 0 && carried.size > 0,
    !isClosed
      ? `never closed (${o.unfinished ?? state.status})`
      : missing.length === 0
        ? `closing message on all ${carried.size} audience/channel pairs that carried it`
        : `no closing message on ${missing.join(', ')}`,
  );

  if (o.maintenance) {
    const m = o.maintenance;
    const policy = o.policy as MaintenancePolicy;
    const expected = policy.remindersMs.filter((offset) => Date.parse(m.scheduledFor) - offset > Date.parse(m.scheduleSetAt));
    const reminderRounds = deliveries.filter((d) => d.phase === 'reminder');
    const perAudience = audiences.map(
      (a) => reminderRounds.filter((d) => d.standsFor === a.standsFor && (d.report?.sent ?? 0) > 0).length,
    );
    const ok = perAudience.every((n) => n >= expected.length);
    add(
      'reminders-sent',
      ok,
      ok
        ? `${expected.length} reminder(s) to each of ${audiences.length} audiences`
        : `expected ${expected.length} reminder(s) per audience, got ${perAudience.join(', ')}`,
    );
  }

  add('templates-rendered', o.activityChecks.templates.passed, o.activityChecks.templates.detail);
  const guardRefusals = deliveries.filter((d) => /guard|internal detail/i.test(d.error ?? ''));
  add(
    'guard-clean',
    o.activityChecks.guard.passed && guardRefusals.length === 0,
    guardRefusals.length > 0
      ? `rounds refused by the guard: ${guardRefusals.map((d) => d.roundId).join(', ')}`
      : o.activityChecks.guard.detail,
  );
  add('provider-regions', o.activityChecks.regions.passed, o.activityChecks.regions.detail);

  const gated = audiences.filter((a) => a.requiresApproval && a.kind === 'external');
  if (o.incident && gated.length > 0) {
    const decisions = o.incident.approvals;
    const notApproved = decisions.filter((d) => d.decision !== 'approved');
    add(
      'approvals-routed',
      decisions.length > 0 && notApproved.length === 0,
      decisions.length === 0
        ? 'no approval was requested although the plan requires one'
        : notApproved.length === 0
          ? `${decisions.length} approval(s) given by ${[...new Set(decisions.map((d) => d.by))].join(', ')}`
          : `approval never given for publication(s) ${notApproved.map((d) => `${d.seq} (${d.phase}: ${d.decision})`).join(', ')}; the pre-approved wording went out instead`,
    );
  } else {
    add('approvals-routed', true, 'the plan requires no approval for this scenario');
  }

  const failedRounds = deliveries.filter((d) => d.error !== null || d.report === null || (d.report?.failedPermanently ?? 0) > 0);
  add(
    'deliveries-completed',
    failedRounds.length === 0 && !o.unfinished,
    o.unfinished
      ? o.unfinished
      : failedRounds.length === 0
        ? `${deliveries.length} rounds completed`
        : `${failedRounds.length} round(s) failed or unfinished: ${failedRounds
            .slice(0, 3)
            .map((d) => `${d.roundId}${d.error ? ` (${d.error.slice(0, 120)})` : ''}`)
            .join('; ')}`,
  );

  const byAudience: DrillReport['counts']['byAudience'] = {};
  const byChannel: DrillReport['counts']['byChannel'] = {};
  for (const d of deliveries) {
    const a = (byAudience[d.standsFor] ??= { rounds: 0, sent: 0, failed: 0 });
    a.rounds += 1;
    a.sent += d.report?.sent ?? 0;
    a.failed += d.report?.failedPermanently ?? 0;
    for (const [ch, c] of Object.entries(d.report?.byChannel ?? {})) {
      const t = (byChannel[ch] ??= { sent: 0, failed: 0 });
      t.sent += c?.sent ?? 0;
      t.failed += c?.failed ?? 0;
    }
  }
  if (o.storm) {
    // One outage is one incident however many alerts it raises, and nobody hears the first notice twice.
    const twice = Object.entries(o.storm.byRecipient).flatMap(([id, n]) =>
      Object.entries(n.initial)
        .filter(([, k]) => k > 1)
        .map(([a, k]) => `${id} ${k}× as ${a}`),
    );
    add(
      'storm-absorbed',
      o.storm.incidents === 1 && twice.length === 0,
      `${o.storm.alerts} alert groups opened ${o.storm.incidents} incident(s); ${
        twice.length === 0
          ? `each of ${Object.keys(o.storm.byRecipient).length} recipients got one initial notice per audience`
          : `told twice: ${twice.join(', ')}`
      }`,
    );
  }
  return {
    checks,
    counts: { byAudience, byChannel, byLocale: o.renderedByLocale, ...(o.storm ? { byRecipient: o.storm.byRecipient } : {}) },
    initialNoticeMs,
  };
}
