import type { ErrorRequestHandler, Response } from 'express';
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

export function sendProblem(res: Response, p: Problem, instance: string): void {
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
    if (e?.type === 'entity.parse.failed') return sendProblem(res, new Problem(400, 'Malformed JSON', 'the request body is not valid JSON'), req.originalUrl);
    if (e?.type === 'entity.too.large') return sendProblem(res, new Problem(413, 'Request body too large', e.message), req.originalUrl);
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return sendProblem(res, new Problem(415, 'Unsupported encoding', e.message), req.originalUrl);
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendProblem(res, new Problem(status, 'Bad request', e.message), req.originalUrl);
    onUnexpected(err);
    sendProblem(res, new Problem(500, 'Internal error', 'Herald could not complete the request; it was logged.'), req.originalUrl);
  };
}
