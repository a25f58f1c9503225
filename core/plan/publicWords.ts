import { describeFindings, guardExternalText, guardRulesForPlan } from '../guard';
import type { Plan } from './schema';
import type { CrossReferenceProblem, PlanPath } from './problem';

// Words operators write into the plan that customers read — the page's name, component and group
// names, descriptions, business functions, workarounds, scenario names — pass the same content guard
// as every message, so a component called "redis-master-3" or "Kestrel" is refused when the plan loads.

export function publicWordProblems(plan: Plan): CrossReferenceProblem[] {
  const rules = guardRulesForPlan(plan);
  const problems: CrossReferenceProblem[] = [];
  const check = (path: PlanPath, text: string | undefined) => {
    if (!text) return;
    const findings = guardExternalText(text, rules);
    if (findings.length > 0)
      problems.push({ path, message: `customers would see internal detail: ${describeFindings(findings)}` });
  };
  const localized = (path: PlanPath, words: Record<string, string> | undefined) => {
    for (const [locale, text] of Object.entries(words ?? {})) check([...path, locale], text);
  };
  check(['page', 'name'], plan.page.name);
  plan.groups.forEach((g, i) => localized(['groups', i, 'name'], g.name));
  plan.components.forEach((c, i) => {
    for (const field of ['name', 'description', 'businessFunction', 'workaround'] as const)
      localized(['components', i, field], c[field]);
  });
  for (const [id, s] of Object.entries(plan.scenarios)) localized(['scenarios', id, 'name'], s.name);
  return problems;
}
