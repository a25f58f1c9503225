import type { ErrorRequestHandler, Response } from 'express';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { ZodError } from 'zod';

// One error path for the whole API: every failure leaves as RFC 9457 application/problem+json.

export interface FieldError {
  path: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly type: string = `https://herald.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
  ) {
    super(detail ?? title);
  }
}

export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''}: ${i.keys.join(', ')}` : i.message,
  }));
}

export function invalidBody(error: ZodError): Problem {
  const errors = fieldErrors(error);
  return new Problem(400, 'Invalid request body', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

/** gRPC status codes meaning "Temporal is not answering now": a retry later may well succeed. */
const UNAVAILABLE_CODES = new Set([
  1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */,
]);

function grpcCode(err: unknown): number | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** Temporal unreachable, overloaded or past the call's deadline → 503 with Retry-After (senders retry 5xx). */
export function temporalUnavailable(err: unknown): Problem | undefined {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new Problem(503, 'Temporal unavailable', 'the workflow did not answer in time (is a worker running?); retry shortly', {
      retryAfter: 5,
    });
  }
  const code = grpcCode(err);
  const msg = (err as Error)?.message ?? '';
  if (
    (code !== undefined && UNAVAILABLE_CODES.has(code)) ||
    /Deadline exceeded|DEADLINE_EXCEEDED|UNAVAILABLE|ECONNREFUSED|Failed to connect|No connection established/.test(msg)
  ) {
    if (err instanceof Problem) return undefined;
    return new Problem(503, 'Temporal unavailable', 'Herald cannot reach Temporal right now; retry shortly', { retryAfter: 5 });
  }
  return undefined;
}

/**
 * A workflow's validator (or handler) refused an update. Its message says what must change and
 * starts with the field when there is one ("status: cannot go back from monitoring to identified").
 * State conflicts are 409; everything else the request could fix is 422.
 */
export function updateRejected(err: unknown, what: string): Problem | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const message = ((err.cause as Error | undefined)?.message ?? err.message).split('\n')[0]!.slice(0, 1000);
  const conflict =
    /already (resolved|postmortem|completed|cancelled)|cannot go back|nothing is waiting for approval|is not waiting for approval|was folded into|before messages could be rejected|cannot (reschedule|cancel|complete|post an update)|has started/i.test(
      message,
    );
  const m = /^([A-Za-z][\w.]*(?:, [A-Za-z][\w.]*)*): (.+)$/.exec(message);
  const errors: FieldError[] = m ? m[1]!.split(', ').map((path) => ({ path, message: m[2]! })) : [];
  return conflict
    ? new Problem(409, 'Conflict', `the ${what} refused the change: ${message}`, errors.length ? { errors } : {})
    : new Problem(422, 'Change refused', `the ${what} refused the change: ${message}`, errors.length ? { errors } : {});
}

export function sendProblem(res: Response, p: Problem, instance: string): void {
  if (typeof p.extra.retryAfter === 'number') res.set('Retry-After', String(p.extra.retryAfter));
  res
    .status(p.status)
    .type('application/problem+json')
    .json({ type: p.type, title: p.title, status: p.status, ...(p.detail ? { detail: p.detail } : {}), instance, ...p.extra });
}

export function problemHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof Problem) return sendProblem(res, err, req.originalUrl);
    const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
    // body-parser's errors carry a status and a type we can translate without leaking internals.
    if (e?.type === 'entity.parse.failed')
      return sendProblem(res, new Problem(400, 'Malformed JSON', 'the request body is not valid JSON'), req.originalUrl);
    if (e?.type === 'entity.too.large')
      return sendProblem(res, new Problem(413, 'Request body too large', e.message), req.originalUrl);
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
      return sendProblem(res, new Problem(415, 'Unsupported encoding', e.message), req.originalUrl);
    if (e?.type === 'request.aborted' || e?.type === 'request.size.invalid' || e?.type === 'stream.encoding.set')
      return sendProblem(res, new Problem(400, 'Bad request', 'the request body could not be read'), req.originalUrl);
    const unavailable = temporalUnavailable(err);
    if (unavailable) return sendProblem(res, unavailable, req.originalUrl);
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return sendProblem(res, new Problem(status, 'Bad request', e.message), req.originalUrl);
    onUnexpected(err);
    sendProblem(
      res,
      new Problem(500, 'Internal error', 'Herald could not complete the request; it was logged.'),
      req.originalUrl,
    );
  };
}
