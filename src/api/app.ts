import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { checkReadiness, type DependencyCheck } from './readiness';

export interface AppDependencies {
  readinessChecks: DependencyCheck[];
  log: Logger;
  /** Feature routers, each owning its full paths (e.g. `/v1/webhooks/quickbooks`). */
  routers?: Router[];
}

/** Builds the HTTP app without listening, so tests drive the same stack over a real socket. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');

  // Liveness: the process can answer. Never touches a dependency, so a database outage does not restart us.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  // Readiness: Temporal and MongoDB both answer right now.
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps.readinessChecks);
    if (!report.ready) deps.log.warn({ checks: report.checks }, 'not ready');
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'unavailable', ...report });
  });

  for (const router of deps.routers ?? []) app.use(router);

  app.use((req, res) => {
    res.status(404).json({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `No route for ${req.method} ${req.path}`,
    });
  });
  // Body-parser and other thrown errors become problem JSON; nothing leaks a stack trace.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    if (status >= 500) deps.log.error({ err: error, path: req.path }, 'request failed');
    const titles: Record<number, string> = {
      400: 'Bad Request',
      413: 'Payload Too Large',
      415: 'Unsupported Media Type',
    };
    res.status(status).json({
      type: 'about:blank',
      title: titles[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request'),
      status,
      detail: status >= 500 ? 'The request could not be completed.' : (error as Error).message,
    });
  });
  return app;
}
