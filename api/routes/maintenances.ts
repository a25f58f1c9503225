import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { incidentSlug } from '../../core/incident';
import {
  FinishMaintenanceBody,
  MAINTENANCE_STATUSES,
  MaintenanceNoteBody,
  RescheduleMaintenanceBody,
  ScheduleMaintenance,
} from '../../core/maintenance';
import type { Plan } from '../../core/plan/schema';
import { maintenancePolicy } from '../../core/policy';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldStatus } from '../../core/searchAttributes';
import {
  cancelMaintenance,
  completeMaintenance,
  MAINTENANCE_WORKFLOW,
  maintenanceStateQuery,
  maintenanceWorkflowId,
  postMaintenanceUpdate,
  rescheduleMaintenance,
  type MaintenanceInput,
  type MaintenanceState,
  type MaintenanceWorkflow,
} from '../../workflows/contracts/maintenance';
import { plannedReminders } from '../../core/maintenanceReminders';
import { Problem, type FieldError } from '../problem';
import { actorOf, checkId, guardExternal, listLifecycles, parseBody, sendUpdate, withDeadline, type RouteDeps } from './common';
import { guardFields, missingLocales, wordsOf } from './words';
import { own } from '../../core/own';
import { beyondHorizon, dateHorizonMs } from '../../core/horizon';

export function maintenanceRoutes(deps: RouteDeps): Router {
  const { client, plan, taskQueue, requireRole, publicUrl } = deps;
  const router = Router();

  router.post('/v1/maintenances', requireRole('operator'), async (req, res) => {
    const body = parseBody(ScheduleMaintenance, req.body);
    const input = maintenanceAgainstPlan(plan, body, actorOf(res.locals), publicUrl);
    const message = wordsOf(plan, body.message, body.locale, 'message');
    guardExternal(deps, 'maintenances', {
      title: body.title,
      slug: incidentSlug(body.title),
      ...guardFields('message', body.message),
    });
    const id = maintenanceWorkflowId(incidentSlug(input.title), randomBytes(4).toString('hex'));
    await withDeadline(deps, () =>
      client.workflow.start<MaintenanceWorkflow>(MAINTENANCE_WORKFLOW, {
        workflowId: id,
        taskQueue,
        args: [input],
        memo: { title: input.title, scenario: input.scenario },
        typedSearchAttributes: [
          { key: HeraldKind, value: 'maintenance' },
          { key: HeraldStatus, value: 'scheduled' },
          { key: HeraldComponents, value: input.components },
          { key: HeraldDrill, value: input.drill },
        ],
      }),
    );
    deps.log.info({ maintenanceId: id, by: input.declaredBy, scheduledFor: input.scheduledFor }, 'maintenance scheduled');
    res
      .status(201)
      .location(`/v1/maintenances/${id}`)
      .json({ id, status: 'scheduled', missingLocales: missingLocales(plan, message, input.scenario) });
  });

  router.get('/v1/maintenances', requireRole('viewer'), async (req, res) => {
    const rows = await listLifecycles(deps, 'maintenance', req.query, MAINTENANCE_STATUSES);
    res.json({ maintenances: rows.map(({ severity: _severity, startedAt, ...m }) => ({ ...m, createdAt: startedAt })) });
  });

  router.get('/v1/maintenances/:id', requireRole('viewer'), async (req, res) => {
    const id = checkId('maintenance', String(req.params.id));
    try {
      const state = await withDeadline(deps, () => client.workflow.getHandle(id).query(maintenanceStateQuery));
      // The plan's reminders with when each goes out (sent, planned, or skipped: due before the schedule was set).
      res.json({ ...state, reminders: plannedReminders(plan, state) });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Problem(404, 'Not found', `no maintenance ${id}`);
      throw err;
    }
  });

  router.post('/v1/maintenances/:id/reschedule', requireRole('operator'), async (req, res) => {
    const id = checkId('maintenance', String(req.params.id));
    const body = parseBody(RescheduleMaintenanceBody, req.body);
    if (Date.parse(body.scheduledUntil) <= Date.now())
      throw new Problem(422, 'Not valid', 'scheduledUntil: the window would already be over', {
        errors: [{ path: 'scheduledUntil', message: 'the window would already be over' }],
      });
    const message = body.message !== undefined ? wordsOf(plan, body.message, body.locale, 'message') : undefined;
    guardExternal(deps, 'reschedule', guardFields('message', body.message));
    const by = actorOf(res.locals);
    const state = await sendUpdate(deps, 'maintenance', 'reschedule', client.workflow.getHandle(id), rescheduleMaintenance, {
      // The workflow compares instants as strings: send them as it stores them (UTC, milliseconds).
      scheduledFor: new Date(body.scheduledFor).toISOString(),
      scheduledUntil: new Date(body.scheduledUntil).toISOString(),
      ...(message ? { message } : {}),
      by,
    });
    deps.log.info(
      { maintenanceId: id, by, scheduledFor: body.scheduledFor, scheduledUntil: body.scheduledUntil },
      'maintenance rescheduled',
    );
    res.json(withMissingLocales(plan, state, message));
  });

  router.post('/v1/maintenances/:id/updates', requireRole('operator'), async (req, res) => {
    const id = checkId('maintenance', String(req.params.id));
    const body = parseBody(MaintenanceNoteBody, req.body);
    const message = wordsOf(plan, body.message, body.locale, 'message');
    guardExternal(deps, 'maintenance-updates', guardFields('message', body.message));
    const by = actorOf(res.locals);
    const state = await sendUpdate(
      deps,
      'maintenance',
      'maintenance-updates',
      client.workflow.getHandle(id),
      postMaintenanceUpdate,
      { message, by },
    );
    deps.log.info({ maintenanceId: id, by }, 'maintenance update posted');
    res.json(withMissingLocales(plan, state, message));
  });

  for (const [action, def] of [
    ['cancel', cancelMaintenance],
    ['complete', completeMaintenance],
  ] as const) {
    router.post(`/v1/maintenances/:id/${action}`, requireRole('operator'), async (req, res) => {
      const id = checkId('maintenance', String(req.params.id));
      const body = parseBody(FinishMaintenanceBody, req.body);
      const message = body.message !== undefined ? wordsOf(plan, body.message, body.locale, 'message') : undefined;
      guardExternal(deps, action, guardFields('message', body.message));
      const by = actorOf(res.locals);
      const state = await sendUpdate(deps, 'maintenance', action, client.workflow.getHandle(id), def, {
        ...(message ? { message } : {}),
        by,
      });
      deps.log.info({ maintenanceId: id, by }, `maintenance ${action === 'cancel' ? 'cancelled' : 'completed'}`);
      res.json(withMissingLocales(plan, state, message));
    });
  }

  return router;
}

/** The state as answered, with the external locales that got the plan's wording instead when an operator wrote words. */
function withMissingLocales<T extends MaintenanceState>(plan: Plan, state: T, words: Record<string, string> | undefined) {
  return words ? { ...state, missingLocales: missingLocales(plan, words, state.scenario) } : state;
}

/** Checks a schedule request against the plan and resolves the maintenance policy. */
export function maintenanceAgainstPlan(
  plan: Plan,
  body: ScheduleMaintenance,
  actor: string,
  publicUrl: string,
): MaintenanceInput {
  const errors: FieldError[] = [];
  const scenario = own(plan.scenarios, body.scenario);
  const maintenanceScenarios = Object.entries(plan.scenarios)
    .filter(([, s]) => s.kind === 'maintenance')
    .map(([id]) => id);
  if (!scenario)
    errors.push({
      path: 'scenario',
      message: `unknown scenario "${body.scenario}" (maintenance scenarios: ${maintenanceScenarios.join(', ')})`,
    });
  else if (scenario.kind !== 'maintenance')
    errors.push({ path: 'scenario', message: `"${body.scenario}" is an incident scenario; use POST /v1/incidents` });
  const known = new Set(plan.components.map((c) => c.id));
  body.components.forEach((c, i) => {
    if (!known.has(c)) errors.push({ path: `components.${i}`, message: `unknown component "${c}"` });
  });
  if (Date.parse(body.scheduledFor) <= Date.now())
    errors.push({ path: 'scheduledFor', message: 'the window must start in the future' });
  for (const field of ['scheduledFor', 'scheduledUntil'] as const) {
    const far = beyondHorizon(body[field], Date.now(), dateHorizonMs(plan));
    if (far) errors.push({ path: field, message: far });
  }
  if (errors.length > 0)
    throw new Problem(422, 'Not valid for this plan', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  return {
    title: body.title,
    scenario: body.scenario,
    components: [...new Set(body.components)],
    scheduledFor: new Date(body.scheduledFor).toISOString(),
    scheduledUntil: new Date(body.scheduledUntil).toISOString(),
    message: wordsOf(plan, body.message, body.locale, 'message'),
    owner: body.owner,
    technicalDetail: body.technicalDetail,
    drill: false,
    declaredBy: actor,
    policy: maintenancePolicy(plan, body.scenario, { statusUrl: publicUrl }),
  };
}
