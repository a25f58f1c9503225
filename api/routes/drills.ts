import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DrillRequest } from '../../core/drill';
import { buildDrillInput, DrillRequestError, newDrillId } from '../../core/drillInput';
import { HeraldDrill, HeraldKind, HeraldStatus } from '../../core/searchAttributes';
import { DRILL_WORKFLOW, drillProgressQuery, type DrillWorkflow } from '../../workflows/contracts/drill';
import { Problem } from '../problem';
import { parseBody, withDeadline, type RouteDeps } from './common';

const ID = /^drill-[a-z0-9-]{1,120}$/;

/** POST /v1/drills starts a drill; GET /v1/drills/:id shows its progress and, when done, its report. */
export function drillRoutes(deps: RouteDeps): Router {
  const router = Router();
  const { client, plan, taskQueue, requireRole, publicUrl } = deps;

  router.post('/v1/drills', requireRole('operator'), async (req, res) => {
    const body = parseBody(DrillRequest, req.body);
    const drillId = newDrillId(body.scenario);
    let input;
    try {
      input = buildDrillInput(plan, body, { statusUrl: `${publicUrl.replace(/\/$/, '')}/drill`, drillId });
    } catch (err) {
      if (err instanceof DrillRequestError)
        throw new Problem(422, 'Not valid for this plan', err.message, { errors: [{ path: 'scenario', message: err.message }] });
      throw err;
    }
    await withDeadline(deps, () =>
      client.workflow.start<DrillWorkflow>(DRILL_WORKFLOW, {
        workflowId: drillId,
        taskQueue,
        args: [input],
        memo: { scenario: body.scenario, timeScale: input.timeScale, inject: body.inject },
        typedSearchAttributes: [
          { key: HeraldKind, value: 'drill' },
          { key: HeraldDrill, value: true },
          { key: HeraldStatus, value: 'running' },
        ],
      }),
    );
    res
      .status(202)
      .location(`/v1/drills/${drillId}`)
      .json({ id: drillId, scenario: body.scenario, timeScale: input.timeScale, inject: body.inject });
  });

  router.get('/v1/drills/:id', requireRole('viewer'), async (req, res) => {
    const id = String(req.params.id);
    if (!ID.test(id)) throw new Problem(404, 'Not found', `no drill ${JSON.stringify(id.slice(0, 80))}`);
    const handle = client.workflow.getHandle(id);
    try {
      const described = await withDeadline(deps, () => handle.describe());
      if (described.status.name === 'COMPLETED') {
        const report = await withDeadline(deps, () => handle.result());
        return void res.json({ id, status: 'completed', report });
      }
      if (described.status.name !== 'RUNNING') return void res.json({ id, status: described.status.name.toLowerCase() });
      const progress = await withDeadline(deps, () => handle.query(drillProgressQuery));
      res.json({ id, status: 'running', progress });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Problem(404, 'Not found', `no drill ${id}`);
      throw err;
    }
  });

  return router;
}
