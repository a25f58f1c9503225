import { correlationRule, type CorrelationRule } from './correlation';
import { defaultTimeline, DrillTimeline, STORM_ALERTS, type AudienceUse, type DrillRequest } from './drill';
import type { Plan } from './plan/schema';
import { incidentPolicy, maintenancePolicy } from './policy';
import { own } from './own';

// Turns a drill request (scenario, time scale, faults, optional timeline) into the drill
// workflow's input, resolving everything from the plan once.

export interface DrillInputShape {
  /** Defaults to the workflow id (scheduled drills get a fresh one each run). */
  drillId?: string;
  scenario: string;
  kind: 'incident' | 'maintenance';
  timeScale: number;
  inject: DrillRequest['inject'];
  timeline: DrillStepList;
  policy: ReturnType<typeof incidentPolicy> | ReturnType<typeof maintenancePolicy>;
  audiences: AudienceUse[];
  scenarioName: string;
  /** With `alert-storm`: how many alert groups open the incident, and the plan's correlation rule they go through. */
  storm?: { alerts: number; rule: CorrelationRule };
}
type DrillStepList = import('./drill').DrillStep[];

export class DrillRequestError extends Error {}

export function buildDrillInput(plan: Plan, req: DrillRequest, o: { statusUrl: string; drillId?: string }): DrillInputShape {
  const scenario = own(plan.scenarios, req.scenario);
  if (!scenario)
    throw new DrillRequestError(`unknown scenario "${req.scenario}" (plan has ${Object.keys(plan.scenarios).join(', ')})`);
  const timeScale = req.timeScale ?? plan.drills.timeScale;
  const timeline = req.timeline ? DrillTimeline.parse(req.timeline) : defaultTimeline(plan, req.scenario);
  const storm = req.inject.includes('alert-storm');
  if (storm && (scenario.kind !== 'incident' || !timeline.some((s) => s.action === 'fire')))
    throw new DrillRequestError('alert-storm needs an incident scenario whose timeline fires an alert');
  const componentIds = new Set(plan.components.map((c) => c.id));
  for (const step of timeline) {
    const components = 'components' in step ? (step.components ?? []) : [];
    for (const c of components)
      if (!componentIds.has(c)) throw new DrillRequestError(`timeline step at ${step.at}: unknown component "${c}"`);
    if ((step.action === 'fire' || step.action === 'update' || step.action === 'resolve') && scenario.kind !== 'incident')
      throw new DrillRequestError(`timeline step "${step.action}" needs an incident scenario`);
    if ((step.action === 'schedule' || step.action === 'complete') && scenario.kind !== 'maintenance')
      throw new DrillRequestError(`timeline step "${step.action}" needs a maintenance scenario`);
  }
  const options = { drill: true, timeScale, statusUrl: o.statusUrl };
  const policy =
    scenario.kind === 'incident'
      ? {
          ...incidentPolicy(plan, req.scenario, options),
          ...(req.inject.includes('cadence-missed') ? { faults: { noHoldingUpdates: true } } : {}),
        }
      : maintenancePolicy(plan, req.scenario, options);
  const audiences: AudienceUse[] = scenario.audiences.map((sa) => {
    const a = plan.audiences.find((x) => x.id === sa.audience)!;
    return { standsFor: a.id, kind: a.kind, locales: a.locales, channels: sa.channels ?? a.channels };
  });
  return {
    ...(o.drillId ? { drillId: o.drillId } : {}),
    scenario: req.scenario,
    kind: scenario.kind,
    timeScale,
    inject: req.inject,
    ...(storm ? { storm: { alerts: STORM_ALERTS, rule: correlationRule(plan) } } : {}),
    timeline,
    policy,
    audiences,
    scenarioName: scenario.name[plan.page.defaultLocale] ?? req.scenario,
  };
}

export function newDrillId(scenario: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `drill-${scenario}-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}
