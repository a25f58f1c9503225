import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from '../core/logger';
import type { Plan } from '../core/plan/schema';
import { bearerAuth, type TokenGrant } from './auth';
import { Problem, problemHandler } from './problem';
import { incidentRoutes } from './routes/incidents';

export interface ApiDeps {
  client: Client;
  plan: Plan;
  taskQueue: string;
  tokens: TokenGrant[];
  log: Logger;
}

export function createApp({ client, plan, taskQueue, tokens, log }: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '64kb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.get('/healthz', async (_req, res) => {
    try {
      await client.connection.withDeadline(Date.now() + 2000, () => client.connection.workflowService.getSystemInfo({}));
      res.json({ status: 'ok', temporal: 'reachable' });
    } catch (err) {
      res.status(503).type('application/problem+json').json({
        type: 'https://herald.dev/problems/temporal-unreachable',
        title: 'Temporal unreachable',
        status: 503,
        detail: (err as Error).message.split('\n')[0],
      });
    }
  });

  const requireRole = (role: Parameters<typeof bearerAuth>[1]) => bearerAuth(tokens, role);
  app.use(incidentRoutes({ client, plan, taskQueue, requireRole }));

  app.use((req, _res, next) => next(new Problem(404, 'Not found', `no route ${req.method} ${req.path}`)));
  app.use(problemHandler((err) => log.error({ err }, 'unexpected error')));
  return app;
}
