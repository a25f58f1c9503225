import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  ApproveIncidentMessage,
  ChangeIncidentImpact,
  DeclareIncident,
  INCIDENT_STATUSES,
  incidentSlug,
  PostIncidentUpdate,
  RejectIncidentMessage,
  ResolveIncident,
} from '../../core/incident';
import type { Plan } from '../../core/plan/schema';
import { incidentPolicy } from '../../core/policy';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../../core/searchAttributes';
import {
  approve,
  awaitingApprovalQuery,
  changeImpact,
  INCIDENT_WORKFLOW,
  incidentStateQuery,
  incidentWorkflowId,
  postUpdate,
  rejectMessage,
  resolveIncident,
  type AwaitingApproval,
  type IncidentInput,
  type IncidentWorkflow,
} from '../../workflows/contracts/incident';
import { Problem, type FieldError } from '../problem';
import { claimIncident } from './webhooks/correlationClient';
import { actorOf, checkId, guardExternal, listLifecycles, parseBody, sendUpdate, withDeadline, type RouteDeps } from './common';
import { guardFields, missingLocales, wordsOf } from './words';
import { own } from '../../core/own';
import { beyondHorizon, dateHorizonMs } from '../../core/horizon';

export function incidentRoutes(deps: RouteDeps): Router {
  const { client, plan, taskQueue, requireRole, publicUrl } = deps;
  const router = Router();

  router.post('/v1/incidents', requireRole('operator'), async (req, res) => {
    const body = parseBody(DeclareIncident, req.body);
    const input = resolveAgainstPlan(plan, body, actorOf(res.locals), publicUrl);
    const message = wordsOf(plan, body.message, body.locale, 'message');
    guardExternal(deps, 'incidents', {
      title: body.title,
      // The id (and so the public URL and e-mail headers) carries the title's slug.
      slug: incidentSlug(body.title),
      ...guardFields('message', body.message),
      ...guardFields('impact', body.impact),
    });
    const id = incidentWorkflowId(incidentSlug(input.title), randomBytes(4).toString('hex'));
    await withDeadline(deps, () =>
      client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: id,
        taskQueue,
        args: [input],
        memo: { title: input.title, scenario: input.scenario },
        typedSearchAttributes: [
          { key: HeraldKind, value: 'incident' },
          { key: HeraldSeverity, value: input.severity },
          { key: HeraldStatus, value: 'investigating' },
          { key: HeraldComponents, value: input.components },
          { key: HeraldDrill, value: input.drill },
        ],
      }),
    );
    // Alerts that follow on its components join it (the router); the incident stands even if this fails.
    await claimIncident(deps, {
      incidentId: id,
      scenario: input.scenario,
      severity: input.severity,
      components: input.components,
    }).catch((err: Error) =>
      deps.log.error({ incidentId: id, err: err.message }, 'incident not registered with the alert router'),
    );
    deps.log.info(
      { incidentId: id, by: input.declaredBy, scenario: input.scenario, severity: input.severity },
      'incident declared',
    );
    res
      .status(201)
      .location(`/v1/incidents/${id}`)
      .json({ id, status: 'investigating', missingLocales: missingLocales(plan, message, input.scenario) });
  });

  router.get('/v1/incidents', requireRole('viewer'), async (req, res) => {
    const incidents = await listLifecycles(deps, 'incident', req.query, INCIDENT_STATUSES);
    res.json({ incidents: await withAwaitingApproval(deps, incidents) });
  });

  router.get('/v1/incidents/:id', requireRole('viewer'), async (req, res) => {
    const id = checkId('incident', String(req.params.id));
    try {
      const state = await withDeadline(deps, () => client.workflow.getHandle(id).query(incidentStateQuery));
      res.json(state);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Problem(404, 'Not found', `no incident ${id}`);
      throw err;
    }
  });

  router.post('/v1/incidents/:id/updates', requireRole('operator'), async (req, res) => {
    const id = checkId('incident', String(req.params.id));
    const body = parseBody(PostIncidentUpdate, req.body);
    checkComponents(plan, body.components);
    const { locale, ...update } = body;
    const message = wordsOf(plan, body.message, locale, 'message');
    guardExternal(deps, 'updates', guardFields('message', body.message));
    const by = actorOf(res.locals);
    const result = await sendUpdate(deps, 'incident', 'updates', client.workflow.getHandle(id), postUpdate, {
      ...update,
      message,
      by,
    });
    deps.log.info({ incidentId: id, by, status: body.status, seq: result.seq }, 'incident update posted');
    res.json({ ...result, missingLocales: missingLocales(plan, message) });
  });

  router.post('/v1/incidents/:id/approve', requireRole('operator'), async (req, res) => {
    const id = checkId('incident', String(req.params.id));
    const body = parseBody(ApproveIncidentMessage, req.body);
    const by = actorOf(res.locals);
    const result = await sendUpdate(deps, 'incident', 'approve', client.workflow.getHandle(id), approve, { ...body, by });
    deps.log.info({ incidentId: id, by, approved: result.approved }, 'incident message approved');
    res.json(result);
  });

  router.post('/v1/incidents/:id/reject', requireRole('operator'), async (req, res) => {
    const id = checkId('incident', String(req.params.id));
    const body = parseBody(RejectIncidentMessage, req.body);
    const by = actorOf(res.locals);
    const result = await sendUpdate(deps, 'incident', 'reject', client.workflow.getHandle(id), rejectMessage, { ...body, by });
    deps.log.info({ incidentId: id, by, rejected: result.rejected }, 'incident message rejected');
    res.json(result);
  });

  router.post('/v1/incidents/:id/impact', requireRole('operator'), async (req, res) => {
    const id = checkId('incident', String(req.params.id));
    const body = parseBody(ChangeIncidentImpact, req.body);
    checkComponents(plan, body.components, 'components');
    checkComponents(plan, body.componentStatuses ? Object.keys(body.componentStatuses) : undefined, 'componentStatuses');
    if (body.severity !== undefined && !plan.severities.some((s) => s.id === body.severity)) {
      throw new Problem(422, 'Not valid for this plan', `severity: unknown severity "${body.severity}"`, {
        errors: [
          {
            path: 'severity',
            message: `unknown severity "${body.severity}" (plan has ${plan.severities.map((s) => s.id).join(', ')})`,
          },
        ],
      });
    }
    const { locale, ...change } = body;
    const impact = body.impact !== undefined ? wordsOf(plan, body.impact, locale, 'impact') : undefined;
    guardExternal(deps, 'impact', guardFields('impact', body.impact));
    const by = actorOf(res.locals);
    const result = await sendUpdate(deps, 'incident', 'impact', client.workflow.getHandle(id), changeImpact, {
      ...change,
      ...(impact ? { impact } : {}),
      by,
    });
    deps.log.info({ incidentId: id, by, seq: result.seq }, 'incident impact changed');
    res.json(result);
  });

  router.post('/v1/incidents/:id/resolve', requireRole('operator'), async (req, res) => {
    const id = checkId('incident', String(req.params.id));
    const body = parseBody(ResolveIncident, req.body);
    const message = wordsOf(plan, body.message, body.locale, 'message');
    guardExternal(deps, 'resolve', { ...guardFields('message', body.message), reviewUrl: body.reviewUrl });
    const by = actorOf(res.locals);
    const result = await sendUpdate(deps, 'incident', 'resolve', client.workflow.getHandle(id), resolveIncident, {
      message,
      ...(body.reviewUrl ? { reviewUrl: body.reviewUrl } : {}),
      by,
    });
    deps.log.info({ incidentId: id, by, seq: result.seq }, 'incident resolved');
    res.json({ ...result, missingLocales: missingLocales(plan, message) });
  });

  return router;
}

/** Open incidents ask in a few at a time; a list answers within its deadline. */
const AWAITING_LOOKUPS = 100;
const AWAITING_AT_ONCE = 8;

/**
 * Each running incident of a list with what waits for approval (null: nothing), asked of the
 * incident itself; left out where it could not be asked (too many, or no answer in time).
 */
async function withAwaitingApproval<T extends { id: string; workflowStatus: string }>(
  deps: RouteDeps,
  incidents: T[],
): Promise<(T & { awaitingApproval?: AwaitingApproval | null })[]> {
  const running = incidents.filter((i) => i.workflowStatus === 'RUNNING').slice(0, AWAITING_LOOKUPS);
  const found = new Map<string, AwaitingApproval | null>();
  let next = 0;
  const worker = async () => {
    while (next < running.length) {
      const id = running[next++]!.id;
      const awaiting = await withDeadline(deps, () => deps.client.workflow.getHandle(id).query(awaitingApprovalQuery)).catch(
        () => undefined,
      );
      if (awaiting !== undefined) found.set(id, awaiting);
    }
  };
  await Promise.all(Array.from({ length: Math.min(AWAITING_AT_ONCE, running.length) }, worker));
  return incidents.map((i) => (found.has(i.id) ? { ...i, awaitingApproval: found.get(i.id)! } : i));
}

function checkComponents(plan: Plan, components: string[] | undefined, path = 'components'): void {
  if (!components) return;
  const known = new Set(plan.components.map((c) => c.id));
  const errors: FieldError[] = components.flatMap((c, i) =>
    known.has(c) ? [] : [{ path: `${path}.${i}`, message: `unknown component "${c}"` }],
  );
  if (errors.length > 0)
    throw new Problem(422, 'Not valid for this plan', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

/** Checks a declaration against the plan and fills in what the plan decides (severity). */
export function resolveAgainstPlan(plan: Plan, body: DeclareIncident, actor: string, publicUrl: string): IncidentInput {
  const errors: FieldError[] = [];
  const scenario = own(plan.scenarios, body.scenario);
  if (!scenario)
    errors.push({
      path: 'scenario',
      message: `unknown scenario "${body.scenario}" (plan has ${Object.keys(plan.scenarios).join(', ')})`,
    });
  else if (scenario.kind !== 'incident')
    errors.push({ path: 'scenario', message: `"${body.scenario}" is a maintenance scenario; use POST /v1/maintenances` });
  const severity = body.severity ?? (scenario?.kind === 'incident' ? scenario.defaultSeverity : plan.routing.defaultSeverity);
  if (!plan.severities.some((s) => s.id === severity))
    errors.push({ path: 'severity', message: `unknown severity "${severity}"` });
  const known = new Set(plan.components.map((c) => c.id));
  body.components.forEach((c, i) => {
    if (!known.has(c)) errors.push({ path: `components.${i}`, message: `unknown component "${c}"` });
  });
  if (body.eta && Date.parse(body.eta) <= Date.now()) errors.push({ path: 'eta', message: 'the ETA is in the past' });
  const farEta = body.eta ? beyondHorizon(body.eta, Date.now(), dateHorizonMs(plan)) : undefined;
  if (farEta) errors.push({ path: 'eta', message: farEta });
  if (errors.length > 0)
    throw new Problem(422, 'Not valid for this plan', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  return {
    title: body.title,
    scenario: body.scenario,
    severity,
    components: [...new Set(body.components)],
    // The impact as it stands is the first notice's words unless the operator gave it apart.
    ...(body.impact
      ? {
          impact: wordsOf(plan, body.impact, body.locale, 'impact'),
          message: wordsOf(plan, body.message, body.locale, 'message'),
        }
      : { impact: wordsOf(plan, body.message, body.locale, 'message') }),
    eta: body.eta,
    owner: body.owner,
    technicalDetail: body.technicalDetail,
    drill: false,
    declaredBy: actor,
    policy: incidentPolicy(plan, body.scenario, { statusUrl: publicUrl }),
  };
}
