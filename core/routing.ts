import type { Plan } from './plan/schema';
import { own } from './own';

// Monitoring alerts → what the plan calls them: an incident scenario, a severity and the affected
// components. Pure: the webhooks call it, tests pin it, and `plan check` could use it to explain a
// label set. The first rule whose labels all match decides what it sets; the rest comes from the
// component and severity labels, then the routing defaults.

export interface RoutedAlert {
  scenario: string;
  severity: string;
  components: string[];
}
export type RouteResult = RoutedAlert | { error: string };

export type AlertLabels = Record<string, string>;

export function routeAlert(plan: Plan, labels: AlertLabels): RouteResult {
  const routing = plan.routing;
  const rule = routing.rules.find((r) => Object.entries(r.match).every(([k, v]) => own(labels, k) === v));

  const scenario = rule?.scenario ?? routing.defaultScenario;
  const planScenario = own(plan.scenarios, scenario);
  if (!planScenario || planScenario.kind !== 'incident')
    return { error: `routing names scenario "${scenario}", which is not an incident scenario of the plan` };

  let severity: string | undefined = rule?.severity;
  if (!severity) {
    const label = own(labels, routing.severityLabel);
    if (label !== undefined) {
      severity = own(routing.severityMap, label) ?? (plan.severities.some((s) => s.id === label) ? label : undefined);
    }
  }
  severity ??= routing.defaultSeverity;
  if (!plan.severities.some((s) => s.id === severity)) return { error: `severity "${severity}" is not in the plan` };

  let components = rule?.components;
  if (!components) {
    const value = own(labels, routing.componentLabel);
    if (value === undefined || value.trim() === '') {
      return { error: `the alert has no "${routing.componentLabel}" label and no routing rule names its components` };
    }
    components = value
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  }
  const known = new Set(plan.components.map((c) => c.id));
  const unknown = components.filter((c) => !known.has(c));
  if (unknown.length > 0) {
    return {
      error: `unknown component${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c.slice(0, 64))).join(', ')} in label "${routing.componentLabel}" (plan has ${[...known].join(', ')})`,
    };
  }
  if (components.length === 0) return { error: `label "${routing.componentLabel}" names no component` };
  return { scenario, severity, components: [...new Set(components)] };
}

/**
 * One alert group (Alertmanager, Grafana) → one incident: the components of every alert that
 * routes, the most severe severity (the plan lists severities most severe first), and the scenario
 * of the first alert that routes. Alerts that do not route are reported, not fatal, unless none does.
 */
export function routeAlertGroup(plan: Plan, alerts: AlertLabels[]): (RoutedAlert & { unrouted: string[] }) | { error: string } {
  const rank = (s: string) => plan.severities.findIndex((x) => x.id === s);
  let out: RoutedAlert | undefined;
  const unrouted: string[] = [];
  for (const labels of alerts) {
    const r = routeAlert(plan, labels);
    if ('error' in r) {
      unrouted.push(r.error);
      continue;
    }
    if (!out) out = { ...r, components: [...r.components] };
    else {
      for (const c of r.components) if (!out.components.includes(c)) out.components.push(c);
      if (rank(r.severity) < rank(out.severity)) out.severity = r.severity;
    }
  }
  if (!out) return { error: unrouted[0] ?? 'the notification has no alerts' };
  return { ...out, unrouted };
}
