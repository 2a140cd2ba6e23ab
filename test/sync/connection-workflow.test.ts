import { connectionModel } from '../../src/db/models/connection';
import { inboxModel } from '../../src/ingest/inbox';
import { qboCustomerModel, qboTransactionModel } from '../../src/projections/models';
import { disconnectSignal, statusQuery } from '../../src/workflows/connection-messages';
import { salesLine, type QboClient, type TestEmulator } from '../support/emulator';
import { eventually, type TestDatabase } from '../support/env';
import { startSyncHarness, type SyncHarness } from '../support/sync-harness';

const pollIntervalSeconds = 2;

describe('connection workflow: QBO changes reach MongoDB through webhooks and CDC', () => {
  let harness: SyncHarness;
  let emulator: TestEmulator;
  let db: TestDatabase;
  let qbo: QboClient;
  let connectionId: string;

  beforeAll(async () => {
    harness = await startSyncHarness({
      company: { seed: { customers: 5, transactions: 12 } },
      pollIntervalSeconds,
      // As if a backfill had just finished: CDC takes over from a moment before the seed.
      connection: (emulatorUnderTest) => ({
        cdcCursor: new Date(emulatorUnderTest.clock.now().getTime() - 60_000).toISOString(),
      }),
    });
    ({ emulator, db, qbo, connectionId } = harness);
  });
  afterAll(() => harness?.close());

  const customers = () => qboCustomerModel(db.mongoose.connection);
  const projected = (qboId: string) => customers().findById(`${connectionId}:Customer:${qboId}`).lean();
  /** Intuit's webhook events for a customer that reached our inbox since `since`. */
  const delivered = (qboId: string, since: Date) =>
    inboxModel(db.mongoose.connection)
      .find({ realmId: qbo.realmId, entity: 'Customer', entityId: qboId, receivedAt: { $gte: since } })
      .lean();

  it('applies the company on its first poll: customers and transactions with their status', async () => {
    expect(
      await eventually(
        () => customers().countDocuments({ connectionId }),
        (count) => count === 5,
        15_000,
      ),
    ).toBe(5);
    const invoices = await eventually(
      () => qboTransactionModel(db.mongoose.connection).find({ connectionId, entity: 'Invoice' }).lean(),
      (found) => found.length > 0,
      15_000,
    );
    expect(invoices[0]!.view).toMatchObject({
      type: 'Invoice',
      qboLink: expect.stringContaining('https://sandbox.qbo.intuit.com/app/invoice?txnId='),
    });
    const handle = harness.workflow();
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
    // A CDC poll runs every 2 s too: the webhook's event reached the inbox and this connection applied it.
    const events = await eventually(
      () => delivered('1', new Date(started)),
      (found) => found.length > 0 && found.every((event) => !event.pendingFor.includes(connectionId)),
      5000,
      "the webhook's event, applied",
    );
    expect(events).toEqual([expect.objectContaining({ operation: 'Update' })]);
  });

  it('with webhooks lost, catches the change on the next CDC poll', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { webhooks: { dropRate: 1 } });
    try {
      const started = Date.now();
      const pollsBefore = (await harness.workflow().query(statusQuery)).totals.polls;
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
      // A poll brought it, and no webhook did: the change reached us only through CDC.
      const status = await eventually(
        () => harness.workflow().query(statusQuery),
        (current) => current.totals.polls > pollsBefore,
        5000,
        'the poll that applied it to finish',
      );
      expect(status.totals.polls).toBeGreaterThan(pollsBefore);
      expect(await delivered('2', new Date(started))).toEqual([]);
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
    const handle = harness.workflow();
    const parked = await eventually(
      () => handle.query(statusQuery),
      (status) => status.state === 'needs_reauth',
      15_000,
    );
    expect(parked.state).toBe('needs_reauth');
    expect(await connectionModel(db.mongoose.connection).findById(connectionId).lean()).toMatchObject({
      status: 'needs_reauth',
    });
    await handle.signal(disconnectSignal);
    expect(await handle.result()).toBe('disconnected');
  });
});
