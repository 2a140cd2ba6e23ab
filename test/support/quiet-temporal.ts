import { DefaultLogger, Runtime } from '@temporalio/worker';

// In-process workers log every state change at INFO; tests only want warnings.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed by an earlier test file in this jest worker.
}
