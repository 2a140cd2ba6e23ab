import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { storeContact } from '../../src/contacts/service';
import { connectionModel } from '../../src/db/models/connection';
import { inboxModel } from '../../src/ingest/inbox';
import { KeyRing } from '../../src/security/encryption';
import type { ManagedProcess } from '../../src/stack/process';
import { startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import { connectionWorkflowId } from '../../src/temporal/connection-workflows';
import { toSyncFields } from '../../src/sync/fields';
import { contactsChangedSignal } from '../../src/workflows/connection-messages';
import { createTestConnection } from '../support/connections';
import { linkOf } from '../support/contacts';
import { startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';
import { eventually, openTestDatabase, temporalAddress, uniqueName, type TestDatabase } from '../support/env';
import { startWorkerProcess } from '../support/worker-process';

/** The worker's JSON log lines (core may print others). */
function records(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The value of one sample of the exposition text, or 0 when the series has none yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('the worker process: its /metrics and its log', () => {
  let emulator: TestEmulator;
  let db: TestDatabase;
  let temporal: Client;
  let worker: ManagedProcess;
  let qbo: QboClient;
  const lines: string[] = [];
  let metricsUrl: string;
  const connectionId = uniqueName('conn');
  const crmContactId = 'crm-metered';

  beforeAll(async () => {
    const key = randomBytes(32);
    emulator = await startTestEmulator({ startAt: new Date(), runningClock: true });
    db = await openTestDatabase('metrics');
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
    qbo = await emulator.company({ companyName: 'Metered Co' });
    await createTestConnection(db.mongoose.connection, emulator, new KeyRing([{ version: 'v1', key }]), {
      _id: connectionId,
      realmId: qbo.realmId,
      accountId: 'acct_metered',
    });
    const taskQueue = uniqueName('metrics');
    worker = await startWorkerProcess(
      {
        TEMPORAL_TASK_QUEUE: taskQueue,
        MONGODB_URI: db.uri,
        QBO_API_BASE_URL: emulator.url,
        QBO_OAUTH_BASE_URL: emulator.url,
        TOKEN_ENCRYPTION_KEYS: `v1:${key.toString('base64')}`,
      },
      { onLine: (line) => lines.push(line) },
    );
    const started = records(lines).find((line) => line.msg === 'worker started');
    metricsUrl = String(started?.metrics);
    await startConnectionWorkflow(
      temporal,
      { _id: connectionId, realmId: qbo.realmId, accountId: 'acct_metered' },
      { taskQueue, pollIntervalSeconds: 1, backfill: false },
    );
  }, 90_000);
  afterAll(async () => {
    await temporal?.workflow
      .getHandle(connectionWorkflowId(connectionId))
      .terminate('test over')
      .catch(() => undefined);
    await worker?.stop();
    await temporal?.connection.close();
    await emulator?.close();
    await db?.close();
  });

  const scrape = async () => {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    return response.text();
  };

  it('counts activity outcomes, QBO requests and freshness both ways, and serves Temporal’s own metrics too', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    // CRM → QBO: a contact stored as the API stores it, then signalled.
    const connection = (await connectionModel(db.mongoose.connection).findById(connectionId).lean())!;
    await storeContact(
      db.mongoose.connection,
      connection,
      crmContactId,
      {
        fields: toSyncFields({ displayName: 'Metered Person', email: 'metered@example.com' }),
        updatedAt: new Date().toISOString(),
      },
      new Date(),
    );
    // Waiting in the lanes, counted from the records: the contact not pushed yet, and a webhook event some other
    // connection of a realm has yet to apply (nothing here serves it, so it stays).
    await inboxModel(db.mongoose.connection).create({
      _id: 'realm-elsewhere:event-1',
      realmId: 'realm-elsewhere',
      entity: 'Customer',
      entityId: '1',
      operation: 'Update',
      occurredAt: new Date(),
      receivedAt: new Date(),
      pendingFor: ['conn-elsewhere'],
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const waiting = await scrape();
    expect(sample(waiting, 'qbo_sync_lane_queue_depth{lane="crm_to_qbo"}')).toBe(1);
    expect(sample(waiting, 'qbo_sync_lane_queue_depth{lane="qbo_to_crm"}')).toBe(1);
    expect(waiting).toContain('qbo_sync_lane_queue_depth{lane="to_crm_webhooks"} 0');
    await temporal.workflow
      .getHandle(connectionWorkflowId(connectionId))
      .signal(contactsChangedSignal, { crmContactIds: [crmContactId] });
    const link = await eventually(
      () => linkOf(db.mongoose.connection, connectionId, crmContactId),
      (found) => found !== null,
      20_000,
      'the contact pushed and linked',
    );

    // QBO → CRM: the bookkeeper edits the customer; the next poll brings it to the contact.
    const customer = (await qbo.read('Customer', link!.qboCustomerId)).json.Customer;
    const edited = await qbo.write('Customer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      sparse: true,
      PrimaryEmailAddr: { Address: 'metered.books@example.com' },
    });
    expect(edited.status).toBe(200);
    await eventually(
      scrape,
      (text) => sample(text, 'qbo_sync_freshness_seconds_count{direction="qbo_to_crm"}') >= 1,
      20_000,
      'a QBO change landing in the CRM',
    );

    // QBO down: every call answers 503, and polls fail as QboUnavailable (retried) until it is back.
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { errorRates: { '503': 1 } });
    try {
      await eventually(
        scrape,
        (text) =>
          sample(text, 'qbo_sync_activity_runs_total{activity="pollChanges",outcome="QboUnavailable"}') >= 1,
        20_000,
        'a poll failing while QBO is down',
      );
    } finally {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {});
    }

    const text = await scrape();
    expect(sample(text, 'qbo_sync_activity_runs_total{activity="pushContact",outcome="completed"}')).toBe(1);
    expect(
      sample(text, 'qbo_sync_activity_runs_total{activity="pollChanges",outcome="completed"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'qbo_sync_activity_duration_seconds_count{activity="pushContact",outcome="completed"}'),
    ).toBe(1);
    expect(sample(text, 'qbo_sync_freshness_seconds_count{direction="crm_to_qbo"}')).toBe(1);
    expect(
      sample(text, 'qbo_sync_qbo_requests_total{method="POST",path="/customer",outcome="ok",fault_code=""}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'qbo_sync_qbo_requests_total{method="GET",path="/cdc",outcome="server",fault_code=""}'),
    ).toBeGreaterThanOrEqual(1);
    // The push drained its lane.
    expect(sample(text, 'qbo_sync_lane_queue_depth{lane="crm_to_qbo"}')).toBe(0);
    // Temporal's SDK metrics, from core's own exporter, in the same scrape.
    expect(text).toMatch(/^temporal_[a-z_]+\{/m);
    // Realm-free: neither the realm nor a record id is a label value.
    expect(text).not.toContain(qbo.realmId);
    expect(text).not.toContain(crmContactId);
  }, 120_000);

  it('logs what happened at info, with the connection, realm, account and contact, and no secret', async () => {
    // The worker writes its log asynchronously: a line may reach us after the metric of the same run did.
    const logged = (what: string, matches: (record: Record<string, unknown>) => boolean) =>
      eventually(
        () => Promise.resolve(records(lines).find(matches)),
        (found) => found !== undefined,
        10_000,
        what,
      );
    const pushed = await logged('the push’s line', (record) =>
      String(record.msg).startsWith('contacts pushed to QuickBooks'),
    );
    expect(pushed).toMatchObject({
      level: 30,
      activity: 'pushContact',
      connectionId,
      realmId: qbo.realmId,
      accountId: 'acct_metered',
      crmContactId,
      attempt: 1,
      counts: expect.objectContaining({ created: 1 }),
    });
    // The bookkeeper's edit, read by a poll and handed to the lane, then merged into the contact by its own pull.
    expect(
      await logged(
        'the poll’s line',
        (record) =>
          String(record.msg).startsWith('changes applied from QuickBooks (poll)') &&
          record.customersToPull === 1,
      ),
    ).toMatchObject({ level: 30, activity: 'pollChanges', connectionId });
    expect(
      await logged(
        'the pull’s line',
        (record) => record.activity === 'pullCustomer' && record.contactsUpdated === 1,
      ),
    ).toMatchObject({
      level: 30,
      connectionId,
      realmId: qbo.realmId,
      qboCustomerId: expect.any(String),
      channel: 'cdc_poll',
      conflicts: 0,
    });
    expect(
      await logged(
        'the failed poll’s line',
        (record) => record.activity === 'pollChanges' && record.outcome === 'QboUnavailable',
      ),
    ).toMatchObject({ level: 40, retrying: true, realmId: qbo.realmId });
    // Nothing that grants access: no bearer token, no Temporal task token.
    expect(
      lines.filter((line) => /Bearer (?!\[redacted\])|"taskToken":"(?!\[redacted\])/.test(line)),
    ).toEqual([]);
  });
});
