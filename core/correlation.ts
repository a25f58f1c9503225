import { parseDuration } from './duration';
import type { CrossReferenceProblem } from './plan/problem';
import type { Plan } from './plan/schema';

// The plan's `correlation:` section as the rule the alert router applies, and the pure pieces both
// sides share: the API derives an alert delivery's correlation keys with the same functions the router
// uses for an incident's components. Pure and deterministic: safe inside workflows.

export interface CorrelationRule {
  by: 'component' | 'group' | 'labels';
  labels: string[];
  windowMs: number;
  /** true: the window runs from the incident's last alert; false: from when it opened. */
  extending: boolean;
  /** Alert scenario → incident scenarios its alerts may join besides their own; unlisted scenarios join any. */
  joins: Record<string, string[]>;
  /** Component → its group, for `by: group` (a component without a group is its own). */
  groups: Record<string, string>;
  /** The plan's severities, most severe first. */
  severities: string[];
}

export function correlationRule(plan: Plan): CorrelationRule {
  const c = plan.correlation;
  return {
    by: c.by,
    labels: [...c.labels],
    windowMs: parseDuration(c.window),
    extending: c.windowMode === 'extending',
    joins: Object.fromEntries(Object.entries(c.joins).map(([k, v]) => [k, [...v]])),
    groups: Object.fromEntries(plan.components.filter((x) => x.group).map((x) => [x.id, x.group!])),
    severities: plan.severities.map((s) => s.id),
  };
}

/** The keys components stand for: the components themselves, or their groups. */
export function componentKeys(rule: CorrelationRule, components: readonly string[]): string[] {
  const keys = components.map((c) => (rule.by === 'group' && rule.groups[c] ? `g:${rule.groups[c]}` : `c:${c}`));
  return [...new Set(keys)];
}

/** One alert's label key for `by: labels`: the values of the chosen labels (absent = empty). */
export function labelKey(rule: CorrelationRule, labels: Readonly<Record<string, string>>): string {
  return `l:${shortHash(rule.labels.map((l) => `${l}=${Object.hasOwn(labels, l) ? labels[l] : ''}`).join('\n'))}`;
}

/** A delivery's correlation keys: from the components its firing alerts route to, or from their labels. */
export function deliveryKeys(
  rule: CorrelationRule,
  components: readonly string[],
  labelSets: readonly Readonly<Record<string, string>>[],
): string[] {
  if (rule.by !== 'labels') return componentKeys(rule, components);
  return [...new Set(labelSets.map((l) => labelKey(rule, l)))].slice(0, 50);
}

export function scenarioMayJoin(rule: CorrelationRule, alertScenario: string, incidentScenario: string): boolean {
  if (alertScenario === incidentScenario) return true;
  const allowed = Object.hasOwn(rule.joins, alertScenario) ? rule.joins[alertScenario] : undefined;
  return allowed === undefined || allowed.includes(incidentScenario);
}

export function withinWindow(
  rule: CorrelationRule,
  incident: { openedAtMs: number; lastAlertAtMs: number },
  nowMs: number,
): boolean {
  const from = rule.extending ? Math.max(incident.openedAtMs, incident.lastAlertAtMs) : incident.openedAtMs;
  return nowMs - from <= rule.windowMs;
}

/** 16 hex digits of two FNV-1a passes: a stable, short name for a longer identity (not a security hash). */
export function shortHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** An alert's identity across deliveries: its source and fingerprint. */
export function alertId(source: string, fingerprint: string): string {
  return shortHash(`${source}\n${fingerprint}`);
}

/** What the schema cannot check: scenarios named in `joins` are incident scenarios, and `labels` fits `by`. */
export function checkCorrelation(plan: Plan): CrossReferenceProblem[] {
  const problems: CrossReferenceProblem[] = [];
  const c = plan.correlation;
  const incidentScenario = (id: string) => plan.scenarios[id]?.kind === 'incident';
  const describe = (id: string) =>
    plan.scenarios[id] ? `scenario "${id}" is a ${plan.scenarios[id]!.kind}; alerts open incidents` : `unknown scenario "${id}"`;
  if (c.by === 'labels' && c.labels.length === 0)
    problems.push({ path: ['correlation', 'labels'], message: 'by: labels needs at least one label name' });
  if (c.by !== 'labels' && c.labels.length > 0)
    problems.push({ path: ['correlation', 'labels'], message: `labels apply only with by: labels (by is ${c.by})` });
  if (c.by === 'group' && plan.groups.length === 0)
    problems.push({
      path: ['correlation', 'by'],
      message: 'by: group, but the plan has no groups (each component would be its own)',
    });
  if (parseDuration(c.window) === 0) problems.push({ path: ['correlation', 'window'], message: 'a window of 0 joins nothing' });
  for (const [alertScenario, targets] of Object.entries(c.joins)) {
    if (!incidentScenario(alertScenario))
      problems.push({ path: ['correlation', 'joins', alertScenario], message: describe(alertScenario) });
    targets.forEach((t, i) => {
      if (!incidentScenario(t)) problems.push({ path: ['correlation', 'joins', alertScenario, i], message: describe(t) });
    });
  }
  return problems;
}
