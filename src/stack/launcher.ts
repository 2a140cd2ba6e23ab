import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ensureJavaTool, ensureTool, javaTools, tools } from './tools';
import { ManagedProcess, waitUntilReady } from './process';
import { startMongoServer, startTemporalServer, type RunningService } from './services';
import {
  serviceEnvironment,
  stackAddresses,
  stackApiUrl,
  stackEmulatorUrl,
  stackHost,
  type StackConfig,
} from './config';
import { servicePrefixer } from './log-format';
import type { selfTestWorkflow } from '../workflows/self-test';

export type Say = (line: string) => void;

interface ServiceDefinition<T extends RunningService = RunningService> {
  name: string;
  start(onLine: (line: string) => void): Promise<T>;
}

const repoRoot = path.resolve(__dirname, '..', '..');
const restartWindowMs = 60_000;
const maxRestartsPerWindow = 5;

/**
 * Starts services in order, restarts any that dies on its own (with backoff, giving up on a crash loop), and stops
 * them in reverse order. One supervisor owns every process of a local stack.
 */
export class Supervisor {
  private readonly running: { definition: ServiceDefinition; service: RunningService }[] = [];
  private readonly restarts = new Map<string, number[]>();
  private stopping = false;
  private serviceCount = 0;

  constructor(
    private readonly say: Say,
    private readonly onGiveUp: (reason: string) => void,
    private readonly useColour: boolean,
  ) {}

  async start<T extends RunningService>(definition: ServiceDefinition<T>): Promise<T> {
    const prefix = servicePrefixer(definition.name, this.serviceCount++, this.useColour);
    const onLine = (line: string): void => this.say(prefix(line));
    const service = await definition.start(onLine);
    const entry = { definition, service };
    this.running.push(entry);
    void this.watch(entry, onLine);
    return service;
  }

  private async watch(
    entry: { definition: ServiceDefinition; service: RunningService },
    onLine: Say,
  ): Promise<void> {
    const { code, signal } = await entry.service.process.exited;
    if (this.stopping || entry.service.process.isStopping) return;
    onLine(`exited unexpectedly (code ${code ?? '-'}, signal ${signal ?? '-'})`);
    const now = Date.now();
    const recent = (this.restarts.get(entry.definition.name) ?? []).filter(
      (at) => now - at < restartWindowMs,
    );
    recent.push(now);
    this.restarts.set(entry.definition.name, recent);
    if (recent.length > maxRestartsPerWindow) {
      this.onGiveUp(`${entry.definition.name} crashed ${recent.length} times within a minute`);
      return;
    }
    const delay = Math.min(1000 * 2 ** (recent.length - 1), 15_000);
    onLine(`restarting in ${delay} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.stopping) return;
    try {
      entry.service = await entry.definition.start(onLine);
      onLine('restarted');
      void this.watch(entry, onLine);
    } catch (error) {
      this.onGiveUp(`${entry.definition.name} could not restart: ${(error as Error).message}`);
    }
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const { definition, service } of [...this.running].reverse()) {
      this.say(`stopping ${definition.name}`);
      await service.stop();
    }
    this.running.length = 0;
  }
}

/** A Node entry point of ours (API or worker) run as its own process, as in production. */
function nodeService(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  ready: (child: ManagedProcess) => Promise<void>,
  args: string[] = [],
): ServiceDefinition {
  return {
    name,
    async start(onLine) {
      const child = new ManagedProcess({
        name,
        command: process.execPath,
        args: ['--import', 'tsx', path.join(repoRoot, entry), ...args],
        cwd: repoRoot,
        env,
        onLine,
        exitWithParent: true,
      });
      try {
        await ready(child);
      } catch (error) {
        await child.stop();
        throw error;
      }
      return { process: child, stop: () => child.stop() };
    },
  };
}

export interface StackEndpoints {
  apiUrl: string;
  emulatorUrl: string | undefined;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  mongodbUri: string;
}

/** Brings up the whole local stack under `supervisor` and returns where each part listens. */
export async function startStack(
  config: StackConfig,
  supervisor: Supervisor,
  say: Say,
): Promise<StackEndpoints> {
  const host = stackHost;
  const given = stackAddresses(config);
  const [temporal, mongodbUri] = await Promise.all([
    config.TEMPORAL_ADDRESS
      ? { address: given.temporalAddress, uiUrl: undefined }
      : ensureTool(tools.temporal, say).then(({ path: binary }) =>
          supervisor.start({
            name: 'temporal',
            start: (onLine) =>
              startTemporalServer({
                binary,
                host,
                port: config.TEMPORAL_PORT,
                uiPort: config.TEMPORAL_UI_PORT,
                namespace: config.TEMPORAL_NAMESPACE,
                dbFile: path.join(config.dataDir, 'temporal', 'temporal.db'),
                onLine,
              }),
          }),
        ),
    config.MONGODB_URI
      ? given.mongodbUri
      : ensureJavaTool(javaTools.mongoServer, say).then(async ({ path: binary }) => {
          await supervisor.start({
            name: 'mongodb',
            start: (onLine) =>
              startMongoServer({
                binary,
                host,
                port: config.MONGODB_PORT,
                dataDir: path.join(config.dataDir, 'mongodb'),
                onLine,
              }),
          });
          return given.mongodbUri;
        }),
  ]);

  const env = serviceEnvironment(config, { mongodbUri, temporalAddress: temporal.address }, process.env);
  const apiUrl = stackApiUrl(config);
  const emulatorUrl = stackEmulatorUrl(config);

  await Promise.all([
    emulatorUrl === undefined
      ? undefined
      : supervisor.start(
          nodeService(
            'emulator',
            'src/emulator/main.ts',
            env,
            (child) =>
              waitUntilReady('QBO emulator', () => expectOk(`${emulatorUrl}/healthz`), {
                timeoutMs: 60_000,
                process: child,
              }),
            [
              `--port=${config.QBO_EMULATOR_PORT}`,
              `--customers=${config.QBO_EMULATOR_CUSTOMERS}`,
              `--transactions=${config.QBO_EMULATOR_TRANSACTIONS}`,
            ],
          ),
        ),
    supervisor.start(
      nodeService('api', 'src/api/main.ts', env, (child) =>
        waitUntilReady('API', () => expectOk(`${apiUrl}/readyz`), { timeoutMs: 60_000, process: child }),
      ),
    ),
    supervisor.start(nodeService('worker', 'src/worker/main.ts', env, (child) => runSelfTest(env, child))),
  ]);
  return {
    apiUrl,
    emulatorUrl,
    temporalAddress: temporal.address,
    temporalUiUrl: temporal.uiUrl,
    mongodbUri,
  };
}

async function expectOk(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
}

/** Proves a worker is serving the task queue by running the self-test workflow through it. */
async function runSelfTest(env: NodeJS.ProcessEnv, child: ManagedProcess): Promise<void> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS!, connectTimeout: 5000 });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const probeId = `self-test:${randomUUID()}`;
    const result = client.workflow.execute<typeof selfTestWorkflow>('selfTestWorkflow', {
      workflowId: probeId,
      taskQueue: env.TEMPORAL_TASK_QUEUE!,
      args: [{ probeId }],
      workflowExecutionTimeout: '2 minutes',
    });
    const outcome = await Promise.race([
      result.then(() => 'passed' as const),
      child.exited.then(() => 'crashed' as const),
    ]);
    if (outcome === 'crashed') throw new Error('worker exited during its self-test');
  } finally {
    await connection.close();
  }
}
