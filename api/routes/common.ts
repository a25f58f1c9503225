import type { RequestHandler } from 'express';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import { describeFindings, guardExternalMessage, guardRulesForPlan } from '../../core/guard';
import type { Logger } from '../../core/logger';
import type { Plan } from '../../core/plan/schema';
import { HeraldComponents, HeraldDrill, HeraldSeverity, HeraldStatus } from '../../core/searchAttributes';
import { withCallDeadline } from '../deadline';
import type { ApiMetrics } from '../metrics';
import type { Role } from '../auth';
import { invalidBody, Problem, updateRejected, type FieldError } from '../problem';

// What every operator route needs, and the few steps they all take the same way.

export interface RouteDeps {
  client: Client;
  plan: Plan;
  taskQueue: string;
  requireRole: (role: Role) => RequestHandler;
  publicUrl: string;
  metrics: ApiMetrics;
  log: Logger;
  /** Deadline of each Temporal call. */
  temporalTimeoutMs: number;
}

/** Parses a body with one of core/'s schemas; unknown fields and bad values become a 400 with field errors. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalidBody(parsed.error);
  return parsed.data;
}

/** Runs Temporal calls under one deadline: a slow or unreachable Temporal becomes a 503, not a hung request. */
export function withDeadline<T>(deps: Pick<RouteDeps, 'client' | 'temporalTimeoutMs'>, fn: () => Promise<T>): Promise<T> {
  return withCallDeadline(deps.client.connection, deps.temporalTimeoutMs, fn);
}

export const actorOf = (locals: Record<string, unknown>): string => String(locals.actor ?? 'unknown');

/**
 * Sends an update to a lifecycle workflow and turns its refusals into problems: a validator's
 * rejection is 409 (state conflict) or 422 (fix the request), a closed workflow is 409, none is 404.
 */
export async function sendUpdate<Ret, Arg>(
  deps: RouteDeps,
  what: 'incident' | 'maintenance',
  route: string,
  handle: WorkflowHandle,
  def: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  try {
    return await withDeadline(deps, () => handle.executeUpdate(def, { args: [arg] }));
  } catch (err) {
    const rejected = updateRejected(err, what);
    if (rejected) {
      if (/customers would see internal detail/.test(rejected.detail ?? '')) deps.metrics.guardRefusals.inc({ route });
      throw rejected;
    }
    if (
      err instanceof WorkflowNotFoundError ||
      /already completed|execution.*(completed|closed)/i.test((err as Error)?.message ?? '')
    ) {
      const closed = await withDeadline(deps, () => handle.describe()).catch(() => undefined);
      if (closed)
        throw new Problem(
          409,
          'Conflict',
          `the ${what} ${handle.workflowId} is closed (${closed.status.name.toLowerCase()}); it takes no more changes`,
        );
      throw new Problem(404, 'Not found', `no ${what} ${handle.workflowId}`);
    }
    throw err;
  }
}

/** Throws 404 for ids that cannot be ours, before any Temporal call. */
export function checkId(kind: 'incident' | 'maintenance', id: string): string {
  const re = kind === 'incident' ? /^incident-[a-z0-9-]{1,120}$/ : /^maintenance-[a-z0-9-]{1,120}$/;
  if (!re.test(id)) throw new Problem(404, 'Not found', `no ${kind} ${JSON.stringify(id.slice(0, 80))}`);
  return id;
}

/** A list filter value: one simple word from a fixed alphabet, or a 400. */
export function filterValue(value: unknown, name: string, re: RegExp, hint: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !re.test(value))
    throw new Problem(400, 'Invalid filter', `${name} must be ${hint}`, { errors: [{ path: name, message: `must be ${hint}` }] });
  return value;
}

/** External words checked before anything starts: a refusal is 422 naming each field and what to remove. */
export function guardExternal(
  deps: Pick<RouteDeps, 'plan' | 'metrics'>,
  route: string,
  parts: Record<string, string | undefined | null>,
): void {
  const found = guardExternalMessage(parts, guardRulesForPlan(deps.plan));
  if (found.length === 0) return;
  deps.metrics.guardRefusals.inc({ route });
  const errors: FieldError[] = found.map((f) => ({
    path: f.field,
    message: `customers would see internal detail: ${describeFindings(f.findings)}`,
  }));
  throw new Problem(422, 'Internal detail in external text', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

/** The incidents or maintenances Temporal's visibility knows, filtered by status, component and drill (at most 500). */
export async function listLifecycles(
  deps: RouteDeps,
  kind: 'incident' | 'maintenance',
  query: Record<string, unknown>,
  statuses: readonly string[],
) {
  const clauses = [`HeraldKind = '${kind}'`];
  const status = filterValue(query.status, 'status', new RegExp(`^(${statuses.join('|')})$`), `one of ${statuses.join(', ')}`);
  const component = filterValue(query.component, 'component', /^[a-z0-9][a-z0-9-]{0,63}$/, 'a component id');
  const drill = filterValue(query.drill, 'drill', /^(true|false)$/, 'true or false');
  if (status) clauses.push(`HeraldStatus = '${status}'`);
  if (component) clauses.push(`HeraldComponents = '${component}'`);
  if (drill) clauses.push(`HeraldDrill = ${drill}`);
  return withDeadline(deps, async () => {
    const out = [];
    for await (const wf of deps.client.workflow.list({ query: clauses.join(' AND '), pageSize: 100 })) {
      const sa = wf.typedSearchAttributes;
      out.push({
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
      if (out.length >= 500) break;
    }
    return out;
  });
}
