import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { salesLine, type QboClient } from '../support/emulator';
import { eventually } from '../support/env';
import { contactArSweepModel } from '../../src/followups/models';
import { addDays } from '../../src/followups/stages';

/**
 * A contact's tags and AR figures read from `GET /v1/contacts/{id}`, and the connection's high-value threshold
 * set with `PATCH /v1/connections/{id}`: real API, worker, Temporal and emulator.
 */
describe('tags and AR figures on the contact, and the high-value threshold', () => {
  let harness: ApiHarness;
  let connectionId: string;
  let qbo: QboClient;
  let customerId: string;

  const contact = async () => (await harness.request('GET', '/v1/contacts/crm-ar')).json;
  const patch = (body: unknown) => harness.request('PATCH', `/v1/connections/${connectionId}`, { body });

  beforeAll(async () => {
    harness = await startApiHarness();
    const connection = await harness.connect(harness.account, {
      company: { companyName: 'Receivables Ltd' },
    });
    connectionId = connection.id;
    qbo = await harness.qboFor(connection.realmId);
    const put = await harness.request('PUT', '/v1/contacts/crm-ar', {
      body: { updatedAt: new Date().toISOString(), fields: { displayName: 'Prompt & Late' } },
    });
    expect(put.status).toBe(202);
    const synced = await eventually(
      contact,
      (body) => body.sync?.state === 'synced',
      15_000,
      'crm-ar synced',
    );
    customerId = synced.quickbooks.customerId;
  });
  afterAll(() => harness?.close());

  it('reads the tags and figures of the contact’s QuickBooks customer, as of the company’s today', async () => {
    const before = await contact();
    expect(before.tags).toEqual([]);
    expect(before.ar).toMatchObject({ openBalance: 0, averageDaysToPay: null, paidInvoicesMeasured: 0 });
    const today: string = before.ar.asOf;
    expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const ref = { CustomerRef: { value: customerId } };
    const paidOnTime = await qbo.create('Invoice', {
      ...ref,
      TxnDate: addDays(today, -20),
      DueDate: addDays(today, -5),
      Line: [salesLine(200)],
    });
    await qbo.create('Payment', {
      ...ref,
      TxnDate: addDays(today, -10),
      TotalAmt: 200,
      Line: [{ Amount: 200, LinkedTxn: [{ TxnId: paidOnTime.Id, TxnType: 'Invoice' }] }],
    });
    await qbo.create('Invoice', {
      ...ref,
      TxnDate: addDays(today, -30),
      DueDate: addDays(today, -10),
      Line: [salesLine(100)],
    });
    await harness.request('POST', `/v1/connections/${connectionId}/sync`);
    const after = await eventually(
      contact,
      (body) => body.ar?.paidInvoicesMeasured === 1 && body.ar?.overdueBalance === 100,
      20_000,
      'the invoices and payment in the figures',
    );
    expect(after.tags).toEqual(['qb:customer', 'qb:overdue']);
    expect(after.ar).toMatchObject({
      asOf: today,
      currency: 'USD',
      openBalance: 100,
      overdueBalance: 100,
      oldestOverdueDays: 10,
      averageDaysToPay: 10,
      onTimePaymentRatio: 1,
      paidInvoicesMeasured: 1,
    });
  });

  it('tags a contact high-value from the connection’s threshold, which PATCH sets, clears and validates', async () => {
    // Lifetime sales are 300 once the previous test's invoices are in.
    await eventually(contact, (body) => body.ar?.openBalance === 100, 20_000, 'the invoices synced');
    expect((await contact()).tags).not.toContain('qb:high-value');

    // A sweep that already judged every customer today: the new threshold has the next run judge them again.
    const sweeps = contactArSweepModel(harness.db.mongoose.connection);
    await sweeps.updateOne(
      { _id: connectionId },
      { $set: { fullOn: (await contact()).ar.asOf, changesUpTo: new Date() } },
      { upsert: true },
    );
    const set = await patch({ highValueThreshold: 250 });
    expect(set.status).toBe(200);
    expect(await sweeps.findById(connectionId).lean()).toBeNull();
    expect(set.json.settings.highValueThreshold).toBe(250);
    expect((await contact()).tags).toEqual(['qb:customer', 'qb:overdue', 'qb:high-value']);

    expect((await patch({ highValueThreshold: 300.01 })).json.settings.highValueThreshold).toBe(300.01);
    expect((await contact()).tags).toEqual(['qb:customer', 'qb:overdue']);

    const cleared = await patch({ highValueThreshold: null });
    expect(cleared.json.settings.highValueThreshold).toBeNull();
    expect((await contact()).tags).not.toContain('qb:high-value');

    for (const refused of [-5, 0, 1.005, 'lots']) {
      const answer = await patch({ highValueThreshold: refused });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 'validation_failed', field: 'body.highValueThreshold' });
    }
    const detail = await harness.request('GET', `/v1/connections/${connectionId}`);
    expect(detail.json.settings.highValueThreshold).toBeNull();
  });
});
