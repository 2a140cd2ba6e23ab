import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { connectionModel } from '../../src/db/models/connection';
import { qboCustomerModel, qboTransactionModel } from '../../src/projections/models';
import { KeyRing } from '../../src/security/encryption';
import type { ManagedProcess } from '../../src/stack/process';
import { connectionWorkflowId, startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import { statusQuery } from '../../src/workflows/connection-messages';
import { eventually, openTestDatabase, temporalAddress, uniqueName, type TestDatabase } from '../support/env';
import { startTestEmulator, type TestEmulator } from '../support/emulator';
import { startWorkerProcess } from '../support/worker-process';
import { createTestConnection } from '../support/connections';

describe('backfill: a whole company read into MongoDB, surviving a killed worker', () => {
  let emulator: TestEmulator;
  let db: TestDatabase;
  let temporal: Client;
  const workers: ManagedProcess[] = [];
  const key = randomBytes(32);
  const keys = new KeyRing([{ version: 'v1', key }]);

  beforeAll(async () => {
    emulator = await startTestEmulator({ startAt: new Date() });
    db = await openTestDatabase('backfill');
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await temporal?.connection.close();
    await emulator?.close();
    await db?.close();
  });

  it('reads every customer and transaction exactly once although the worker is SIGKILLed midway', async () => {
    const company = await emulator.admin('POST', '/companies', {
      companyName: 'Big Books',
      seed: { customers: 5000, transactions: 2000 },
    });
    const realmId: string = company.json.realmId;
    const expectedTransactions = Object.entries(company.json.counts as Record<string, number>)
      .filter(([entity]) => entity !== 'Customer')
      .reduce((sum, [, count]) => sum + count, 0);
    const connectionId = uniqueName('conn');
    await createTestConnection(db.mongoose.connection, emulator, keys, {
      _id: connectionId,
      realmId,
      accountId: 'acct_backfill',
    });

    const taskQueue = uniqueName('backfill');
    const env = {
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGODB_URI: db.uri,
      QBO_API_BASE_URL: emulator.url,
      QBO_OAUTH_BASE_URL: emulator.url,
      TOKEN_ENCRYPTION_KEYS: `v1:${key.toString('base64')}`,
    };
    const first = await startWorkerProcess(env);
    workers.push(first);
    await startConnectionWorkflow(
      temporal,
      { _id: connectionId, realmId, accountId: 'acct_backfill' },
      { taskQueue, pollIntervalSeconds: 60, backfill: true },
    );

    const connections = connectionModel(db.mongoose.connection);
    const midway = await eventually(
      () => connections.findById(connectionId).lean(),
      (connection) => (connection?.backfill?.counts.Customer ?? 0) >= 1800,
      60_000,
    );
    expect(midway?.backfill?.status).toBe('running');
    first.kill('SIGKILL');
    await first.exited;
    workers.push(await startWorkerProcess(env));

    const done = await eventually(
      () => connections.findById(connectionId).lean(),
      (connection) => connection?.backfill?.status === 'done',
      200_000,
    );
    expect(done?.cdcCursor).toEqual(expect.any(String));
    expect(await qboCustomerModel(db.mongoose.connection).countDocuments({ connectionId })).toBe(5000);
    expect(await qboTransactionModel(db.mongoose.connection).countDocuments({ connectionId })).toBe(
      expectedTransactions,
    );
    const status = await eventually(
      () => temporal.workflow.getHandle(connectionWorkflowId(connectionId)).query(statusQuery),
      (current) => current.state === 'syncing',
      10_000,
    );
    expect(status.lastError).toBeUndefined();
    // The emulator saw no write from us: a backfill only reads. Its log keeps the last 2000 requests: short of
    // that, it holds every request of the run.
    const log: { method: string }[] = (
      await emulator.admin('GET', `/companies/${realmId}/requests?limit=2000`)
    ).json.requests;
    expect(log.length).toBeLessThan(2000);
    expect(log.filter((request) => request.method === 'POST')).toEqual([]);
  }, 300_000);
});
