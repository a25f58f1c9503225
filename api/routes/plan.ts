import { Router } from 'express';
import { z } from 'zod';
import { describeFindings, guardExternalMessage, guardRulesForPlan } from '../../core/guard';
import { sampleContext } from '../../core/messageSamples';
import { renderChannelMessage } from '../../core/messageContent';
import { CHANNELS, INCIDENT_PHASES, MAINTENANCE_PHASES, type Plan } from '../../core/plan/schema';
import { createTemplateRenderer, type TemplateRenderer } from '../../core/render';
import { Problem, invalidBody } from '../problem';
import type { RouteDeps } from './common';
import { own } from '../../core/own';

/** GET /v1/preview's query: which message to render with sample data. */
export const PreviewQuery = z.strictObject({
  scenario: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  phase: z.enum([...new Set([...INCIDENT_PHASES, ...MAINTENANCE_PHASES])] as [string, ...string[]]).optional(),
  channel: z.enum(CHANNELS).default('email'),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/)
    .optional(),
  kind: z.enum(['external', 'internal']).default('external'),
});
export type PreviewQuery = z.infer<typeof PreviewQuery>;

export function planRoutes(deps: RouteDeps & { templatesDir?: string }): Router {
  const { plan, requireRole } = deps;
  const router = Router();
  let renderer: TemplateRenderer | undefined;

  router.get('/v1/plan', requireRole('viewer'), (_req, res) => {
    // Sandbox recipients are addresses; only admins see them.
    res.json(
      res.locals.role === 'admin'
        ? plan
        : { ...plan, audiences: plan.audiences.map(({ recipients, ...a }) => ({ ...a, recipients: recipients.length })) },
    );
  });

  router.get('/v1/preview', requireRole('viewer'), (req, res) => {
    const parsed = PreviewQuery.safeParse(req.query);
    if (!parsed.success) throw invalidBody(parsed.error);
    renderer ??= createTemplateRenderer(deps.templatesDir);
    res.json(renderPreview(plan, renderer, parsed.data));
  });

  return router;
}

export interface Preview {
  scenario: string;
  phase: string;
  channel: string;
  locale: string;
  kind: 'external' | 'internal';
  templateId: string;
  subject: string;
  text: string;
  short: string;
  /** External messages only: what the content guard would refuse (the templates should never trip it). */
  guard: string | null;
}

export function renderPreview(plan: Plan, renderer: TemplateRenderer, q: PreviewQuery): Preview {
  const scenario = own(plan.scenarios, q.scenario);
  if (!scenario)
    throw new Problem(422, 'Unknown scenario', `scenario: the plan has ${Object.keys(plan.scenarios).join(', ')}`, {
      errors: [{ path: 'scenario', message: `unknown scenario "${q.scenario}"` }],
    });
  const phases: readonly string[] = scenario.kind === 'incident' ? INCIDENT_PHASES : MAINTENANCE_PHASES;
  const phase = q.phase ?? phases[0]!;
  if (!phases.includes(phase))
    throw new Problem(422, 'Unknown phase', `phase: a ${scenario.kind} scenario has ${phases.join(', ')}`, {
      errors: [{ path: 'phase', message: `not a ${scenario.kind} phase` }],
    });
  const locale = q.locale ?? plan.page.defaultLocale;
  if (!plan.page.locales.includes(locale))
    throw new Problem(422, 'Unknown locale', `locale: the plan has ${plan.page.locales.join(', ')}`, {
      errors: [{ path: 'locale', message: `not a locale of the plan` }],
    });
  const templateId = own(scenario.templates as Record<string, string>, phase)!;
  const ctx = sampleContext(plan, { scenarioId: q.scenario, locale, kind: q.kind, channel: q.channel, phase: phase as never });
  let rendered;
  try {
    rendered = renderChannelMessage(plan, renderer, ctx, templateId).content;
  } catch (err) {
    throw new Problem(422, 'Template does not render', (err as Error).message.split('\n')[0]);
  }
  const findings = q.kind === 'external' ? guardExternalMessage({ ...rendered }, guardRulesForPlan(plan)) : [];
  return {
    scenario: q.scenario,
    phase,
    channel: q.channel,
    locale,
    kind: q.kind,
    templateId,
    ...rendered,
    guard: findings.length ? describeFindings(findings) : null,
  };
}
