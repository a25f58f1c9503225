import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { MessageContext, RenderedMessage } from './messages';
import { TEMPLATE_PARTS } from './plan/schema';
import { PROJECT_ROOT } from './projectRoot';
import { shortTime } from './messageWords';
import { ELASTIC_END, ELASTIC_START, stripElastic } from './sms';

// The pure message renderer: MessageContext + template id → subject, text and short parts, and the
// HTML e-mail built from them. No Temporal, no store, no clock: activities wrap it.
//
// Templates live in templates/messages/<locale>/<kind>/<templateId>.<part>.njk. Plain-text parts are
// rendered with autoescape off (they are never HTML); the e-mail layout templates/layouts/email.html.njk
// is rendered with autoescape on. Both environments throw on outputting an undefined or null value,
// so a template that prints a field the context lacks fails loudly instead of sending "undefined".
// Optional fields must be tested first ({% if eta %}…{% endif %}); nunjucks' throwOnUndefined only
// checks output ({{ … }}), never conditions, and the renderer sets every optional top-level key that
// the context leaves out to null, so templates see exactly the keys MessageContext declares.

export const DEFAULT_TEMPLATES_DIR = join(PROJECT_ROOT, 'templates');
export const EMAIL_LAYOUT = 'layouts/email.html.njk';

// ---------------------------------------------------------------------------------------------
// The declared variables, as a shape tree that the compiler keeps in step with MessageContext.

export interface ValueShape {
  kind: 'value';
}
export interface ListShape<I extends Shape = Shape> {
  kind: 'list';
  item: I;
}
export interface ObjectShape<F extends Record<string, Shape> = Record<string, Shape>> {
  kind: 'object';
  fields: F;
}
export type Shape = ValueShape | ListShape | ObjectShape | { kind: 'unknown' };

/** The shape tree of a type: every key is required here, so adding a field to MessageContext forces an entry. */
export type ShapeOf<T> = [T] extends [string | number | boolean]
  ? ValueShape
  : [T] extends [readonly (infer U)[]]
    ? ListShape<ShapeOf<U>>
    : ObjectShape<{ [K in keyof T]-?: ShapeOf<NonNullable<T[K]>> }>;

export const V = { kind: 'value' } as const;

export const MESSAGE_CONTEXT_SHAPE: ShapeOf<MessageContext> = {
  kind: 'object',
  fields: {
    locale: V,
    audienceKind: V,
    channel: V,
    phase: V,
    page: { kind: 'object', fields: { name: V, url: V } },
    scenario: { kind: 'object', fields: { id: V, name: V } },
    incident: {
      kind: 'object',
      fields: {
        id: V,
        title: V,
        status: V,
        statusLabel: V,
        severity: { kind: 'object', fields: { id: V, name: V } },
        impact: V,
        alertWordsOnly: V,
        startedAt: V,
        resolvedAt: V,
        duration: V,
        reviewUrl: V,
        owner: V,
        technicalDetail: V,
      },
    },
    maintenance: {
      kind: 'object',
      fields: {
        id: V,
        title: V,
        statusLabel: V,
        scheduledFor: V,
        scheduledUntil: V,
        previousScheduledFor: V,
        previousScheduledUntil: V,
        startsIn: V,
        description: V,
      },
    },
    components: {
      kind: 'list',
      item: {
        kind: 'object',
        fields: { id: V, name: V, businessFunction: V, workaround: V, status: V, statusLabel: V },
      },
    },
    businessFunctions: V,
    workarounds: { kind: 'list', item: V },
    message: V,
    operatorUpdate: V,
    eta: V,
    nextUpdateAt: V,
    newlyAffected: V,
    newlyAffectedFunctions: { kind: 'list', item: V },
    awaitingApproval: { kind: 'object', fields: { seq: V, audiences: V, sendsAt: V } },
    statusUrl: V,
    unsubscribeUrl: V,
    preferencesUrl: V,
  },
};

/** The top-level MessageContext keys: the only names a message template may use. */
export const declaredVariables = Object.keys(MESSAGE_CONTEXT_SHAPE.fields) as (keyof MessageContext)[];

/** What the e-mail layout gets on top of the message context. */
export interface EmailLayoutVariables {
  email: { subject: string; blocks: EmailBlock[] };
}
/** A run of text lines (a paragraph) or of "- " list items (a list): exactly one of the two is non-empty. */
export interface EmailBlock {
  lines: string[];
  items: string[];
}
// ---------------------------------------------------------------------------------------------
// Rendering

export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

export class TemplateRenderError extends Error {
  constructor(
    readonly template: string,
    cause: unknown,
  ) {
    super(`template ${template}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TemplateRenderError';
  }
}

export interface TemplateRenderer {
  /** Renders subject, text and short for one audience kind, locale and channel (all taken from ctx). */
  render(ctx: MessageContext, templateId: string): RenderedMessage;
  /** The HTML e-mail for a rendered message: subject as heading, text paragraphs, status and unsubscribe links. */
  renderEmailHtml(ctx: MessageContext, rendered: RenderedMessage): string;
}

/** Message template file (relative to the templates directory) for one part. */
export function messageTemplatePath(locale: string, kind: string, templateId: string, part: TemplatePart): string {
  return `messages/${locale}/${kind}/${templateId}.${part}.njk`;
}

export function createTemplateRenderer(templatesDir: string = DEFAULT_TEMPLATES_DIR): TemplateRenderer {
  const common = { throwOnUndefined: true, trimBlocks: true, lstripBlocks: true };
  // Each environment gets its own loader: a loader caches templates per environment it serves.
  const textEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir, { noCache: false }), {
    ...common,
    autoescape: false,
  });
  const htmlEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir, { noCache: false }), {
    ...common,
    autoescape: true,
  });

  // Marks words a short message may shorten to fit its channel (core/sms.ts fitShort).
  for (const env of [textEnv, htmlEnv]) {
    env.addFilter('elastic', (text: unknown) => `${ELASTIC_START}${String(text ?? '')}${ELASTIC_END}`);
    // A formatted message time, shortened for SMS and push ("Tue 10:30 UTC").
    env.addFilter('shorttime', function (this: { ctx: { locale?: string } }, time: unknown) {
      return shortTime(String(time ?? ''), this.ctx.locale ?? 'en');
    });
  }

  const renderPart = (ctx: Record<string, unknown>, file: string): string => {
    try {
      return textEnv.render(file, ctx);
    } catch (err) {
      throw new TemplateRenderError(file, err);
    }
  };

  return {
    render(ctx, templateId) {
      const context = templateContext(ctx);
      const file = (part: TemplatePart) => messageTemplatePath(ctx.locale, ctx.audienceKind, templateId, part);
      return {
        subject: singleLine(renderPart(context, file('subject'))),
        text: normaliseText(renderPart(context, file('text'))),
        short: singleLine(renderPart(context, file('short'))),
      };
    },

    renderEmailHtml(ctx, rendered) {
      const context = {
        ...templateContext(ctx),
        email: { subject: stripElastic(rendered.subject), blocks: emailBlocks(withoutSignature(stripElastic(rendered.text))) },
      } satisfies Record<string, unknown> & EmailLayoutVariables;
      try {
        return htmlEnv.render(EMAIL_LAYOUT, context);
      } catch (err) {
        throw new TemplateRenderError(EMAIL_LAYOUT, err);
      }
    },
  };
}

/** The context templates see: exactly the declared keys, with absent optional ones set to null. */
export function templateContext(ctx: MessageContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = ctx as unknown as Record<string, unknown>;
  for (const key of declaredVariables) out[key] = source[key] ?? null;
  return out;
}

/** The text above the plain-text signature ("-- " line): the HTML e-mail has its own footer. */
export function withoutSignature(text: string): string {
  const at = text.search(/^-- ?$/m);
  return at < 0 ? text : text.slice(0, at).trimEnd();
}

/** Subject and short: one line, single spaces. */
export function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Body text: lines trimmed, runs of spaces collapsed, at most one blank line between paragraphs. */
export function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The text part as HTML blocks: paragraphs split at blank lines, "- " lines gathered into lists. */
export function emailBlocks(text: string): EmailBlock[] {
  const blocks: EmailBlock[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let current: EmailBlock | undefined;
    for (const raw of paragraph.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const item = /^[-•]\s+(.*)$/.exec(line);
      const wanted = item ? 'items' : 'lines';
      if (!current || current[wanted === 'items' ? 'lines' : 'items'].length > 0) {
        current = { lines: [], items: [] };
        blocks.push(current);
      }
      current[wanted].push(item ? item[1]! : line);
    }
  }
  return blocks;
}
