import { parseDuration } from './duration';
import { guardRulesForPlan, type GuardRules } from './guard';
import { dateHorizonMs } from './horizon';
import type { Channel, ComponentStatus, Plan } from './plan/schema';
import { own } from './own';

// What a lifecycle workflow needs from the plan, resolved once when the workflow starts and passed
// in its input: running workflows stay deterministic and keep the plan version they started with.
// Drills divide every duration by the time scale and send to the sandbox audience only.

export interface PolicyAudience {
  audienceId: string;
  /** The audience whose wording and channels this round uses (in drills, the one the sandbox stands in for). */
  standsFor: string;
  kind: 'external' | 'internal';
  channels: Channel[];
  requiresApproval: boolean;
  /** The plan audience's precedence: who tells a subscriber several audiences reach (absent in runs started before it existed). */
  precedence?: number;
}

export interface IncidentPolicy {
  pageId: string;
  statusUrl: string;
  componentIds: string[];
  severities: Record<
    string,
    { impact: 'none' | 'minor' | 'major' | 'critical'; cadenceMs: number; componentStatus: ComponentStatus }
  >;
  initialNoticeWithinMs: number;
  approvalTimeoutMs: number;
  quietPeriodMs: number;
  autoResolve: boolean;
  audiences: PolicyAudience[];
  templates: Record<'initial' | 'update' | 'holding' | 'etaMissed' | 'resolved', string>;
  guard: GuardRules;
  /** How far ahead an ETA may lie (absent in runs started before: one year). */
  horizonMs?: number;
  timeScale: number;
  /** Continue-as-new once a run's history has this many events (Temporal suggests it at ~4k). */
  continueAsNewAfterEvents: number;
  /** Drill fault injection: switch off the automatic holding update, to prove the cadence check catches it. */
  faults?: { noHoldingUpdates?: boolean };
}

export interface MaintenancePolicy {
  pageId: string;
  statusUrl: string;
  componentIds: string[];
  remindersMs: number[];
  overrunExtensionMs: number;
  approvalTimeoutMs: number;
  audiences: PolicyAudience[];
  templates: Record<'announce' | 'reminder' | 'start' | 'update' | 'complete' | 'cancel' | 'reschedule' | 'overrun', string>;
  guard: GuardRules;
  /** How far ahead a window may lie (absent in runs started before: one year). */
  horizonMs?: number;
  timeScale: number;
  continueAsNewAfterEvents: number;
}

export interface PolicyOptions {
  drill?: boolean;
  /** Plan durations are divided by this (drills: e.g. 600 = ten minutes per second). */
  timeScale?: number;
  statusUrl?: string;
  continueAsNewAfterEvents?: number;
}

function audiencesFor(
  plan: Plan,
  scenarioAudiences: { audience: string; channels?: Channel[]; requiresApproval: boolean }[],
  drill: boolean,
): PolicyAudience[] {
  return scenarioAudiences.map((sa) => {
    const audience = plan.audiences.find((a) => a.id === sa.audience)!;
    const channels = sa.channels ?? audience.channels;
    if (!drill)
      return {
        audienceId: audience.id,
        standsFor: audience.id,
        kind: audience.kind,
        channels,
        requiresApproval: sa.requiresApproval,
        precedence: audience.precedence,
      };
    const sandbox = plan.audiences.find((a) => a.id === plan.drills.audience)!;
    // The sandbox receives what this audience would, on the channels it has of those.
    const sandboxChannels = channels.filter((c) => sandbox.channels.includes(c));
    return {
      audienceId: sandbox.id,
      standsFor: audience.id,
      kind: audience.kind,
      channels: sandboxChannels.length > 0 ? sandboxChannels : sandbox.channels,
      requiresApproval: sa.requiresApproval,
      precedence: audience.precedence,
    };
  });
}

/** What both kinds of policy share, and plan durations scaled to milliseconds. */
function common(plan: Plan, scenarioAudiences: Parameters<typeof audiencesFor>[1], o: PolicyOptions) {
  const scale = o.timeScale ?? 1;
  const ms = (d: string) => Math.max(1, Math.round(parseDuration(d) / scale));
  const shared = {
    pageId: plan.page.id,
    statusUrl: o.statusUrl ?? plan.page.url,
    componentIds: plan.components.map((c) => c.id),
    audiences: audiencesFor(plan, scenarioAudiences, !!o.drill),
    guard: guardRulesForPlan(plan),
    horizonMs: dateHorizonMs(plan),
    timeScale: scale,
    continueAsNewAfterEvents: o.continueAsNewAfterEvents ?? 4000,
  };
  return { ms, shared };
}

export function incidentPolicy(plan: Plan, scenarioId: string, o: PolicyOptions = {}): IncidentPolicy {
  const scenario = own(plan.scenarios, scenarioId);
  if (!scenario || scenario.kind !== 'incident') throw new Error(`"${scenarioId}" is not an incident scenario of the plan`);
  const { ms, shared } = common(plan, scenario.audiences, o);
  return {
    ...shared,
    severities: Object.fromEntries(
      plan.severities.map((s) => [
        s.id,
        { impact: s.impact, cadenceMs: ms(scenario.cadence[s.id]!), componentStatus: scenario.componentStatus[s.id]! },
      ]),
    ),
    initialNoticeWithinMs: ms(scenario.initialNoticeWithin),
    approvalTimeoutMs: ms(scenario.approvalTimeout),
    quietPeriodMs: ms(scenario.quietPeriod),
    autoResolve: scenario.autoResolve,
    templates: { ...scenario.templates },
  };
}

export function maintenancePolicy(plan: Plan, scenarioId: string, o: PolicyOptions = {}): MaintenancePolicy {
  const scenario = own(plan.scenarios, scenarioId);
  if (!scenario || scenario.kind !== 'maintenance') throw new Error(`"${scenarioId}" is not a maintenance scenario of the plan`);
  const { ms, shared } = common(plan, scenario.audiences, o);
  return {
    ...shared,
    remindersMs: scenario.reminders.map(ms).sort((a, b) => b - a),
    overrunExtensionMs: ms(scenario.overrunExtension),
    approvalTimeoutMs: ms(scenario.approvalTimeout),
    templates: { ...scenario.templates },
  };
}
