import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { Plan } from './schema';
import { checkCrossReferences, type TemplateIndex } from './check';
import type { PlanPath } from './problem';
import { DEFAULT_TEMPLATES_DIR } from '../render';
import { checkTemplateVariables } from './templateCheck';
import { publicWordProblems } from './publicWords';

export interface PlanProblem {
  /** Dotted path in the plan, e.g. "scenarios.outage.cadence.sev1". */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class InvalidPlanError extends Error {
  constructor(
    readonly file: string,
    readonly problems: PlanProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'InvalidPlanError';
  }
}

export function formatProblem(p: PlanProblem): string {
  const where = p.line ? `line ${p.line}${p.column ? `:${p.column}` : ''} ` : '';
  return `${where}${p.path || '(top level)'}: ${p.message}`;
}

export { DEFAULT_TEMPLATES_DIR };

/** Every "<locale>/<kind>/<templateId>.<part>" under templates/messages. */
export function templateIndexFromDir(templatesDir: string = DEFAULT_TEMPLATES_DIR): TemplateIndex {
  const root = join(templatesDir, 'messages');
  const keys = new Set<string>();
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.njk'))
        keys.add(
          relative(root, full)
            .split(sep)
            .join('/')
            .replace(/\.njk$/, ''),
        );
    }
  };
  walk(root);
  return (key) => keys.has(key);
}

/** Parses and validates plan text; returns the plan or every problem found, each with its place in the file. */
export function parsePlan(
  text: string,
  hasTemplate: TemplateIndex,
): { plan: Plan; problems: [] } | { plan?: undefined; problems: PlanProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const locate = (path: PlanPath): PlanProblem => {
    const place = nearestNode(doc, path);
    const pos = place === undefined ? undefined : lineCounter.linePos(place);
    return { path: path.join('.'), line: pos?.line, column: pos?.col, message: '' };
  };
  const parsed = Plan.safeParse(doc.toJS());
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
        return { ...locate(path), message: `${issue.message}${keys}` };
      }),
    };
  }
  const problems = [...checkCrossReferences(parsed.data, hasTemplate), ...publicWordProblems(parsed.data)].map((p) => ({
    ...locate(p.path),
    message: p.message,
  }));
  return problems.length > 0 ? { problems } : { plan: parsed.data, problems: [] };
}

export function loadPlan(file: string, templatesDir?: string): Plan {
  const variableProblems = checkTemplateVariables(templatesDir ?? DEFAULT_TEMPLATES_DIR).map((p) => ({
    path: `templates/${p.file}`,
    line: p.line,
    column: p.column,
    message:
      p.variable === '(syntax)'
        ? 'the template does not parse'
        : `uses "${p.variable}", which is not a declared message variable (core/messages.ts)`,
  }));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidPlanError(file, [{ path: '', message: `cannot read the plan: ${(err as Error).message}` }]);
  }
  const result = parsePlan(text, templateIndexFromDir(templatesDir));
  if (!result.plan || variableProblems.length > 0) throw new InvalidPlanError(file, [...result.problems, ...variableProblems]);
  return result.plan;
}

/** Offset of the deepest node of the document that exists along the path. */
function nearestNode(doc: Document, path: PlanPath): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}
