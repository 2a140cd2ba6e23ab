import { mkdtempSync } from 'node:fs';
import { DefaultLogger } from '@temporalio/worker';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMongoServer, startTemporalServer, type RunningService } from '../../src/stack/services';
import { ensureJavaTool, ensureTool, javaTools, tools } from '../../src/stack/tools';
import { bundleWorkflows } from '../../src/worker/workflow-bundle';
import { setStack, stopStack } from './stack-state';

/**
 * One ephemeral stack for the whole run: a Temporal dev server and the embedded MongoDB server, both in memory, on
 * free loopback ports. Servers given by TEMPORAL_ADDRESS / MONGODB_URI are used instead. Test files reach them
 * through the environment variables set here, which jest passes on to its workers.
 */
export default async function globalSetup(): Promise<void> {
  const say = (line: string): void => void process.stderr.write(`[test stack] ${line}\n`);
  // Server output is kept, and shown only if the stack fails to come up.
  const serverOutput: string[] = [];
  const keep = (name: string) => (line: string) => void serverOutput.push(`${name}: ${line}`);
  const services: RunningService[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qbo-sync-test-'));
  setStack({ services, dataDir });

  // A run stopped by a signal (Ctrl-C, a CI timeout) never reaches globalTeardown: stop the servers on the way out,
  // then let the signal take its default course.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void stopStack().finally(() => process.kill(process.pid, signal)));
  }
  const started = <Service extends RunningService>(service: Service): Service => {
    services.push(service);
    return service;
  };

  const temporal = process.env.TEMPORAL_ADDRESS
    ? undefined
    : ensureTool(tools.temporal, say).then(({ path: binary }) =>
        startTemporalServer({ binary, uiPort: false, onLine: keep('temporal') }).then(started),
      );
  const mongo = process.env.MONGODB_URI
    ? undefined
    : ensureJavaTool(javaTools.mongoServer, say).then(({ path: binary }) =>
        // Retention tests age records past their TTL and wait for a sweep: sweep every 2 s, not MongoDB's 60.
        startMongoServer({ binary, ttlMonitorSeconds: 2, onLine: keep('mongodb') }).then(started),
      );
  // Every worker of the run, in-process or not, loads one bundle of the workflow code instead of bundling its own.
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  const bundled = process.env.TEMPORAL_WORKFLOW_BUNDLE
    ? undefined
    : bundleWorkflows(bundlePath, new DefaultLogger('WARN')).then(
        () => void (process.env.TEMPORAL_WORKFLOW_BUNDLE = bundlePath),
      );
  // Jest skips globalTeardown when globalSetup fails: whatever did come up is stopped here.
  const failure = (await Promise.allSettled([temporal, mongo, bundled])).find(
    (result) => result.status === 'rejected',
  );
  if (failure) {
    serverOutput.forEach(say);
    await stopStack();
    throw failure.reason;
  }
  const [temporalServer, mongoServer] = await Promise.all([temporal, mongo]);
  if (temporalServer) process.env.TEMPORAL_ADDRESS = temporalServer.address;
  if (mongoServer) process.env.MONGODB_URI = mongoServer.uri;
}
