import { qboCustomerModel, qboTransactionModel } from '../../src/projections/models';
import { statusQuery } from '../../src/workflows/connection-messages';
import { salesLine } from '../support/emulator';
import { eventually } from '../support/env';
import { startSyncHarness, type SyncHarness } from '../support/sync-harness';

describe('sync engine under faults, and in more than one currency', () => {
  let harness: SyncHarness;

  beforeAll(async () => {
    harness = await startSyncHarness({
      company: { companyName: 'Maple & Co', multiCurrency: true },
      pollIntervalSeconds: 1,
      connection: (emulator) => ({
        cdcCursor: new Date(emulator.clock.now().getTime() - 60_000).toISOString(),
      }),
    });
  });
  afterAll(() => harness?.close());

  const customer = (qboId: string) =>
    qboCustomerModel(harness.db.mongoose.connection)
      .findById(`${harness.connectionId}:Customer:${qboId}`)
      .lean();
  const transaction = (entity: string, qboId: string) =>
    qboTransactionModel(harness.db.mongoose.connection)
      .findById(`${harness.connectionId}:${entity}:${qboId}`)
      .lean();

  it('keeps a EUR customer’s invoices and payments in EUR with QBO’s rate and home amounts', async () => {
    const { qbo } = harness;
    const berlin = await qbo.create('Customer', {
      DisplayName: 'Berlin GmbH',
      CurrencyRef: { value: 'EUR' },
    });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: berlin.Id },
      ExchangeRate: 1.0825,
      Line: [salesLine(200)],
    });
    const payment = await qbo.create('Payment', {
      CustomerRef: { value: berlin.Id },
      TotalAmt: 50,
      ExchangeRate: 1.09,
      Line: [{ Amount: 50, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    const projected = await eventually(
      () => transaction('Invoice', invoice.Id),
      (found) => (found?.view as { balance?: number } | undefined)?.balance === 150,
      10_000,
    );
    expect(projected?.view).toMatchObject({
      currency: { code: 'EUR' },
      exchangeRate: 1.0825,
      total: 200,
      homeTotal: 216.5,
      balance: 150,
      homeBalance: 162.38,
      status: 'partially_paid',
    });
    const paid = await eventually(() => transaction('Payment', payment.Id), Boolean, 10_000);
    expect(paid?.view).toMatchObject({
      currency: { code: 'EUR' },
      exchangeRate: 1.09,
      total: 50,
      homeTotal: 54.5,
    });
    // The customer's own change may be applied after its documents' (each webhook event is fetched on its own).
    const profiled = await eventually(
      () => customer(berlin.Id),
      (found) => found?.profile !== undefined,
      10_000,
    );
    expect(profiled?.profile).toMatchObject({ currency: { code: 'EUR' } });
  });

  it('rides out a 429 storm and 5xx bursts without losing a change', async () => {
    const { qbo, emulator } = harness;
    const statuses = async () =>
      (
        (await emulator.admin('GET', `/companies/${qbo.realmId}/requests?limit=2000`)).json.requests as {
          status: number;
        }[]
      ).map((request) => request.status);
    const answered = (await statuses()).length;
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {
      errorRates: { '429': 0.5, '503': 0.3 },
    });
    try {
      for (let index = 0; index < 5; index += 1) {
        await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
          operation: 'create',
          entity: { DisplayName: `Storm ${index}` },
        });
      }
      // The storm lasts until the sync has met it a few times, whatever the machine's speed.
      const faulted = await eventually(
        async () => (await statuses()).slice(answered).filter((status) => status === 429 || status === 503),
        (found) => found.length >= 3,
        30_000,
        'the sync to meet three 429s or 503s',
      );
      expect(faulted.length).toBeGreaterThanOrEqual(3);
    } finally {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {});
    }
    const all = await eventually(
      () =>
        qboCustomerModel(harness.db.mongoose.connection)
          .find({ connectionId: harness.connectionId, 'fields.displayName': /^Storm / })
          .lean(),
      (found) => found.length === 5,
      30_000,
    );
    expect(all).toHaveLength(5);
    const traffic = (await emulator.admin('GET', `/companies/${qbo.realmId}/traffic`)).json.traffic;
    expect(traffic.peakInFlight).toBeLessThanOrEqual(10);
  });

  it('refreshes an expired access token on its own and carries on', async () => {
    const { qbo, emulator } = harness;
    await emulator.admin('POST', `/companies/${qbo.realmId}/expire-access-tokens`);
    const before = (await emulator.admin('GET', '/oauth/metrics')).json.refreshes;
    await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
      operation: 'create',
      entity: { DisplayName: 'After Expiry' },
    });
    const applied = await eventually(
      () =>
        qboCustomerModel(harness.db.mongoose.connection)
          .findOne({ connectionId: harness.connectionId, 'fields.displayName': 'After Expiry' })
          .lean(),
      Boolean,
      15_000,
    );
    expect(applied?.fields.displayName).toBe('After Expiry');
    expect((await emulator.admin('GET', '/oauth/metrics')).json.refreshes).toBe(before + 1);
    expect((await harness.workflow().query(statusQuery)).state).toBe('syncing');
  });
});
