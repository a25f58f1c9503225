import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { DeclareIncident, incidentSlug } from '../../core/incident';
import type { Plan } from '../../core/plan/schema';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../../core/searchAttributes';
import { incident, incidentStateQuery, type IncidentInput } from '../../workflows/incident';
import type { Role } from '../auth';
import { invalidBody, Problem, type FieldError } from '../problem';

export interface IncidentRoutesDeps {
  client: Client;
  plan: Plan;
  taskQueue: string;
  requireRole: (role: Role) => import('express').RequestHandler;
}

const ID = /^incident-[a-z0-9-]{1,120}$/;

export function incidentRoutes({ client, plan, taskQueue, requireRole }: IncidentRoutesDeps): Router {
  const router = Router();

  router.post('/v1/incidents', requireRole('operator'), async (req, res) => {
    const body = DeclareIncident.safeParse(req.body ?? {});
    if (!body.success) throw invalidBody(body.error);
    const input = resolveAgainstPlan(plan, body.data, res.locals.actor as string);
    const id = `incident-${incidentSlug(input.title)}-${randomBytes(4).toString('hex')}`;
    await client.workflow.start(incident, {
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
    });
    res.status(201).location(`/v1/incidents/${id}`).json({ id, status: 'investigating' });
  });

  router.get('/v1/incidents', requireRole('viewer'), async (req, res) => {
    const clauses = ["HeraldKind = 'incident'"];
    const { status, component, drill } = req.query;
    if (typeof status === 'string') {
      if (!/^[a-z]+$/.test(status)) throw new Problem(400, 'Invalid filter', 'status must be one word, e.g. investigating');
      clauses.push(`HeraldStatus = '${status}'`);
    }
    if (typeof component === 'string') {
      if (!/^[a-z0-9-]+$/.test(component)) throw new Problem(400, 'Invalid filter', 'component must be a component id');
      clauses.push(`HeraldComponents = '${component}'`);
    }
    if (typeof drill === 'string') {
      if (drill !== 'true' && drill !== 'false') throw new Problem(400, 'Invalid filter', 'drill must be true or false');
      clauses.push(`HeraldDrill = ${drill}`);
    }
    const incidents = [];
    for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: 100 })) {
      const sa = wf.typedSearchAttributes;
      incidents.push({
        id: wf.workflowId,
        title: (wf.memo?.title as string | undefined) ?? null,
        scenario: (wf.memo?.scenario as string | undefined) ?? null,
        status: sa.get(HeraldStatus) ?? null,
        severity: sa.get(HeraldSeverity) ?? null,
        components: sa.get(HeraldComponents) ?? [],
        drill: sa.get(HeraldDrill) ?? false,
        startedAt: wf.startTime.toISOString(),
        workflowStatus: wf.status.name,
      });
      if (incidents.length >= 500) break;
    }
    res.json({ incidents });
  });

  router.get('/v1/incidents/:id', requireRole('viewer'), async (req, res) => {
    const id = String(req.params.id);
    if (!ID.test(id)) throw new Problem(404, 'Not found', `no incident ${JSON.stringify(id.slice(0, 80))}`);
    try {
      const state = await client.workflow.getHandle(id).query(incidentStateQuery);
      res.json(state);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Problem(404, 'Not found', `no incident ${id}`);
      throw err;
    }
  });

  return router;
}

/** Checks a declaration against the plan and fills in what the plan decides (severity). */
export function resolveAgainstPlan(plan: Plan, body: DeclareIncident, actor: string): IncidentInput {
  const errors: FieldError[] = [];
  const scenario = plan.scenarios[body.scenario];
  if (!scenario) errors.push({ path: 'scenario', message: `unknown scenario "${body.scenario}" (plan has ${Object.keys(plan.scenarios).join(', ')})` });
  else if (scenario.kind !== 'incident') errors.push({ path: 'scenario', message: `"${body.scenario}" is a maintenance scenario; use POST /v1/maintenances` });
  const severity = body.severity ?? (scenario?.kind === 'incident' ? scenario.defaultSeverity : plan.routing.defaultSeverity);
  if (!plan.severities.some((s) => s.id === severity)) errors.push({ path: 'severity', message: `unknown severity "${severity}"` });
  const known = new Set(plan.components.map((c) => c.id));
  body.components.forEach((c, i) => {
    if (!known.has(c)) errors.push({ path: `components.${i}`, message: `unknown component "${c}"` });
  });
  if (body.eta && Date.parse(body.eta) <= Date.now()) errors.push({ path: 'eta', message: 'the ETA is in the past' });
  if (errors.length > 0) throw new Problem(422, 'Not valid for this plan', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  return {
    title: body.title,
    scenario: body.scenario,
    severity,
    components: [...new Set(body.components)],
    impact: body.message,
    eta: body.eta,
    owner: body.owner,
    technicalDetail: body.technicalDetail,
    drill: false,
    declaredBy: actor,
  };
}
