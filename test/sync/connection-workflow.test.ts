import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { QboAccess } from '../../src/activities/qbo-access';
import { createApp } from '../../src/api/app';
import { createQuickBooksWebhookRouter } from '../../src/api/quickbooks-webhook';
import { connectionModel } from '../../src/db/models/connection';
import { endpointsAt } from '../../src/oauth/intuit-oauth';
import { qboCustomerModel, qboTransactionModel } from '../../src/projections/models';
import { KeyRing } from '../../src/security/encryption';
import {
  connectionWorkflowId,
  signalInboxWaiting,
  startConnectionWorkflow,
} from '../../src/temporal/connection-workflows';
import { createWorker } from '../../src/worker/create-worker';
import { disconnectSignal, statusQuery } from '../../src/workflows/connection-messages';
import { eventually, openTestDatabase, temporalAddress, uniqueName, type TestDatabase } from '../support/env';
import { createTestConnection } from '../support/connections';
import { QboClient, salesLine, startTestEmulator, type TestEmulator } from '../support/emulator';

const verifierToken = 'verifier-for-sync-tests';
const pollIntervalSeconds = 2;

describe('connection workflow: QBO changes reach MongoDB through webhooks and CDC', () => {
  let emulator: TestEmulator;
  let db: TestDatabase;
  let qbo: QboClient;
  let temporal: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;
  let webhookServer: Server;
  const keys = new KeyRing([{ version: 'v1', key: randomBytes(32) }]);
  const taskQueue = uniqueName('connection-sync');
  const connectionId = uniqueName('conn');

  beforeAll(async () => {
    emulator = await startTestEmulator({ startAt: new Date() });
    db = await openTestDatabase('connection_sync');
    const company = await emulator.admin('POST', '/companies', {
      companyName: 'Sync Co',
      seed: { customers: 5, transactions: 12 },
    });
    const tokens = await emulator.admin('POST', `/companies/${company.json.realmId}/tokens`, {});
    qbo = new QboClient(emulator.url, company.json.realmId, tokens.json.access_token);

    await createTestConnection(db.mongoose.connection, emulator, keys, {
      _id: connectionId,
      realmId: qbo.realmId,
      accountId: 'acct_sync',
      // As if a backfill had just finished: CDC takes over from a moment before the seed.
      cdcCursor: new Date(emulator.clock.now().getTime() - 60_000).toISOString(),
    });

    const access = new QboAccess(db.mongoose.connection, {
      apiBaseUrl: emulator.url,
      environment: 'sandbox',
      requestTimeoutMs: 5000,
      oauth: {
        clientId: 'qbo-emulator-client',
        clientSecret: 'qbo-emulator-secret',
        environment: 'sandbox',
        redirectUri: 'http://127.0.0.1:9/callback',
        endpoints: endpointsAt(emulator.url),
        timeoutMs: 5000,
      },
      keys,
    });
    nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
    worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      db: db.mongoose.connection,
      qbo: access,
    });
    workerRun = worker.run();
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });

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
    await new Promise((resolve) => webhookServer.once('listening', resolve));
    const webhookUrl = `http://127.0.0.1:${(webhookServer.address() as { port: number }).port}/v1/webhooks/quickbooks`;
    await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, { url: webhookUrl, verifierToken });

    await startConnectionWorkflow(
      temporal,
      { _id: connectionId, realmId: qbo.realmId, accountId: 'acct_sync' },
      { taskQueue, pollIntervalSeconds },
    );
  });

  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await nativeConnection?.close();
    await temporal?.connection.close();
    await new Promise((resolve) => webhookServer?.close(resolve));
    await emulator?.close();
    await db?.close();
  });

  const customers = () => qboCustomerModel(db.mongoose.connection);
  const projected = (qboId: string) => customers().findById(`${connectionId}:Customer:${qboId}`).lean();

  it('applies the company on its first poll: customers and transactions with their status', async () => {
    await eventually(
      () => customers().countDocuments({ connectionId }),
      (count) => count === 5,
      15_000,
    );
    const invoices = await eventually(
      () => qboTransactionModel(db.mongoose.connection).find({ connectionId, entity: 'Invoice' }).lean(),
      (found) => found.length > 0,
      15_000,
    );
    expect(invoices[0]!.view).toMatchObject({
      type: 'Invoice',
      qboLink: expect.stringContaining('https://sandbox.qbo.intuit.com/app/invoice?txnId='),
    });
    const handle = temporal.workflow.getHandle(connectionWorkflowId(connectionId));
    const status = await eventually(
      () => handle.query(statusQuery),
      (current) => current.totals.polls >= 1,
      10_000,
    );
    expect(status).toMatchObject({ state: 'syncing', lastCursor: expect.any(String) });
    expect(status.totals.applied).toBeGreaterThanOrEqual(5);
  });

  it('brings a customer edited in QBO into MongoDB through the webhook, in under 5 s', async () => {
    const started = Date.now();
    await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
      entity: { Id: '1', PrimaryEmailAddr: { Address: 'webhook-path@example.com' } },
    });
    const customer = await eventually(
      () => projected('1'),
      (found) => found?.fields.email === 'webhook-path@example.com',
      5000,
    );
    expect(customer?.fields.email).toBe('webhook-path@example.com');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('with webhooks lost, catches the change on the next CDC poll', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { webhooks: { dropRate: 1 } });
    try {
      const started = Date.now();
      await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
        entity: { Id: '2', Notes: 'seen by CDC only' },
      });
      const customer = await eventually(
        () => projected('2'),
        (found) => found?.fields.notes === 'seen by CDC only',
        (pollIntervalSeconds + 5) * 1000,
      );
      expect(customer?.fields.notes).toBe('seen by CDC only');
      expect(Date.now() - started).toBeLessThan((pollIntervalSeconds + 5) * 1000);
    } finally {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {});
    }
  });

  it('follows payments into invoice status and keeps deleted invoices as tombstones', async () => {
    const transactions = qboTransactionModel(db.mongoose.connection);
    const invoice = await qbo.create('Invoice', { CustomerRef: { value: '3' }, Line: [salesLine(100)] });
    await qbo.create('Payment', {
      CustomerRef: { value: '3' },
      TotalAmt: 40,
      Line: [{ Amount: 40, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    const paid = await eventually(
      () => transactions.findById(`${connectionId}:Invoice:${invoice.Id}`).lean(),
      (found) => (found?.view as { status?: string } | undefined)?.status === 'partially_paid',
      10_000,
    );
    expect(paid?.view).toMatchObject({ total: 100, balance: 60, status: 'partially_paid' });

    const doomed = await qbo.create('Invoice', { CustomerRef: { value: '3' }, Line: [salesLine(10)] });
    await eventually(
      () => transactions.findById(`${connectionId}:Invoice:${doomed.Id}`).lean(),
      Boolean,
      10_000,
    );
    await qbo.write('Invoice', { Id: doomed.Id, SyncToken: doomed.SyncToken }, { operation: 'delete' });
    const tombstone = await eventually(
      () => transactions.findById(`${connectionId}:Invoice:${doomed.Id}`).lean(),
      (found) => (found?.view as { status?: string } | undefined)?.status === 'deleted',
      10_000,
    );
    expect(tombstone?.view).toMatchObject({ status: 'deleted', last: { total: 10 } });
  });

  it('parks the connection as needs_reauth when its grant is revoked, and stops on disconnect', async () => {
    await emulator.admin('POST', `/companies/${qbo.realmId}/revoke-refresh-tokens`);
    await emulator.admin('POST', `/companies/${qbo.realmId}/expire-access-tokens`);
    const handle = temporal.workflow.getHandle(connectionWorkflowId(connectionId));
    await eventually(
      () => handle.query(statusQuery),
      (status) => status.state === 'needs_reauth',
      15_000,
    );
    expect(await connectionModel(db.mongoose.connection).findById(connectionId).lean()).toMatchObject({
      status: 'needs_reauth',
    });
    await handle.signal(disconnectSignal);
    expect(await handle.result()).toBe('disconnected');
  });
});
