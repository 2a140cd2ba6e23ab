import type { Server } from 'node:http';
import { loadConfig, outboundPolicy, retentionSettings } from '../config';
import { createLogger, redactUri } from '../logger';
import { OutboundGuard } from '../security/outbound-url';
import { stopWhenParentExits } from '../lifecycle';
import { qboAccessSettings } from '../activities/qbo-access';
import { startTracing } from '../observability/tracing';
import { createApi } from './api';
import { answerUnparsableRequests, holdIdleConnections, createApp } from './app';
import { createQuickBooksWebhookRouter, wakeConnections } from './quickbooks-webhook';
import { openDependencies } from './readiness';

const apiVersion = '1.0.0';

function main(): void {
  const config = loadConfig();
  const log = createLogger('api', config.LOG_LEVEL);
  // Before the server listens: each request's span is where a PUT's trace begins.
  const tracing = startTracing({
    serviceName: 'api',
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
  const dependencies = openDependencies(config);
  const quickBooksWebhooks = createQuickBooksWebhookRouter({
    verifierToken: config.QBO_WEBHOOK_VERIFIER_TOKEN,
    db: dependencies.db,
    log,
    onStored: wakeConnections(dependencies.db, dependencies.temporal),
    retentionDays: config.WEBHOOK_INBOX_RETENTION_DAYS,
  });
  const api = createApi(
    {
      db: dependencies.db,
      temporal: dependencies.temporal,
      qbo: qboAccessSettings(config),
      log,
      stateSecret: config.OAUTH_STATE_SECRET,
      embedSecret: config.EMBED_TOKEN_SECRET,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      outbound: new OutboundGuard(outboundPolicy(config)),
      allowLoopbackHttpReturns: config.NODE_ENV === 'development',
      retention: retentionSettings(config),
      dependencyTimeoutMs: config.DEPENDENCY_TIMEOUT_MS,
      now: () => new Date(),
    },
    {
      validateResponses: config.NODE_ENV !== 'production',
      rateLimit: { perMinute: config.API_RATE_LIMIT_PER_MINUTE, burst: config.API_RATE_LIMIT_BURST },
      version: apiVersion,
    },
  );
  const app = createApp({
    readinessChecks: dependencies.checks,
    log,
    routers: [...api.routers, quickBooksWebhooks],
  });
  const server: Server = app.listen(config.PORT, config.HOST, () => {
    log.info(
      {
        url: `http://${config.HOST}:${config.PORT}`,
        temporal: config.TEMPORAL_ADDRESS,
        mongodb: redactUri(config.MONGODB_URI),
      },
      'api listening',
    );
  });
  answerUnparsableRequests(server);
  holdIdleConnections(server);
  server.on('error', (error) => {
    log.fatal({ err: error }, 'api could not listen');
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'api stopping');
    server.close(() => {
      void Promise.all([dependencies.close(), tracing.shutdown()]).finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  stopWhenParentExits(() => shutdown('parent exited'));
}

try {
  main();
} catch (error) {
  createLogger('api').fatal({ err: error }, 'api failed to start');
  process.exit(1);
}
