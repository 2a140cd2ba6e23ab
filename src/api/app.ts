import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { checkReadiness, type DependencyCheck } from './readiness';

export interface AppDependencies {
  readinessChecks: DependencyCheck[];
  log: Logger;
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

  app.use((req, res) => {
    res.status(404).json({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `No route for ${req.method} ${req.path}`,
    });
  });
  return app;
}
