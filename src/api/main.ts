import type { Server } from 'node:http';
import { loadConfig } from '../config';
import { createLogger, redactUri } from '../logger';
import { createApp } from './app';
import { dependencyChecks } from './readiness';

function main(): void {
  const config = loadConfig();
  const log = createLogger('api', config.LOG_LEVEL);
  const dependencies = dependencyChecks(config);
  const app = createApp({ readinessChecks: dependencies.checks, log });
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
