import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { salesLine, type QboClient } from '../support/emulator';
import { eventually } from '../support/env';
import { addDays } from '../../src/followups/stages';
import { formatQboDate } from '../../src/time/zoned-time';

interface Item {
  type: string;
  qboId: string;
  status: string;
  total: number;
  balance: number;
  partiallyPaid?: boolean;
  originalTotal?: number;
  linked: { type: string; id: string }[];
}

/**
 * The figures and statuses of docs/api.md ("Figures and statuses") over the real API, worker and emulator, in the
 * combinations that once contradicted each other: an unapplied credit memo beside an overdue, partly paid invoice;
 * a voided invoice; a refund receipt; an estimate converted into an invoice.
 */
describe('figures and statuses, over the API', () => {
  let harness: ApiHarness;
  let connectionId: string;
  let qbo: QboClient;
  let customerId: string;
  const today = formatQboDate(new Date(), 'America/Los_Angeles');

  const section = async () => (await harness.request('GET', '/v1/contacts/crm-figures/quickbooks')).json;
  const itemOf = (body: { transactions: Item[] }, type: string, qboId: string) =>
    body.transactions.find((item) => item.type === type && item.qboId === qboId);
  /** Syncs now, and waits until the section shows what `ready` looks for. */
  const syncUntil = async (ready: (body: any) => boolean, what: string) => {
    await harness.request('POST', `/v1/connections/${connectionId}/sync`);
    return eventually(section, (body) => Array.isArray(body.transactions) && ready(body), 20_000, what);
  };

  beforeAll(async () => {
    harness = await startApiHarness();
    const connection = await harness.connect(harness.account, { company: { companyName: 'Figures Ltd' } });
    connectionId = connection.id;
    qbo = await harness.qboFor(connection.realmId);
    const put = await harness.request('PUT', '/v1/contacts/crm-figures', {
      body: { updatedAt: new Date().toISOString(), fields: { displayName: 'Ledger & Sons' } },
    });
    expect(put.status).toBe(202);
    const contact = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/crm-figures')).json,
      (body) => body.sync?.state === 'synced',
      10_000,
      'the contact to be created in QBO',
    );
    customerId = contact.quickbooks.customerId;
  });
  afterAll(() => harness?.close());

  it('keeps a voided invoice’s amount from before the void', async () => {
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customerId },
      Line: [salesLine(80)],
    });
    await syncUntil(
      (body) => itemOf(body, 'Invoice', invoice.Id)?.total === 80,
      'the invoice before its void',
    );
    const voided = await qbo.write(
      'Invoice',
      { Id: invoice.Id, SyncToken: invoice.SyncToken },
      { operation: 'void' },
    );
    expect(voided.status).toBe(200);
    const body = await syncUntil(
      (found) => itemOf(found, 'Invoice', invoice.Id)?.status === 'voided',
      'the invoice voided',
    );
    expect(itemOf(body, 'Invoice', invoice.Id)).toMatchObject({ total: 0, balance: 0, originalTotal: 80 });
    expect(body.billingSummary).toMatchObject({ openBalance: 0, lifetimeSales: 0 });
  });

  it('shows an overdue, partly paid invoice beside unapplied credit, refunds and a converted estimate, agreeing with QBO', async () => {
    const ref = { CustomerRef: { value: customerId } };
    const overdue = await qbo.create('Invoice', {
      ...ref,
      TxnDate: addDays(today, -40),
      DueDate: addDays(today, -10),
      Line: [salesLine(100)],
    });
    const payment = await qbo.create('Payment', {
      ...ref,
      TotalAmt: 40,
      Line: [{ Amount: 40, LinkedTxn: [{ TxnId: overdue.Id, TxnType: 'Invoice' }] }],
    });
    const credit = await qbo.create('CreditMemo', { ...ref, Line: [salesLine(130)] });
    const sale = await qbo.create('SalesReceipt', { ...ref, Line: [salesLine(50)] });
    const refund = await qbo.create('RefundReceipt', { ...ref, Line: [salesLine(15)] });
    const estimate = await qbo.create('Estimate', { ...ref, Line: [salesLine(300)] });
    const fromEstimate = await qbo.create('Invoice', {
      ...ref,
      DueDate: addDays(today, 30),
      LinkedTxn: [{ TxnId: estimate.Id, TxnType: 'Estimate' }],
      Line: [salesLine(300)],
    });

    const body = await syncUntil(
      (found) =>
        itemOf(found, 'Estimate', estimate.Id)?.status === 'converted' &&
        itemOf(found, 'Invoice', overdue.Id)?.balance === 60 &&
        found.transactions.length === 8,
      'every transaction synced',
    );
    expect(itemOf(body, 'Invoice', overdue.Id)).toMatchObject({
      status: 'overdue',
      partiallyPaid: true,
      balance: 60,
      linked: [{ type: 'Payment', id: payment.Id }],
    });
    expect(itemOf(body, 'Payment', payment.Id)).toMatchObject({ status: 'applied' });
    expect(itemOf(body, 'CreditMemo', credit.Id)).toMatchObject({ status: 'unapplied', balance: 130 });
    expect(itemOf(body, 'SalesReceipt', sale.Id)).toMatchObject({ status: 'paid' });
    expect(itemOf(body, 'RefundReceipt', refund.Id)).toMatchObject({ status: 'refunded' });
    expect(itemOf(body, 'Estimate', estimate.Id)!.linked).toEqual([{ type: 'Invoice', id: fromEstimate.Id }]);
    expect(itemOf(body, 'Invoice', fromEstimate.Id)).toMatchObject({
      status: 'open',
      partiallyPaid: false,
      linked: [{ type: 'Estimate', id: estimate.Id }],
    });
    expect(body.billingSummary).toMatchObject({
      openBalance: 360,
      overdueBalance: 60,
      creditAvailable: 130,
      netBalance: 230,
      // 100 + 300 + 50 − 130 − 15; the voided invoice counts for nothing.
      lifetimeSales: 305,
      oldestOverdueDays: 10,
      counts: {
        overdue: 1,
        open: 1,
        voided: 1,
        refunded: 1,
        converted: 1,
        unapplied: 1,
        applied: 1,
        paid: 1,
      },
    });
    expect(body.billingSummary.overdueBalance).toBeLessThanOrEqual(body.billingSummary.openBalance);
    // QuickBooks' own balance for the customer is the net one.
    const customer = (await qbo.read('Customer', customerId)).json.Customer;
    expect(customer.Balance).toBe(body.billingSummary.netBalance);

    const overdueOnly = await harness.request(
      'GET',
      '/v1/contacts/crm-figures/quickbooks/transactions?status=overdue',
    );
    expect(overdueOnly.json.data.map((item: Item) => item.qboId)).toEqual([overdue.Id]);
    const refunded = await harness.request(
      'GET',
      '/v1/contacts/crm-figures/quickbooks/transactions?status=refunded',
    );
    expect(refunded.json.data.map((item: Item) => item.qboId)).toEqual([refund.Id]);
    const estimates = await harness.request(
      'GET',
      '/v1/contacts/crm-figures/quickbooks/transactions?type=Estimate',
    );
    expect(estimates.json.data).toEqual([
      expect.objectContaining({ status: 'converted', linked: [{ type: 'Invoice', id: fromEstimate.Id }] }),
    ]);
  });
});
