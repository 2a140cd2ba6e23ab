import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Connection as MongoConnection } from 'mongoose';
import pino from 'pino';
import { QboAccess } from '../../src/activities/qbo-access';
import { createApp } from '../../src/api/app';
import { createQuickBooksWebhookRouter } from '../../src/api/quickbooks-webhook';
import type { ConnectionRecord } from '../../src/db/models/connection';
import { endpointsAt } from '../../src/oauth/intuit-oauth';
import { KeyRing } from '../../src/security/encryption';
import {
  connectionWorkflowId,
  signalInboxWaiting,
  startConnectionWorkflow,
} from '../../src/temporal/connection-workflows';
import { createWorker, type WorkerDependencies } from '../../src/worker/create-worker';
import { createTestConnection } from './connections';
import { QboClient, startTestEmulator, type TestEmulator } from './emulator';
import { openTestDatabase, temporalAddress, uniqueName, workflowBundlePath, type TestDatabase } from './env';

export interface SyncHarness {
  emulator: TestEmulator;
  db: TestDatabase;
  temporal: Client;
  /** An API client for the connected company, as a bookkeeper's other app would use it. */
  qbo: QboClient;
  connectionId: string;
  /** The worker's own task queue. */
  taskQueue: string;
  workflow(): ReturnType<Client['workflow']['getHandle']>;
  close(): Promise<void>;
}

export interface SyncHarnessOptions {
  company?: Record<string, unknown>;
  pollIntervalSeconds?: number;
  activePollIntervalSeconds?: number;
  backfill?: boolean;
  /** Deliver the emulator's webhooks to our endpoint (default true). */
  webhooks?: boolean;
  /** Extra fields on the stored connection (e.g. a CDC cursor). */
  connection?: (emulator: TestEmulator) => Partial<ConnectionRecord>;
  /** Run before the workflow starts (e.g. to create data that setup matching should find). */
  beforeStart?: (qbo: QboClient, emulator: TestEmulator) => Promise<void>;
}

/**
 * The sync engine's whole loop in one process: the emulator, the database, a worker on a task queue of its own, a
 * stored connection with sealed tokens, our webhook endpoint wired to the emulator, and a running connection
 * workflow. Everything talks over real HTTP and real Temporal.
 */
export async function startSyncHarness(options: SyncHarnessOptions = {}): Promise<SyncHarness> {
  const keys = new KeyRing([{ version: 'v1', key: randomBytes(32) }]);
  // QBO's times move with the CRM's: the merge compares them.
  const emulator = await startTestEmulator({ startAt: new Date(), runningClock: true });
  const db = await openTestDatabase('sync');
  const company = await emulator.admin('POST', '/companies', { companyName: 'Sync Co', ...options.company });
  const tokens = await emulator.admin('POST', `/companies/${company.json.realmId}/tokens`, {});
  const qbo = new QboClient(emulator.url, company.json.realmId, tokens.json.access_token);
  const connectionId = uniqueName('conn');
  await createTestConnection(db.mongoose.connection, emulator, keys, {
    _id: connectionId,
    realmId: qbo.realmId,
    accountId: 'acct_sync',
    homeCurrency: company.json.homeCurrency,
    ...options.connection?.(emulator),
  });

  const access = testQboAccess(db.mongoose.connection, emulator.url, keys, 'http://127.0.0.1:9/callback');
  const worker = await startTestWorker(db.mongoose.connection, access);
  const taskQueue = worker.taskQueue;
  const temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });

  let webhookServer: Server | undefined;
  if (options.webhooks ?? true) {
    const verifierToken = 'verifier-for-sync-tests';
    const router = createQuickBooksWebhookRouter({
      verifierToken,
      db: () => Promise.resolve(db.mongoose.connection),
      log: pino({ level: 'silent' }),
      onStored: (events) =>
        signalInboxWaiting(
          temporal,
          db.mongoose.connection,
          events.map((event) => event.realmId),
        ),
    });
    webhookServer = createApp({
      readinessChecks: [],
      log: pino({ level: 'silent' }),
      routers: [router],
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => webhookServer!.once('listening', resolve));
    const url = `http://127.0.0.1:${(webhookServer.address() as { port: number }).port}/v1/webhooks/quickbooks`;
    await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, { url, verifierToken });
  }

  await options.beforeStart?.(qbo, emulator);
  await startConnectionWorkflow(
    temporal,
    { _id: connectionId, realmId: qbo.realmId, accountId: 'acct_sync' },
    {
      taskQueue,
      pollIntervalSeconds: options.pollIntervalSeconds ?? 2,
      // A test's poll interval stands, active or idle, unless it asks for adaptive polling.
      activePollIntervalSeconds: options.activePollIntervalSeconds ?? options.pollIntervalSeconds ?? 2,
      backfill: options.backfill ?? false,
    },
  );

  return {
    emulator,
    db,
    temporal,
    qbo,
    connectionId,
    taskQueue,
    workflow: () => temporal.workflow.getHandle(connectionWorkflowId(connectionId)),
    async close() {
      await worker.close();
      await temporal.connection.close();
      if (webhookServer) await new Promise((resolve) => webhookServer.close(resolve));
      await emulator.close();
      await db.close();
    },
  };
}

/** QBO access for tests: the emulator's API and OAuth endpoints, and the emulator's built-in app. */
export function testQboAccess(
  db: MongoConnection,
  emulatorUrl: string,
  keys: KeyRing,
  redirectUri: string,
): QboAccess {
  return new QboAccess(db, {
    apiBaseUrl: emulatorUrl,
    environment: 'sandbox',
    requestTimeoutMs: 5000,
    oauth: {
      clientId: 'qbo-emulator-client',
      clientSecret: 'qbo-emulator-secret',
      environment: 'sandbox',
      redirectUri,
      endpoints: endpointsAt(emulatorUrl),
      timeoutMs: 5000,
    },
    keys,
  });
}

/** A real worker (src/worker/create-worker.ts) on a task queue of its own; `outbound` reaches the CRM's webhooks. */
export async function startTestWorker(
  db: MongoConnection,
  access: QboAccess,
  options: Pick<WorkerDependencies, 'tracing' | 'outbound'> = {},
): Promise<{ taskQueue: string; close(): Promise<void> }> {
  const taskQueue = uniqueName('sync');
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  const worker: Worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    db,
    qbo: access,
    workflowBundlePath: workflowBundlePath(),
    ...options,
  });
  const running = worker.run();
  return {
    taskQueue,
    async close() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    },
  };
}
