import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parsePlan, templateIndexFromDir } from '../../core/plan/load';

// Names and words operators give the plan's components, groups and scenarios reach the status page
// and every message: they pass the content guard when the plan loads.

const text = readFileSync(join(__dirname, '../../plans/example.yaml'), 'utf8');
const hasTemplate = templateIndexFromDir();

test('the example plan loads', () => {
  assert.deepEqual(parsePlan(text, hasTemplate).problems, []);
});

test('a component named after a machine, a code name or an internal host is refused where it is written', () => {
  const plan = parse(text) as { components: { name: Record<string, string>; workaround?: Record<string, string> }[] };
  plan.components[0]!.name.en = 'redis-master-3';
  plan.components[1]!.name['zh-TW'] = 'Kеstrel 付款';
  plan.components[2]!.workaround = { en: 'Use pay.acme.internal meanwhile.', 'zh-TW': '請稍後再試。' };
  const { problems } = parsePlan(stringify(plan), hasTemplate);
  assert.deepEqual(
    problems.map((p) => p.path),
    ['components.0.name.en', 'components.1.name.zh-TW', 'components.2.workaround.en'],
  );
  assert.ok(problems.every((p) => /customers would see internal detail/.test(p.message) && p.line !== undefined));
});
