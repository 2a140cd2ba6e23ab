import type { Server } from 'node:http';
import { loadConfig } from '../config';
import { createLogger, redactUri } from '../logger';
import { signalInboxWaiting } from '../temporal/connection-workflows';
import { createApp } from './app';
import { createQuickBooksWebhookRouter } from './quickbooks-webhook';
import { openDependencies } from './readiness';

function main(): void {
  const config = loadConfig();
  const log = createLogger('api', config.LOG_LEVEL);
  const dependencies = openDependencies(config);
  const quickBooksWebhooks = createQuickBooksWebhookRouter({
    verifierToken: config.QBO_WEBHOOK_VERIFIER_TOKEN,
    db: dependencies.db,
    log,
    onStored: async (events) =>
      signalInboxWaiting(
        await dependencies.temporal(),
        await dependencies.db(),
        events.map((event) => event.realmId),
      ),
  });
  const app = createApp({ readinessChecks: dependencies.checks, log, routers: [quickBooksWebhooks] });
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
  server.on('error', (error) => {
    log.fatal({ err: error }, 'api could not listen');
    process.exit(1);
  });

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'api stopping');
    server.close(() => {
      void dependencies.close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

try {
  main();
} catch (error) {
  createLogger('api').fatal({ err: error }, 'api failed to start');
  process.exit(1);
}
