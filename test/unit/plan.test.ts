import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import { loadPlan, parsePlan, templateIndexFromDir, type PlanProblem } from '../../core/plan/load';
import { parseDuration, formatDuration } from '../../core/duration';

const EXAMPLE = join(__dirname, '..', '..', 'plans', 'example.yaml');
const exampleText = readFileSync(EXAMPLE, 'utf8');
const allTemplates = () => true;

/** The example plan with one edit applied at a path, as YAML text. */
function edited(path: (string | number)[], value: unknown): string {
  const doc = parseDocument(exampleText);
  doc.setIn(path, value);
  return doc.toString();
}
function removed(path: (string | number)[]): string {
  const doc = parseDocument(exampleText);
  doc.deleteIn(path);
  return doc.toString();
}
function problemsOf(text: string, hasTemplate: (k: string) => boolean = allTemplates): PlanProblem[] {
  const result = parsePlan(text, hasTemplate);
  assert.ok(!result.plan, 'expected the plan to be refused');
  return result.problems;
}
function assertProblem(problems: PlanProblem[], path: string, pattern: RegExp) {
  const hit = problems.find((p) => p.path === path && pattern.test(p.message));
  assert.ok(
    hit,
    `expected a problem at ${path} matching ${pattern}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
  );
  assert.ok(hit.line && hit.line > 0, 'the problem names its line');
}

describe('the example plan', () => {
  test('is valid with the bundled templates', () => {
    const plan = loadPlan(EXAMPLE);
    assert.deepEqual(Object.keys(plan.scenarios).sort(), ['degradation', 'maintenance', 'outage', 'regional-failover']);
    for (const id of ['website', 'api', 'payments'])
      assert.ok(
        plan.components.some((c) => c.id === id),
        id,
      );
    assert.ok(plan.groups.length >= 1);
    const kinds = new Set(plan.audiences.map((a) => `${a.kind}${a.sandbox ? '-sandbox' : ''}`));
    assert.deepEqual([...kinds].sort(), ['external', 'external-sandbox', 'internal']);
    const maintenance = plan.scenarios.maintenance!;
    assert.equal(maintenance.kind, 'maintenance');
    assert.deepEqual(
      maintenance.kind === 'maintenance' && maintenance.reminders.map(parseDuration),
      [72, 24, 1].map((h) => h * 3_600_000),
    );
  });

  test('routes component and severity labels', () => {
    const plan = loadPlan(EXAMPLE);
    assert.equal(plan.routing.componentLabel, 'component');
    assert.equal(plan.routing.severityLabel, 'severity');
    assert.equal(plan.routing.severityMap.critical, 'sev1');
  });

  test('every template file the example needs exists', () => {
    const result = parsePlan(exampleText, templateIndexFromDir());
    assert.deepEqual(result.problems, []);
  });
});

describe('plan problems are reported with their path and line', () => {
  test('an unknown component in a route', () => {
    assertProblem(
      problemsOf(edited(['routing', 'rules', 0, 'components'], ['api', 'billing-db'])),
      'routing.rules.0.components.1',
      /unknown component "billing-db"/,
    );
  });
  test('a cadence that is not a duration', () => {
    assertProblem(
      problemsOf(edited(['scenarios', 'outage', 'cadence', 'sev1'], 'half an hour')),
      'scenarios.outage.cadence.sev1',
      /duration/,
    );
  });
  test('a severity with no cadence', () => {
    assertProblem(
      problemsOf(removed(['scenarios', 'outage', 'cadence', 'sev2'])),
      'scenarios.outage.cadence',
      /no cadence for severity "sev2"/,
    );
  });
  test('a template missing for a locale', () => {
    const hasTemplate = (key: string) => !key.startsWith('zh-TW/external/incident/holding.');
    assertProblem(problemsOf(exampleText, hasTemplate), 'scenarios.outage.templates.holding', /missing for locale "zh-TW"/);
  });
  test('an unknown field', () => {
    assertProblem(
      problemsOf(edited(['scenarios', 'outage', 'cadance'], { sev1: '30m' })),
      'scenarios.outage',
      /Unrecognized key.*cadance/,
    );
  });
  test('an unknown audience in a scenario', () => {
    assertProblem(
      problemsOf(edited(['scenarios', 'outage', 'audiences', 0, 'audience'], 'partners')),
      'scenarios.outage.audiences.0.audience',
      /unknown audience "partners"/,
    );
  });
  test('a channel the audience does not have', () => {
    assertProblem(
      problemsOf(edited(['scenarios', 'degradation', 'audiences', 0, 'channels'], ['email', 'voice'])),
      'scenarios.degradation.audiences.0.channels.1',
      /no channel "voice"/,
    );
  });
  test('an audience precedence that is not a whole number from 0 to 1000', () => {
    for (const bad of [2.5, -1, 1001])
      assertProblem(
        problemsOf(edited(['audiences', 1, 'precedence'], bad)),
        'audiences.1.precedence',
        /whole number from 0 to 1000/,
      );
  });
  test('a drill audience that is not a sandbox', () => {
    assertProblem(problemsOf(edited(['drills', 'audience'], 'customers')), 'drills.audience', /not a sandbox/);
  });
  test('a component name missing a page locale', () => {
    assertProblem(
      problemsOf(edited(['components', 0, 'name'], { en: 'Website' })),
      'components.0.name',
      /missing the "zh-TW" text/,
    );
  });
  test('a route to a maintenance scenario', () => {
    assertProblem(
      problemsOf(edited(['routing', 'rules', 0, 'scenario'], 'maintenance')),
      'routing.rules.0.scenario',
      /maintenance; alerts open incidents/,
    );
  });
  test('a YAML syntax error names its line', () => {
    const problems = problemsOf('version: 1\npage: { id: x\n  name: [unclosed\n');
    assert.ok(problems.length > 0 && problems[0]!.line! >= 2 && /YAML/.test(problems[0]!.message), JSON.stringify(problems));
  });
  test('a duplicate key is refused', () => {
    const problems = problemsOf(exampleText.replace('version: 1\n', 'version: 1\nversion: 1\n'));
    assert.match(problems[0]!.message, /YAML/);
  });
  test('every schema problem is reported, not just the first', () => {
    const doc = parseDocument(edited(['scenarios', 'outage', 'cadence', 'sev1'], 'soon'));
    doc.setIn(['components', 1, 'id'], 'Bad Id');
    const problems = problemsOf(doc.toString());
    assert.ok(problems.some((p) => p.path === 'scenarios.outage.cadence.sev1'));
    assert.ok(problems.some((p) => p.path === 'components.1.id'));
  });
  test('a default locale that the page does not list', () => {
    assertProblem(problemsOf(edited(['page', 'defaultLocale'], 'fr')), 'page.defaultLocale', /not one of page.locales/);
  });
});

describe('durations', () => {
  test('parse and format round-trip', () => {
    for (const text of ['30s', '15m', '1h30m', '2d', '250ms']) assert.equal(formatDuration(parseDuration(text)), text);
  });
  test('refuse what is not a duration', () => {
    for (const text of ['', '15', 'm15', '1.5h', '15 m', 'soon'])
      assert.throws(() => parseDuration(text), /not a duration/, text);
  });
});
