import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import nunjucks from 'nunjucks';
import {
  DEFAULT_TEMPLATES_DIR,
  EMAIL_LAYOUT,
  MESSAGE_CONTEXT_SHAPE,
  V,
  type EmailLayoutVariables,
  type ObjectShape,
  type Shape,
  type ShapeOf,
} from '../render';

// The static check run with the plan's: every variable a message template or the e-mail layout reads
// is declared (render.ts's shape of MessageContext), so a template never prints a field the context
// lacks.

const UNKNOWN: Shape = { kind: 'unknown' };

const EMAIL_SHAPE: ShapeOf<EmailLayoutVariables>['fields'] = {
  email: {
    kind: 'object',
    fields: {
      subject: V,
      blocks: {
        kind: 'list',
        item: { kind: 'object', fields: { lines: { kind: 'list', item: V }, items: { kind: 'list', item: V } } },
      },
    },
  },
};

export interface TemplateVariableProblem {
  /** Path relative to the templates directory, with forward slashes. */
  file: string;
  /** The undeclared name, e.g. "ticketId", or member path, e.g. "incident.ticket". */
  variable: string;
  line?: number;
  column?: number;
}

/**
 * Parses every message template and the e-mail layout, and reports each variable that is not a
 * MessageContext key (or a member that the declared object has not), with names bound inside the
 * template (set, for, macro arguments, imports) and nunjucks' globals excluded. Templates that do not
 * parse are reported with variable "(syntax)".
 */
export function checkTemplateVariables(templatesDir: string = DEFAULT_TEMPLATES_DIR): TemplateVariableProblem[] {
  const problems: TemplateVariableProblem[] = [];
  for (const file of templateFiles(templatesDir)) {
    const source = readFileSync(join(templatesDir, file), 'utf8');
    try {
      analyseTemplate(source, rootShapeFor(file), (use) => {
        if (use.undeclared) problems.push({ file, variable: use.undeclared, line: use.line, column: use.column });
      });
    } catch (err) {
      problems.push({
        file,
        variable: '(syntax)',
        line: (err as { lineno?: number }).lineno,
        column: (err as { colno?: number }).colno,
      });
    }
  }
  return problems;
}

/** Message templates and the e-mail layout: the files rendered with a MessageContext. */
function templateFiles(templatesDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.njk')) files.push(relative(templatesDir, full).split(sep).join('/'));
    }
  };
  walk(join(templatesDir, 'messages'));
  try {
    if (statSync(join(templatesDir, EMAIL_LAYOUT)).isFile()) files.push(EMAIL_LAYOUT);
  } catch {
    // no layout in this directory
  }
  return files;
}

function rootShapeFor(file: string): ObjectShape {
  if (file === EMAIL_LAYOUT) return { kind: 'object', fields: { ...MESSAGE_CONTEXT_SHAPE.fields, ...EMAIL_SHAPE } };
  return MESSAGE_CONTEXT_SHAPE as ObjectShape;
}

/** Names nunjucks provides without a context (globals.js). `loop` and `caller` are bound where they exist. */
const NUNJUCKS_GLOBALS = new Set(['range', 'cycler', 'joiner']);

interface VariableUse {
  topLevel?: string;
  imports?: string;
  undeclared?: string;
  line?: number;
  column?: number;
}

interface NjNode {
  typename: string;
  fields: string[];
  lineno: number;
  colno: number;
  children?: NjNode[];
  value?: unknown;
  [field: string]: unknown;
}

const nunjucksParser = (nunjucks as unknown as { parser: { parse(src: string): NjNode } }).parser;

function isNode(x: unknown): x is NjNode {
  return typeof x === 'object' && x !== null && typeof (x as NjNode).typename === 'string';
}

type Scope = Map<string, Shape>;

function analyseTemplate(source: string, root: ObjectShape, report: (use: VariableUse) => void): void {
  const tree = nunjucksParser.parse(source);
  const at = (node: NjNode) => ({ line: node.lineno + 1, column: node.colno + 1 });

  /** Dotted path of a Symbol/LookupVal chain with literal keys, e.g. "incident.severity.id". */
  const pathOf = (node: NjNode): string | undefined => {
    if (node.typename === 'Symbol') return String(node.value);
    if (node.typename === 'LookupVal' && isNode(node.target) && isNode(node.val) && node.val.typename === 'Literal') {
      const base = pathOf(node.target);
      return base === undefined ? undefined : `${base}.${String(node.val.value)}`;
    }
    return undefined;
  };

  const templateRef = (template: unknown, scope: Scope) => {
    if (isNode(template) && template.typename === 'Literal' && typeof template.value === 'string')
      report({ imports: template.value });
    else walk(template, scope);
  };

  const bindTarget = (target: unknown, scope: Scope, shape: Shape) => {
    if (!isNode(target)) return;
    if (target.typename === 'Symbol') scope.set(String(target.value), shape);
    else for (const child of target.children ?? []) bindTarget(child, scope, UNKNOWN);
  };

  const walkFields = (node: NjNode, scope: Scope, skip: string[] = []) => {
    if (Array.isArray(node.children)) {
      for (const child of node.children) walk(child, scope);
      return;
    }
    for (const field of node.fields) {
      if (skip.includes(field)) continue;
      const value = node[field];
      if (Array.isArray(value)) value.forEach((v) => walk(v, scope));
      else walk(value, scope);
    }
  };

  const walkMacro = (node: NjNode, scope: Scope) => {
    const inner: Scope = new Map(scope);
    inner.set('caller', UNKNOWN);
    const args = isNode(node.args) ? (node.args.children ?? []) : [];
    for (const arg of args) {
      if (arg.typename === 'Symbol') inner.set(String(arg.value), UNKNOWN);
      else if (arg.typename === 'KeywordArgs') {
        for (const pair of arg.children ?? []) {
          if (isNode(pair.key)) inner.set(String(pair.key.value), UNKNOWN);
          walk(pair.value, scope);
        }
      }
    }
    walk(node.body, inner);
  };

  const walk = (x: unknown, scope: Scope): Shape => {
    if (!isNode(x)) return UNKNOWN;
    const node = x;
    switch (node.typename) {
      case 'Symbol': {
        const name = String(node.value);
        if (scope.has(name)) return scope.get(name)!;
        if (NUNJUCKS_GLOBALS.has(name)) return UNKNOWN;
        const shape = root.fields[name];
        report({ topLevel: name, undeclared: shape ? undefined : name, ...at(node) });
        return shape ?? UNKNOWN;
      }
      case 'LookupVal': {
        const target = walk(node.target, scope);
        const val = node.val;
        if (!isNode(val) || val.typename !== 'Literal') {
          walk(val, scope);
          return UNKNOWN;
        }
        const key = val.value;
        if (target.kind === 'object') {
          const field = target.fields[String(key)];
          if (!field) report({ undeclared: pathOf(node) ?? String(key), ...at(node) });
          return field ?? UNKNOWN;
        }
        if (target.kind === 'list') return typeof key === 'number' ? target.item : key === 'length' ? V : UNKNOWN;
        return UNKNOWN;
      }
      case 'Filter':
      case 'FilterAsync': {
        const args = isNode(node.args) ? (node.args.children ?? []) : [];
        const shapes = args.map((a) => walk(a, scope));
        const name = isNode(node.name) ? String(node.name.value) : '';
        const input = shapes[0];
        if ((name === 'first' || name === 'last') && input?.kind === 'list') return input.item;
        if (name === 'length' || name === 'join' || name === 'truncate') return V;
        return UNKNOWN;
      }
      case 'Pair': {
        // Dict keys and keyword-argument names written as bare words are names, not lookups.
        if (isNode(node.key) && node.key.typename !== 'Symbol') walk(node.key, scope);
        walk(node.value, scope);
        return UNKNOWN;
      }
      case 'Is': {
        walk(node.left, scope);
        if (isNode(node.right) && node.right.typename !== 'Symbol') walk(node.right.args, scope);
        return V;
      }
      case 'Set': {
        const shape = walk(node.value, scope);
        if (isNode(node.body)) walk(node.body, scope);
        const targets = Array.isArray(node.targets) ? node.targets : [];
        for (const t of targets) bindTarget(t, scope, targets.length === 1 ? shape : UNKNOWN);
        return UNKNOWN;
      }
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll': {
        const arr = walk(node.arr, scope);
        const inner: Scope = new Map(scope);
        inner.set('loop', UNKNOWN);
        bindTarget(node.name, inner, arr.kind === 'list' ? arr.item : UNKNOWN);
        walk(node.body, inner);
        walk(node.else_, scope);
        return UNKNOWN;
      }
      case 'Macro': {
        if (isNode(node.name)) scope.set(String(node.name.value), UNKNOWN);
        walkMacro(node, scope);
        return UNKNOWN;
      }
      case 'Caller':
        walkMacro(node, scope);
        return UNKNOWN;
      case 'Import':
        templateRef(node.template, scope);
        bindTarget(node.target, scope, UNKNOWN);
        return UNKNOWN;
      case 'FromImport': {
        templateRef(node.template, scope);
        const names = isNode(node.names) ? (node.names.children ?? []) : [];
        for (const n of names) bindTarget(n.typename === 'Pair' ? n.value : n, scope, UNKNOWN);
        return UNKNOWN;
      }
      case 'Include':
      case 'Extends':
        templateRef(node.template, scope);
        return UNKNOWN;
      case 'Block':
        walk(node.body, scope);
        return UNKNOWN;
      case 'Super':
      case 'Literal':
      case 'TemplateData':
        return UNKNOWN;
      default:
        walkFields(node, scope);
        return UNKNOWN;
    }
  };

  walk(tree, new Map());
}
