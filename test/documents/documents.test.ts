import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * Documents from the CRM, through the public API against the emulator over HTTP, with a real worker and Temporal:
 * a deal becomes an invoice (its contact written to QuickBooks first), once however often it is asked for.
 */
describe('documents from the CRM', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account, { company: { companyName: 'Selling Co' } });
    qbo = await harness.qboFor(connection.realmId);
    await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json,
      (body) => body.backfill?.status === 'done',
      30_000,
      'the backfill',
    );
  }, 60_000);
  afterAll(() => harness?.close());

  const putContact = async (crmContactId: string, displayName: string, email: string) => {
    const stored = await harness.request('PUT', `/v1/contacts/${crmContactId}`, {
      body: { updatedAt: new Date().toISOString(), fields: { displayName, email } },
    });
    expect(stored.status).toBe(202);
  };
  const post = (kind: string, body: unknown) =>
    harness.request('POST', `/v1/connections/${connection.id}/${kind}`, { body });
  const invoicesOf = async (customerId: string) =>
    (await qbo.query(`select * from Invoice where CustomerRef = '${customerId}'`)).json.QueryResponse
      .Invoice ?? [];

  it('makes an invoice for a deal, writing its contact to QuickBooks first, and returns it as QuickBooks has it', async () => {
    await putContact('crm-ada', 'Ada Lovelace', 'ada@example.com');
    const made = await post('invoices', {
      dealId: 'deal-1',
      customer: { crmContactId: 'crm-ada' },
      lines: [
        { product: { sku: 'RF-275' }, quantity: 2, unitPrice: 275 },
        { product: { name: 'hours' }, quantity: 3, unitPrice: 50, description: 'Installation' },
      ],
      memo: 'Thank you',
      allowOnlinePayment: { card: true },
    });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({
      connectionId: connection.id,
      kind: 'invoice',
      dealId: 'deal-1',
      state: 'written',
      problems: [],
      qboId: expect.any(String),
      subtotal: 700,
      transaction: {
        type: 'Invoice',
        total: made.json.transaction.total,
        balance: made.json.transaction.total,
        status: 'open',
        qboLink: expect.stringContaining(`invoice?txnId=${made.json.qboId}`),
        paymentLink: expect.stringMatching(/^https?:\/\//),
      },
    });
    expect(made.json.transaction.number).toEqual(expect.any(String));

    const invoice = (await qbo.read('Invoice', made.json.qboId)).json.Invoice;
    expect(invoice.CustomerRef.value).toBe(made.json.qboCustomerId);
    expect(invoice.CustomerMemo).toEqual({ value: 'Thank you' });
    expect(invoice.Line.filter((line: any) => line.DetailType === 'SalesItemLineDetail')).toMatchObject([
      { Amount: 550, SalesItemLineDetail: { Qty: 2, UnitPrice: 275 } },
      { Amount: 150, Description: 'Installation', SalesItemLineDetail: { Qty: 3, UnitPrice: 50 } },
    ]);
    const customer = (await qbo.read('Customer', made.json.qboCustomerId)).json.Customer;
    expect(customer).toMatchObject({
      DisplayName: 'Ada Lovelace',
      PrimaryEmailAddr: { Address: 'ada@example.com' },
    });
    // The contact is linked to that customer, and the invoice is in its transactions folder.
    const contact = await harness.request('GET', `/v1/contacts/crm-ada`);
    expect(contact.json.quickbooks.customerId).toBe(made.json.qboCustomerId);
    const folder = await harness.request('GET', `/v1/contacts/crm-ada/quickbooks/transactions`);
    expect(folder.json.data.map((item: any) => item.qboId)).toContain(made.json.qboId);
  });

  it('makes one invoice for a deal asked for five times at once, and answers each with it', async () => {
    await putContact('crm-bob', 'Bob Builder', 'bob@example.com');
    const request = {
      dealId: 'deal-retried',
      customer: { crmContactId: 'crm-bob' },
      lines: [{ product: { name: 'Design' }, quantity: 1, unitPrice: 80 }],
    };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('invoices', request)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(answers.map((answer) => answer.json.qboId));
    expect(ids.size).toBe(1);
    const again = await post('invoices', request);
    expect(again.status).toBe(200);
    expect(again.json.qboId).toBe(answers[0]!.json.qboId);
    expect(await invoicesOf(answers[0]!.json.qboCustomerId)).toHaveLength(1);

    const changed = await post('invoices', {
      ...request,
      lines: [{ product: { name: 'Design' }, unitPrice: 90 }],
    });
    expect(changed.status).toBe(409);
    expect(changed.json).toMatchObject({ code: 'document_exists', field: 'body.dealId' });
    const listed = await harness.request(
      'GET',
      `/v1/connections/${connection.id}/deals/deal-retried/documents`,
    );
    expect(listed.json.data).toMatchObject([{ kind: 'invoice', state: 'written', qboId: again.json.qboId }]);
  });
});
