import type { Connection } from '@temporalio/client';
import type { Request, RequestHandler } from 'express';
import { Problem, sendProblem } from './problem';

// Every request has one deadline, whatever it waits for. Per-call deadlines do not add up to one:
// a lazy connection's first connect, the client's retries of an unavailable server and a second
// call after a failed first each took their own time, so with Temporal down a "10 s" request
// answered after 10–15 s. Here every Temporal call a request makes is cancelled shortly before its
// deadline (the handler then answers its own 503), and if nothing was sent by the deadline the
// request is answered 503 here.

/** Time a handler gets to answer after its Temporal calls are cancelled. */
const ANSWER_MS = 250;

export function requestDeadline(
  connection: Pick<Connection, 'withAbortSignal'>,
  budgetMs: (req: Request) => number,
): RequestHandler {
  return (req, res, next) => {
    const budget = budgetMs(req);
    const controller = new AbortController();
    const cancel = setTimeout(() => controller.abort(), Math.max(budget / 2, budget - ANSWER_MS));
    const answer = setTimeout(() => {
      if (res.headersSent) return;
      sendProblem(
        res,
        new Problem(
          503,
          'Temporal unavailable',
          `Herald could not finish the request within ${budget / 1000} s (Temporal did not answer in time); retry shortly`,
          { retryAfter: 5 },
        ),
        req.originalUrl,
      );
    }, budget);
    res.once('close', () => {
      clearTimeout(cancel);
      clearTimeout(answer);
    });
    // Every Temporal call made while handling this request, however deep, sees the signal.
    void connection.withAbortSignal(controller.signal, async () => next());
  };
}
