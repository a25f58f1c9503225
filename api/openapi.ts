import { z } from 'zod';
import { DrillRequest } from '../core/drill';
import {
  ApproveIncidentMessage,
  ChangeIncidentImpact,
  DeclareIncident,
  INCIDENT_STATUSES,
  PostIncidentUpdate,
  ResolveIncident,
} from '../core/incident';
import {
  FinishMaintenanceBody,
  MAINTENANCE_STATUSES,
  MaintenanceNoteBody,
  RescheduleMaintenanceBody,
  ScheduleMaintenance,
} from '../core/maintenance';
import type { Plan } from '../core/plan/schema';
import { PreviewQuery } from './routes/plan';
import { AlertmanagerPayload, GrafanaPayload } from './routes/webhooks/alertmanager';
import { GenericAlert } from './routes/webhooks/index';
import { SubscriptionRequest } from '../core/subscriptions';

// GET /openapi.json, generated from the same zod schemas that validate the requests (one source).

type Op = {
  summary: string;
  role: 'viewer' | 'operator' | 'webhook' | 'public' | 'signed';
  body?: string;
  params?: string[];
  query?: { name: string; schema: object; description?: string }[];
  ok: { status: number; description: string };
  errors?: number[];
};

export function openApiDocument(plan: Pick<Plan, 'page'>): object {
  const schemas: Record<string, z.ZodType> = {
    DeclareIncident,
    PostIncidentUpdate,
    ChangeIncidentImpact,
    ApproveIncidentMessage,
    ResolveIncident,
    ScheduleMaintenance,
    RescheduleMaintenance: RescheduleMaintenanceBody,
    MaintenanceNote: MaintenanceNoteBody,
    FinishMaintenance: FinishMaintenanceBody,
    AlertmanagerPayload,
    GrafanaPayload,
    GenericAlert,
    DrillRequest,
    SubscriptionRequest,
  };
  const components: Record<string, object> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    components[name] = json;
  }
  components.Problem = {
    type: 'object',
    description: 'RFC 9457 problem details (application/problem+json)',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'message'],
          properties: { path: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };

  const filters = (statuses: readonly string[]) => [
    { name: 'status', schema: { type: 'string', enum: [...statuses] } },
    { name: 'component', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' } },
    { name: 'drill', schema: { type: 'string', enum: ['true', 'false'] } },
  ];
  const ops: Record<string, Record<string, Op>> = {
    '/healthz': {
      get: {
        summary: 'Health: 200 while Temporal answers, else 503',
        role: 'public',
        ok: { status: 200, description: 'healthy' },
        errors: [503],
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', role: 'public', ok: { status: 200, description: 'text exposition format' } },
    },
    '/openapi.json': { get: { summary: 'This document', role: 'public', ok: { status: 200, description: 'OpenAPI 3.1' } } },
    '/v1/plan': {
      get: {
        summary: 'The loaded communication plan (sandbox recipients only for admins)',
        role: 'viewer',
        ok: { status: 200, description: 'the plan as JSON' },
      },
    },
    '/v1/preview': {
      get: {
        summary: 'Render one message template with sample data',
        role: 'viewer',
        query: Object.entries(
          (z.toJSONSchema(PreviewQuery, { io: 'input' }) as { properties: Record<string, object> }).properties,
        ).map(([name, schema]) => ({ name, schema })),
        ok: { status: 200, description: 'subject, text, short and the guard verdict' },
        errors: [400, 422],
      },
    },
    '/v1/incidents': {
      post: {
        summary: 'Declare an incident',
        role: 'operator',
        body: 'DeclareIncident',
        ok: { status: 201, description: '{id, status}; Location header' },
        errors: [400, 415, 422, 503],
      },
      get: {
        summary: 'List incidents',
        role: 'viewer',
        query: filters(INCIDENT_STATUSES),
        ok: { status: 200, description: '{incidents: [...]}' },
        errors: [400, 503],
      },
    },
    '/v1/incidents/{id}': {
      get: {
        summary: "An incident's whole state, timeline included",
        role: 'viewer',
        params: ['id'],
        ok: { status: 200, description: 'the incident state' },
        errors: [404, 503],
      },
    },
    '/v1/incidents/{id}/updates': {
      post: {
        summary: 'Post an update (status, words, ETA, newly affected components)',
        role: 'operator',
        params: ['id'],
        body: 'PostIncidentUpdate',
        ok: { status: 200, description: '{seq, status, nextUpdateDue, approval}' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/incidents/{id}/approve': {
      post: {
        summary: 'Approve pending external messages (one by seq, or all)',
        role: 'operator',
        params: ['id'],
        body: 'ApproveIncidentMessage',
        ok: { status: 200, description: '{approved: [seq]}' },
        errors: [400, 404, 409, 503],
      },
    },
    '/v1/incidents/{id}/impact': {
      post: {
        summary: 'Change severity, components, component statuses or impact text',
        role: 'operator',
        params: ['id'],
        body: 'ChangeIncidentImpact',
        ok: { status: 200, description: '{seq, status, nextUpdateDue, approval}' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/incidents/{id}/resolve': {
      post: {
        summary: 'Resolve, announced on every channel that carried the incident',
        role: 'operator',
        params: ['id'],
        body: 'ResolveIncident',
        ok: { status: 200, description: '{seq, status, nextUpdateDue, approval}' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/maintenances': {
      post: {
        summary: 'Schedule a maintenance window',
        role: 'operator',
        body: 'ScheduleMaintenance',
        ok: { status: 201, description: '{id, status}; Location header' },
        errors: [400, 415, 422, 503],
      },
      get: {
        summary: 'List maintenance windows',
        role: 'viewer',
        query: filters(MAINTENANCE_STATUSES),
        ok: { status: 200, description: '{maintenances: [...]}' },
        errors: [400, 503],
      },
    },
    '/v1/maintenances/{id}': {
      get: {
        summary: "A maintenance window's whole state",
        role: 'viewer',
        params: ['id'],
        ok: { status: 200, description: 'the maintenance state' },
        errors: [404, 503],
      },
    },
    '/v1/maintenances/{id}/reschedule': {
      post: {
        summary: 'Move the window (reminders are re-timed)',
        role: 'operator',
        params: ['id'],
        body: 'RescheduleMaintenance',
        ok: { status: 200, description: 'the maintenance state' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/maintenances/{id}/updates': {
      post: {
        summary: 'Post progress',
        role: 'operator',
        params: ['id'],
        body: 'MaintenanceNote',
        ok: { status: 200, description: 'the maintenance state' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/maintenances/{id}/cancel': {
      post: {
        summary: 'Cancel a window that has not started',
        role: 'operator',
        params: ['id'],
        body: 'FinishMaintenance',
        ok: { status: 200, description: 'the maintenance state' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/maintenances/{id}/complete': {
      post: {
        summary: 'Complete a window in progress',
        role: 'operator',
        params: ['id'],
        body: 'FinishMaintenance',
        ok: { status: 200, description: 'the maintenance state' },
        errors: [400, 404, 409, 422, 503],
      },
    },
    '/v1/drills': {
      post: {
        summary: 'Run a drill: a scenario replayed through the real lifecycles in drill mode (sandbox recipients, drill page)',
        role: 'operator',
        body: 'DrillRequest',
        ok: { status: 202, description: '{id, scenario, timeScale, inject}; Location header' },
        errors: [400, 415, 422, 503],
      },
    },
    '/v1/drills/{id}': {
      get: {
        summary: "A drill's progress and, when done, its report",
        role: 'viewer',
        params: ['id'],
        ok: { status: 200, description: 'progress and report' },
        errors: [404, 503],
      },
    },
    '/v1/outbox': {
      get: {
        summary: 'Messages the outbox provider wrote (embedded default)',
        role: 'viewer',
        ok: { status: 200, description: 'list of outbox files' },
      },
    },
    '/v1/outbox/{file}': {
      get: {
        summary: 'One outbox message',
        role: 'viewer',
        params: ['file'],
        ok: { status: 200, description: 'the message (.eml or .json)' },
        errors: [404],
      },
    },
    '/unsubscribe': {
      get: {
        summary: 'One-click unsubscribe page (signed token)',
        role: 'public',
        query: [{ name: 'token', schema: { type: 'string' } }],
        ok: { status: 200, description: 'confirmation page' },
        errors: [400],
      },
      post: {
        summary: 'RFC 8058 one-click unsubscribe (List-Unsubscribe=One-Click)',
        role: 'public',
        query: [{ name: 'token', schema: { type: 'string' } }],
        ok: { status: 200, description: 'unsubscribed' },
        errors: [400],
      },
    },
    '/v1/subscriptions': {
      post: {
        summary:
          'Subscribe (public; JSON or a form post): exactly one of email, phone, webhook; components (absent = all); locale. Always the same 202; a signed link to confirm goes to the address',
        role: 'public',
        body: 'SubscriptionRequest',
        ok: {
          status: 202,
          description:
            'confirmation sent if the address can receive it (the same answer for every address); a form post gets an HTML page',
        },
        errors: [400, 413, 415, 429, 503],
      },
    },
    '/v1/subscriptions/confirm': {
      get: {
        summary: 'The confirmation page of a signed link: one button, changes nothing',
        role: 'public',
        query: [{ name: 't', schema: { type: 'string' } }],
        ok: { status: 200, description: 'HTML page with the confirm button' },
        errors: [400, 410],
      },
      post: {
        summary: 'Apply the subscription the signed link carries (t in the query, a form or JSON body)',
        role: 'public',
        query: [{ name: 't', schema: { type: 'string' } }],
        ok: { status: 200, description: '{subscribed, channel, components, locale, unsubscribeUrl}; HTML for a form post' },
        errors: [400, 409, 410],
      },
    },
    '/v1/webhooks/alertmanager': {
      post: {
        summary: 'Prometheus Alertmanager webhook (payload v4); one groupKey = one incident',
        role: 'webhook',
        body: 'AlertmanagerPayload',
        ok: { status: 202, description: '{result, incidentId}; 200 for duplicates and resolved-without-incident' },
        errors: [400, 401, 422, 503],
      },
    },
    '/v1/webhooks/grafana': {
      post: {
        summary: 'Grafana alerting webhook (X-Grafana-Alerting-Signature when HERALD_GRAFANA_SECRET is set, else bearer)',
        role: 'webhook',
        body: 'GrafanaPayload',
        ok: { status: 202, description: '{result, incidentId}' },
        errors: [400, 401, 422, 503],
      },
    },
    '/v1/webhooks/generic': {
      post: {
        summary: 'Generic signed JSON: X-Herald-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">',
        role: 'signed',
        body: 'GenericAlert',
        ok: { status: 202, description: '{result, incidentId}' },
        errors: [400, 401, 404, 422, 503],
      },
    },
    '/v1/webhooks/sns': {
      post: {
        summary: 'Amazon SNS (CloudWatch alarms): signed messages from allowed topics only',
        role: 'signed',
        ok: { status: 202, description: '{result, incidentId}; 200 for confirmations' },
        errors: [400, 403, 422, 502, 503],
      },
    },
  };

  const paths: Record<string, Record<string, object>> = {};
  for (const [path, methods] of Object.entries(ops)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(methods)) {
      const problem = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      paths[path]![method] = {
        summary: op.summary,
        ...(op.role === 'public' || op.role === 'signed'
          ? { security: [] }
          : { security: [{ bearer: [] }], 'x-herald-role': op.role }),
        parameters: [
          ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
          ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, schema: q.schema })),
        ],
        ...(op.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } } },
              },
            }
          : {}),
        responses: {
          [op.ok.status]: { description: op.ok.description },
          ...Object.fromEntries(
            [...(op.errors ?? []), ...(op.role === 'public' || op.role === 'signed' ? [] : [401, 403, 429])].map((s) => [
              s,
              { description: STATUS_TEXT[s] ?? 'error', ...problem },
            ]),
          ),
        },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald API',
      version: '1',
      description: `Outage communication for ${plan.page.name}. Every error is RFC 9457 application/problem+json; unknown fields are refused.`,
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: components },
    paths,
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'bad request: malformed JSON or invalid fields (errors[] names them)',
  401: 'missing or invalid credentials',
  403: 'the token lacks the role, or the signature/topic is refused',
  404: 'not found',
  409: 'conflict with the current state (e.g. already resolved)',
  410: 'gone: the signed link has expired',
  413: 'body too large',
  415: 'not application/json',
  422: 'not valid for the plan, or refused by the content guard or the workflow',
  429: 'too many requests (Retry-After)',
  502: 'an upstream call failed; retry',
  503: 'Temporal unreachable or busy (Retry-After); retry',
};
