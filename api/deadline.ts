import type { Connection, ConnectionLike } from '@temporalio/client';
import type { Request, RequestHandler } from 'express';
import { Problem, sendProblem } from './problem';

// Every request has one deadline, whatever it waits for. Per-call deadlines do not add up to one:
// a lazy connection's first connect, the client's retries of an unavailable server and a second
// call after a failed first each took their own time, so with Temporal down a "10 s" request
// answered after 10–15 s. Here every Temporal call a request makes ends shortly before the
// request's deadline (the handler then answers its own 503 in its own words), and a request with
// no answer by the deadline is answered 503 here.

/** Time a handler gets to answer after its Temporal calls have ended. */
const ANSWER_MS = 250;

/** The client's connection; a real Connection also tells the deadline already set for the calls in scope. */
type CallConnection = Pick<ConnectionLike, 'withDeadline' | 'withAbortSignal'> & Partial<Pick<Connection, 'callContextStorage'>>;

export function requestDeadline(connection: CallConnection, budgetMs: (req: Request) => number): RequestHandler {
  return (req, res, next) => {
    const budget = budgetMs(req);
    const callsEnd = Date.now() + Math.max(budget / 2, budget - ANSWER_MS);
    const controller = new AbortController();
    const cancel = setTimeout(() => controller.abort(), callsEnd - Date.now());
    const answer = setTimeout(() => {
      if (res.headersSent) return;
      sendProblem(
        res,
        new Problem(503, 'Service unavailable', `the request could not be completed within ${budget / 1000} s; retry shortly`, {
          retryAfter: 5,
        }),
        req.originalUrl,
      );
    }, budget);
    res.once('close', () => {
      clearTimeout(cancel);
      clearTimeout(answer);
    });
    // Every Temporal call made while handling this request, however deep, sees the deadline and the signal.
    void connection.withDeadline(callsEnd, () => connection.withAbortSignal(controller.signal, async () => next()));
  };
}

/**
 * Runs Temporal calls with a deadline of `timeoutMs` from now, but never past the deadline of the
 * request they are made for, and settles by then: the client delivers a call's deadline only after
 * its retry back-off (up to a second late), so the wait itself is bounded here too.
 */
export function withCallDeadline<T>(connection: CallConnection, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const outer = connection.callContextStorage?.getStore()?.deadline;
  const request = outer === undefined ? Infinity : outer instanceof Date ? outer.getTime() : outer;
  const deadline = Math.min(Date.now() + timeoutMs, request);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallDeadlineExceeded()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([connection.withDeadline(deadline, fn), late]).finally(() => clearTimeout(timer));
}

/** Reads as gRPC's DEADLINE_EXCEEDED (code 4), so it is answered as Temporal being unavailable. */
export class CallDeadlineExceeded extends Error {
  readonly code = 4;
  constructor() {
    super('Deadline exceeded: Temporal did not answer in time');
  }
}
