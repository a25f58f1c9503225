import { checkCorrelation } from '../correlation';
import type { CrossReferenceProblem, PlanPath } from './problem';
import type { Plan } from './schema';
import { TEMPLATE_PARTS } from './schema';

/** Which template files exist, as "<locale>/<kind>/<templateId>.<part>" keys. */
export type TemplateIndex = (key: string) => boolean;

export function templateKey(locale: string, kind: string, templateId: string, part: string): string {
  return `${locale}/${kind}/${templateId}.${part}`;
}

/** Checks what the schema cannot: every id a plan names exists, and every template it needs is there. */
export function checkCrossReferences(plan: Plan, hasTemplate: TemplateIndex): CrossReferenceProblem[] {
  const problems: CrossReferenceProblem[] = [];
  const add = (path: PlanPath, message: string) => problems.push({ path, message });

  const componentIds = new Set(plan.components.map((c) => c.id));
  const groupIds = new Set(plan.groups.map((g) => g.id));
  const severityIds = new Set(plan.severities.map((s) => s.id));
  const audiences = new Map(plan.audiences.map((a) => [a.id, a]));
  const scenarioIds = new Set(Object.keys(plan.scenarios));
  const pageLocales = new Set(plan.page.locales);

  duplicates(plan.components.map((c) => c.id)).forEach((i) =>
    add(['components', i, 'id'], `duplicate component id "${plan.components[i]!.id}"`),
  );
  duplicates(plan.groups.map((g) => g.id)).forEach((i) => add(['groups', i, 'id'], `duplicate group id "${plan.groups[i]!.id}"`));
  duplicates(plan.severities.map((s) => s.id)).forEach((i) =>
    add(['severities', i, 'id'], `duplicate severity id "${plan.severities[i]!.id}"`),
  );
  duplicates(plan.audiences.map((a) => a.id)).forEach((i) =>
    add(['audiences', i, 'id'], `duplicate audience id "${plan.audiences[i]!.id}"`),
  );
  plan.groups.forEach((g) => {
    if (componentIds.has(g.id)) add(['groups'], `group id "${g.id}" is also a component id`);
  });

  if (!pageLocales.has(plan.page.defaultLocale))
    add(['page', 'defaultLocale'], `"${plan.page.defaultLocale}" is not one of page.locales`);
  const localized = (path: PlanPath, text: Record<string, string> | undefined) => {
    if (!text) return;
    for (const locale of plan.page.locales)
      if (!text[locale]) add([...path], `missing the "${locale}" text (page.locales lists it)`);
  };
  plan.groups.forEach((g, i) => localized(['groups', i, 'name'], g.name));
  plan.components.forEach((c, i) => {
    if (c.group && !groupIds.has(c.group)) add(['components', i, 'group'], `unknown group "${c.group}"`);
    localized(['components', i, 'name'], c.name);
    localized(['components', i, 'businessFunction'], c.businessFunction);
    localized(['components', i, 'description'], c.description);
    localized(['components', i, 'workaround'], c.workaround);
  });

  localized(['sms', 'optOut'], plan.sms.optOut);
  for (const locale of Object.keys(plan.limits.smsSegments))
    if (!pageLocales.has(locale)) add(['limits', 'smsSegments', locale], `locale "${locale}" is not one of page.locales`);

  plan.audiences.forEach((a, i) => {
    a.locales.forEach((l, j) => {
      if (!pageLocales.has(l)) add(['audiences', i, 'locales', j], `locale "${l}" is not one of page.locales`);
    });
    if (a.sandbox && a.recipients.length === 0)
      add(['audiences', i, 'recipients'], 'a sandbox audience needs at least one recipient');
    if (!a.sandbox && a.recipients.length > 0)
      add(['audiences', i, 'recipients'], 'only a sandbox audience lists recipients; others come from subscribers');
  });

  for (const [id, scenario] of Object.entries(plan.scenarios)) {
    const at = (...rest: PlanPath): PlanPath => ['scenarios', id, ...rest];
    localized(at('name'), scenario.name);
    if (scenario.kind === 'incident') {
      if (!severityIds.has(scenario.defaultSeverity))
        add(at('defaultSeverity'), `unknown severity "${scenario.defaultSeverity}"`);
      for (const key of ['cadence', 'componentStatus'] as const) {
        for (const sev of Object.keys(scenario[key])) if (!severityIds.has(sev)) add(at(key, sev), `unknown severity "${sev}"`);
        for (const sev of severityIds) if (!(sev in scenario[key])) add(at(key), `no ${key} for severity "${sev}"`);
      }
    }
    const reported = new Set<string>();
    scenario.audiences.forEach((sa, i) => {
      const audience = audiences.get(sa.audience);
      if (!audience) return add(at('audiences', i, 'audience'), `unknown audience "${sa.audience}"`);
      if (audience.sandbox)
        add(at('audiences', i, 'audience'), `"${sa.audience}" is a sandbox audience: drills use it in place of the others`);
      sa.channels?.forEach((ch, j) => {
        if (!audience.channels.includes(ch))
          add(at('audiences', i, 'channels', j), `audience "${audience.id}" has no channel "${ch}"`);
      });
      if (sa.requiresApproval && audience.kind === 'internal')
        add(at('audiences', i, 'requiresApproval'), 'internal audiences are told at once; approval applies to external wording');
      for (const [phase, templateId] of Object.entries(scenario.templates)) {
        for (const locale of audience.locales) {
          const key = `${phase}|${locale}|${audience.kind}`;
          if (reported.has(key)) continue;
          const missing = TEMPLATE_PARTS.filter((part) => !hasTemplate(templateKey(locale, audience.kind, templateId, part)));
          if (missing.length === 0) continue;
          reported.add(key);
          add(
            at('templates', phase),
            `template "${templateId}" is missing for locale "${locale}" and ${audience.kind} audiences (parts: ${missing.join(', ')}; expected templates/messages/${locale}/${audience.kind}/${templateId}.<part>.njk)`,
          );
        }
      }
    });
    duplicates(scenario.audiences.map((a) => a.audience)).forEach((i) =>
      add(at('audiences', i, 'audience'), `audience "${scenario.audiences[i]!.audience}" listed twice`),
    );
  }

  const routing = plan.routing;
  const checkScenario = (path: PlanPath, id: string, kind: 'incident') => {
    const s = plan.scenarios[id];
    if (!s) add(path, `unknown scenario "${id}"`);
    else if (s.kind !== kind) add(path, `scenario "${id}" is a ${s.kind}; alerts open incidents`);
  };
  checkScenario(['routing', 'defaultScenario'], routing.defaultScenario, 'incident');
  if (!severityIds.has(routing.defaultSeverity))
    add(['routing', 'defaultSeverity'], `unknown severity "${routing.defaultSeverity}"`);
  for (const [label, sev] of Object.entries(routing.severityMap)) {
    if (!severityIds.has(sev)) add(['routing', 'severityMap', label], `unknown severity "${sev}"`);
  }
  routing.rules.forEach((rule, i) => {
    if (rule.scenario) checkScenario(['routing', 'rules', i, 'scenario'], rule.scenario, 'incident');
    if (rule.severity && !severityIds.has(rule.severity))
      add(['routing', 'rules', i, 'severity'], `unknown severity "${rule.severity}"`);
    rule.components?.forEach((c, j) => {
      if (!componentIds.has(c)) add(['routing', 'rules', i, 'components', j], `unknown component "${c}"`);
    });
  });

  problems.push(...checkCorrelation(plan));

  const drillAudience = audiences.get(plan.drills.audience);
  if (!drillAudience) add(['drills', 'audience'], `unknown audience "${plan.drills.audience}"`);
  else if (!drillAudience.sandbox)
    add(
      ['drills', 'audience'],
      `audience "${plan.drills.audience}" is not a sandbox audience; drills never reach real recipients`,
    );
  plan.drills.schedule.forEach((d, i) => {
    if (!scenarioIds.has(d.scenario)) add(['drills', 'schedule', i, 'scenario'], `unknown scenario "${d.scenario}"`);
  });
  return problems;
}

function duplicates(ids: string[]): number[] {
  const seen = new Set<string>();
  const repeated: number[] = [];
  ids.forEach((id, i) => (seen.has(id) ? repeated.push(i) : seen.add(id)));
  return repeated;
}
