import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Mongoose } from 'mongoose';
import pino from 'pino';
import type { QboAccessSettings } from '../../src/activities/qbo-access';
import { createApi } from '../../src/api/api';
import { createApp } from '../../src/api/app';
import { createQuickBooksWebhookRouter, wakeConnections } from '../../src/api/quickbooks-webhook';
import { connectMongo } from '../../src/db/connect';
import { QboEmulator } from '../../src/emulator/emulator';
import { listenEmulator, type RunningEmulator } from '../../src/emulator/http/app';
import { intuitLimits } from '../../src/emulator/rate-limit';
import { endpointsAt } from '../../src/oauth/intuit-oauth';
import { KeyRing } from '../../src/security/encryption';
import { OutboundGuard } from '../../src/security/outbound-url';
import { ManagedProcess, freePort } from '../../src/stack/process';
import { startMongoServer, startTemporalServer, type RunningService } from '../../src/stack/services';
import { ensureJavaTool, ensureTool, javaTools, tools } from '../../src/stack/tools';
import { CrmReceiver } from './crm-receiver';

const repoRoot = path.resolve(__dirname, '..', '..');

/** What the report names the stack's own database (src/stack/mongo-server: mongo-java-server on its H2 backend). */
const embeddedDatabase = `mongo-java-server ${javaTools.mongoServer.version} (H2)`;

/** Fixed for the run: the API and the worker must agree on them, and nothing here is a real secret. */
const verifierToken = `bench-verifier-${randomBytes(8).toString('hex')}`;
const stateSecret = `bench-state-${randomBytes(16).toString('hex')}`;
const embedSecret = `bench-embed-${randomBytes(16).toString('hex')}`;

export interface StackOptions {
  /** Extra arguments for the worker's node (e.g. `--cpu-prof`). */
  workerNodeArgs?: string[];
  log: (line: string) => void;
}

/**
 * One ephemeral qbo-sync deployment on loopback, as production runs it, minus the network: a Temporal dev server
 * (in memory) and the embedded MongoDB-wire server (temporary folder) from the tool cache, the QBO emulator with
 * Intuit's real limits and the system clock, the API (src/api) in this process, the real worker entry point
 * (src/worker/main.ts) as a process of its own, and a CRM webhook receiver. `stop()` takes everything down; the
 * process-exit hook of ManagedProcess catches the rest.
 */
export class BenchStack {
  readonly emulator: QboEmulator;
  readonly keys: KeyRing;
  readonly verifierToken = verifierToken;
  private readonly services: RunningService[] = [];
  private temporalService: RunningService | undefined;
  private databaseService: RunningService | undefined;
  /** Which database the stack runs on, for the report. */
  database = '';
  /** Failures seen in the worker's and the API's logs since the stack started (see `health`). */
  readonly health = {
    activityFailures: 0,
    activityFailuresByType: {} as Record<string, number>,
    api5xx: 0,
  };
  private inActivityFailure = false;
  private runningEmulator: RunningEmulator | undefined;
  private apiServer: Server | undefined;
  private workerProcess: ManagedProcess | undefined;
  private mongooseInstance: Mongoose | undefined;
  private temporalClient: Client | undefined;
  private dataDir: string | undefined;
  readonly receiver = new CrmReceiver();
  readonly workerOutput: string[] = [];
  apiUrl = '';
  emulatorUrl = '';
  mongoUri = '';
  temporalAddress = '';
  taskQueue = `bench-${randomBytes(4).toString('hex')}`;
  private readonly keySpec: string;

  constructor(private readonly options: StackOptions) {
    const key = randomBytes(32);
    this.keySpec = `v1:${key.toString('base64')}`;
    this.keys = KeyRing.parse(this.keySpec);
    // Intuit's limits, not relaxed: 500/min, 10/s, 10 in flight per realm.
    this.emulator = new QboEmulator({ limits: intuitLimits, seed: 7 });
  }

  get db(): Mongoose {
    if (!this.mongooseInstance) throw new Error('stack not started');
    return this.mongooseInstance;
  }

  get temporal(): Client {
    if (!this.temporalClient) throw new Error('stack not started');
    return this.temporalClient;
  }

  /** The processes to measure: the worker, this process, and the servers this stack started itself. */
  get pids(): Record<string, number> {
    const pids: Record<string, number> = { bench: process.pid };
    const add = (name: string, pid: number | undefined): void => {
      if (pid !== undefined) pids[name] = pid;
    };
    add('worker', this.workerProcess?.pid);
    add('temporal', this.temporalService?.process.pid);
    add('database', this.databaseService?.process.pid);
    return pids;
  }

  async start(): Promise<void> {
    const { log } = this.options;
    const keep =
      (name: string) =>
      (line: string): void =>
        void (/error|panic|fatal/i.test(line) && !/context canceled/.test(line) && log(`${name}: ${line}`));
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'qbo-sync-bench-'));
    const started = performance.now();
    // TEMPORAL_ADDRESS / MONGODB_URI point the benchmark at existing servers (e.g. MongoDB 7), as they do the tests.
    const externalTemporal = process.env.TEMPORAL_ADDRESS;
    const externalMongo = process.env.MONGODB_URI;
    const [temporal, embedded] = await Promise.all([
      externalTemporal
        ? undefined
        : ensureTool(tools.temporal, log).then(({ path: binary }) =>
            startTemporalServer({ binary, uiPort: false, onLine: keep('temporal') }),
          ),
      externalMongo
        ? undefined
        : ensureJavaTool(javaTools.mongoServer, log).then(({ path: binary }) =>
            startMongoServer({
              binary,
              dataDir: path.join(this.dataDir!, 'mongodb'),
              onLine: keep('mongodb'),
            }),
          ),
    ]);
    this.temporalService = temporal;
    this.databaseService = embedded;
    this.services.push(...[temporal, embedded].filter((service) => service !== undefined));
    this.temporalAddress = temporal?.address ?? externalTemporal!;
    const database = `qbo_bench_${randomBytes(4).toString('hex')}`;
    if (embedded) this.mongoUri = `${embedded.uri.replace(/\/$/, '')}/${database}`;
    else {
      const url = new URL(externalMongo!);
      url.pathname = `/${database}`;
      this.mongoUri = url.toString();
    }
    this.database = embedded ? embeddedDatabase : 'MongoDB at MONGODB_URI';
    log(
      `temporal ${this.temporalAddress}${temporal ? '' : ' (external)'}, ` +
        `${embedded ? `database ${embedded.uri}` : 'MongoDB (external)'} ` +
        `up in ${Math.round(performance.now() - started)} ms`,
    );

    this.runningEmulator = await listenEmulator(this.emulator, 0, '127.0.0.1');
    this.emulatorUrl = this.runningEmulator.url;
    await this.receiver.listen();

    this.mongooseInstance = await connectMongo(this.mongoUri, 5000);
    this.temporalClient = new Client({
      connection: await Connection.connect({ address: this.temporalAddress }),
    });
    await this.startApi();
    await this.startWorker();
    log(`stack up in ${Math.round(performance.now() - started)} ms (api ${this.apiUrl})`);
  }

  qboSettings(): QboAccessSettings {
    return {
      apiBaseUrl: this.emulatorUrl,
      environment: 'sandbox',
      requestTimeoutMs: 15_000,
      oauth: {
        clientId: 'qbo-emulator-client',
        clientSecret: 'qbo-emulator-secret',
        environment: 'sandbox',
        redirectUri: `${this.apiUrl}/v1/oauth/quickbooks/callback`,
        endpoints: endpointsAt(this.emulatorUrl),
        timeoutMs: 15_000,
      },
      keys: this.keys,
    };
  }

  /** src/api/main.ts's wiring, in this process: Intuit's webhook endpoint plus every /v1 route. */
  private async startApi(): Promise<void> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    this.apiServer = server;
    this.apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const conn = this.db.connection;
    const temporal = this.temporal;
    // The API's own error log, counted: a 5xx it answered is logged as "request failed".
    const health = this.health;
    const log = pino(
      { level: 'warn' },
      {
        write(line: string): void {
          if (line.includes('"request failed"')) health.api5xx += 1;
          else process.stdout.write(line);
        },
      },
    );
    const api = createApi(
      {
        db: () => Promise.resolve(conn),
        temporal: () => Promise.resolve(temporal),
        qbo: this.qboSettings(),
        log,
        stateSecret,
        embedSecret,
        taskQueue: this.taskQueue,
        // The CRM's receiver listens on loopback, as in development (the worker runs with NODE_ENV=development).
        outbound: new OutboundGuard({ allowPrivateNetworks: true }),
        allowLoopbackHttpReturns: true,
        dependencyTimeoutMs: 5000,
        now: () => new Date(),
      },
      // As in production: responses are not re-validated; the default per-key limits.
      { validateResponses: false, rateLimit: { perMinute: 600, burst: 100 }, version: 'bench' },
    );
    const quickBooksWebhooks = createQuickBooksWebhookRouter({
      verifierToken,
      db: () => Promise.resolve(conn),
      log,
      onStored: wakeConnections(
        () => Promise.resolve(conn),
        () => Promise.resolve(temporal),
      ),
    });
    server.on(
      'request',
      createApp({ readinessChecks: [], log, routers: [quickBooksWebhooks, ...api.routers] }),
    );
  }

  /** The real worker entry point, configured through its environment as in production. */
  private async startWorker(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      MONGODB_URI: this.mongoUri,
      QBO_API_BASE_URL: this.emulatorUrl,
      QBO_OAUTH_BASE_URL: this.emulatorUrl,
      QBO_REDIRECT_URI: `${this.apiUrl}/v1/oauth/quickbooks/callback`,
      QBO_WEBHOOK_VERIFIER_TOKEN: verifierToken,
      TOKEN_ENCRYPTION_KEYS: this.keySpec,
      OAUTH_STATE_SECRET: stateSecret,
      EMBED_TOKEN_SECRET: embedSecret,
      SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
      WORKER_METRICS_PORT: '0',
    };
    let announce: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (announce = resolve));
    // The worker logs at warn; its "worker started" line is info, so readiness is read from a marker instead.
    const worker = new ManagedProcess({
      name: 'worker',
      command: process.execPath,
      args: [
        ...(this.options.workerNodeArgs ?? []),
        '--import',
        'tsx',
        path.join(repoRoot, 'src/worker/main.ts'),
      ],
      cwd: repoRoot,
      env: { ...env, LOG_LEVEL: 'info' },
      onLine: (line) => {
        if (line.includes('"worker started"')) announce();
        else if (!line.includes('"level":30')) {
          this.countWorkerLine(line);
          this.workerOutput.push(line);
          if (this.workerOutput.length > 200) this.workerOutput.shift();
        }
      },
      stopGraceMs: 15_000,
    });
    this.workerProcess = worker;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.then(() => 'started' as const),
      worker.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 120_000))),
    ]);
    clearTimeout(timer);
    if (outcome !== 'started')
      throw new Error(`worker ${outcome} before it started:\n${this.workerOutput.join('\n')}`);
  }

  /** The SDK logs a failed activity as a multi-line object: its type and its error follow the first line. */
  private countWorkerLine(line: string): void {
    if (line.includes('Activity failed')) {
      this.health.activityFailures += 1;
      this.inActivityFailure = true;
      return;
    }
    if (!this.inActivityFailure) return;
    const type = /activityType: '([^']+)'/.exec(line)?.[1];
    if (type) this.health.activityFailuresByType[type] = (this.health.activityFailuresByType[type] ?? 0) + 1;
    if (/^\}/.test(line)) this.inActivityFailure = false;
  }

  /** Stops the worker (SIGTERM drains it) and starts a fresh one, e.g. to profile one benchmark alone. */
  async restartWorker(workerNodeArgs: string[]): Promise<void> {
    await this.workerProcess?.stop();
    this.options.workerNodeArgs = workerNodeArgs;
    await this.startWorker();
  }

  async stop(): Promise<void> {
    await this.workerProcess?.stop().catch(() => undefined);
    if (this.apiServer) {
      const server = this.apiServer;
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    }
    await this.receiver.close();
    await this.runningEmulator?.close().catch(() => undefined);
    await this.temporalClient?.connection.close().catch(() => undefined);
    // On an external MongoDB the benchmark's database is its own: drop it; the embedded server's folder goes below.
    if (!this.databaseService) await this.mongooseInstance?.connection.dropDatabase().catch(() => undefined);
    await this.mongooseInstance?.disconnect().catch(() => undefined);
    await Promise.allSettled(this.services.reverse().map((service) => service.stop()));
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
