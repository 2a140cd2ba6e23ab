import { documentWorkflowId } from '../../src/temporal/document-workflows';
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

  it('charges US sales tax at the code named, on the taxable lines only, and refuses VAT-style codes', async () => {
    await putContact('crm-cy', 'Cy Twombly', 'cy@example.com');
    const made = await post('invoices', {
      dealId: 'deal-us-tax',
      customer: { crmContactId: 'crm-cy' },
      lines: [
        { product: { name: 'Hours' }, quantity: 10, unitPrice: 100, taxable: true },
        { product: { name: 'Design' }, unitPrice: 50, taxable: false },
      ],
      tax: { code: { name: 'San Francisco' } },
    });
    expect(made.status).toBe(201);
    // San Francisco: California 7.25% and the county's 1.375%, on the taxable 1,000 only.
    expect(made.json).toMatchObject({ subtotal: 1050, tax: 86.25, transaction: { total: 1136.25 } });
    const invoice = (await qbo.read('Invoice', made.json.qboId)).json.Invoice;
    expect(invoice.Line[0].SalesItemLineDetail.TaxCodeRef).toEqual({ value: 'TAX' });
    expect(invoice.Line[1].SalesItemLineDetail.TaxCodeRef).toEqual({ value: 'NON' });

    const refused = await post('invoices', {
      dealId: 'deal-us-vat',
      customer: { crmContactId: 'crm-cy' },
      lines: [
        { product: { name: 'Hours' }, unitPrice: 100 },
        { product: { name: 'Hours' }, unitPrice: 100, taxCode: { name: 'California' } },
      ],
      tax: { code: { name: 'Atlantis' } },
    });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'invalid_tax_code', field: 'body.tax.code' });
    expect(refused.json.errors.map((error: any) => error.field)).toEqual([
      'body.tax.code',
      'body.lines.1.taxCode',
    ]);
    expect(refused.json.detail).toContain('line 2');
    expect(await invoicesOf(made.json.qboCustomerId)).toHaveLength(1);
  });

  it('refuses what QuickBooks would refuse before writing: another currency, a bad amount, an unknown payment method', async () => {
    await putContact('crm-cy', 'Cy Twombly', 'cy@example.com');
    const refused = await post('sales-receipts', {
      dealId: 'deal-bad',
      customer: { crmContactId: 'crm-cy' },
      currency: 'EUR',
      lines: [{ product: { name: 'Hours' }, quantity: 2, unitPrice: 100, amount: 250 }],
      paymentMethod: { name: 'Barter' },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([
      { field: 'body.currency', message: expect.stringContaining('pays in USD') },
      { field: 'body.lines.0.amount', message: expect.stringContaining('line 1: 250.00 is not quantity 2') },
      { field: 'body.paymentMethod', message: expect.stringContaining('no active payment method "Barter"') },
    ]);
    const listed = await harness.request('GET', `/v1/connections/${connection.id}/deals/deal-bad/documents`);
    expect(listed.json.data).toMatchObject([{ kind: 'sales_receipt', state: 'rejected', qboId: null }]);

    // Corrected, the same deal is written.
    const fixed = await post('sales-receipts', {
      dealId: 'deal-bad',
      customer: { crmContactId: 'crm-cy' },
      lines: [{ product: { name: 'Hours' }, quantity: 2, unitPrice: 100, amount: 200 }],
      paymentMethod: { name: 'Cash' },
    });
    expect(fixed.status).toBe(201);
    expect(fixed.json).toMatchObject({
      kind: 'sales_receipt',
      state: 'written',
      transaction: { type: 'SalesReceipt' },
    });
  });

  it('writes the document once when QuickBooks commits it and the answer is lost', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Lost Answer Ltd' });
    await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, {
      dropResponsesAfterCommit: 1,
    });
    const made = await post('estimates', {
      dealId: 'deal-lost',
      customer: { qboCustomerId: customer.Id },
      lines: [{ product: { name: 'Consulting' }, quantity: 4 }],
    });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ kind: 'estimate', state: 'written', subtotal: 600 });
    const posts = (
      await harness.emulator.admin('GET', `/companies/${connection.realmId}/requests?limit=2000`)
    ).json.requests.filter((request: any) => request.method === 'POST' && request.path.endsWith('/estimate'));
    // The first answer was lost (the emulator logs only answered requests): the write's second attempt sent the
    // same requestid and got QuickBooks' first answer back.
    expect(posts).toMatchObject([{ status: 200 }]);
    const history = await harness.temporal.workflow
      .getHandle(documentWorkflowId(`${connection.id}:estimate:deal-lost`, '0'))
      .fetchHistory();
    const attempts = history.events!.flatMap(
      (event) => event.activityTaskStartedEventAttributes?.attempt ?? [],
    );
    expect(attempts).toEqual([2]);
    const estimates = (await qbo.query(`select * from Estimate where CustomerRef = '${customer.Id}'`)).json
      .QueryResponse.Estimate;
    expect(estimates.map((estimate: any) => estimate.Id)).toEqual([made.json.qboId]);
  });

  it('emails an invoice and an estimate through QuickBooks, and passes on the invoice’s PDF', async () => {
    await putContact('crm-dee', 'Dee Dee', 'dee@example.com');
    const invoice = (
      await post('invoices', {
        dealId: 'deal-send',
        customer: { crmContactId: 'crm-dee' },
        lines: [{ product: { name: 'Hours' }, unitPrice: 10 }],
      })
    ).json;
    const sent = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/invoices/${invoice.qboId}/send`,
      { body: { to: 'accounts@example.com' } },
    );
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({
      emailStatus: 'EmailSent',
      deliveryInfo: { type: 'Email', time: expect.any(String) },
      sentTo: 'accounts@example.com',
      transaction: { qboId: invoice.qboId, type: 'Invoice' },
    });
    expect((await qbo.read('Invoice', invoice.qboId)).json.Invoice).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'accounts@example.com' },
    });

    const estimate = (
      await post('estimates', {
        dealId: 'deal-send',
        customer: { crmContactId: 'crm-dee' },
        lines: [{ product: { name: 'Hours' }, unitPrice: 10 }],
      })
    ).json;
    // Without `to`, to the customer's own address.
    const sentEstimate = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/estimates/${estimate.qboId}/send`,
      { body: {} },
    );
    expect(sentEstimate.json).toMatchObject({ emailStatus: 'EmailSent', sentTo: 'dee@example.com' });

    const pdf = await fetch(`${harness.url}/v1/connections/${connection.id}/invoices/${invoice.qboId}/pdf`, {
      headers: { authorization: `Bearer ${harness.account.key}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(500);

    const missing = await harness.request('GET', `/v1/connections/${connection.id}/invoices/999999/pdf`);
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toBe('QuickBooks has no invoice 999999');
  });

  it('turns a deal into an estimate, then part of it into an invoice that is sent, part-paid and in the folder', async () => {
    await putContact('crm-eve', 'Eve Estimate', 'eve@example.com');
    const estimate = await post('estimates', {
      dealId: 'deal-e2e',
      customer: { crmContactId: 'crm-eve' },
      lines: [
        { product: { name: 'Consulting' }, quantity: 10, unitPrice: 150 },
        { product: { name: 'Design' }, quantity: 4, unitPrice: 75, taxable: false },
        { product: { sku: 'BRO-100' }, quantity: 8 },
      ],
      status: 'accepted',
      acceptedBy: 'Eve',
    });
    expect(estimate.status).toBe(201);
    expect(estimate.json.transaction).toMatchObject({ type: 'Estimate', status: 'accepted' });
    const estimateId: string = estimate.json.qboId;

    const tooMuch = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/estimates/${estimateId}/invoice`,
      {
        body: { dealId: 'deal-e2e', lines: [{ line: 1, quantity: 11 }] },
      },
    );
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json).toMatchObject({ code: 'invalid_amount', field: 'body.lines.0.quantity' });

    // Half the consulting and all the design now; the brochures later.
    const converted = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/estimates/${estimateId}/invoice`,
      {
        body: {
          dealId: 'deal-e2e',
          lines: [{ line: 1, quantity: 5 }, { line: 2 }],
          dueDate: '2027-01-31',
          allowOnlinePayment: { card: true, ach: true },
        },
      },
    );
    expect(converted.status).toBe(201);
    expect(converted.json).toMatchObject({ kind: 'invoice', dealId: 'deal-e2e', subtotal: 1050 });
    const invoiceId: string = converted.json.qboId;
    const invoice = (await qbo.read('Invoice', invoiceId)).json.Invoice;
    expect(invoice.LinkedTxn).toEqual([{ TxnId: estimateId, TxnType: 'Estimate' }]);
    expect(invoice.Line.filter((line: any) => line.DetailType === 'SalesItemLineDetail')).toMatchObject([
      { Amount: 750, SalesItemLineDetail: { Qty: 5, UnitPrice: 150 } },
      { Amount: 300, SalesItemLineDetail: { Qty: 4, UnitPrice: 75, TaxCodeRef: { value: 'NON' } } },
    ]);
    const closed = (await qbo.read('Estimate', estimateId)).json.Estimate;
    expect(closed).toMatchObject({
      TxnStatus: 'Closed',
      LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }],
    });
    // Converted once: the estimate cannot become a second invoice for another deal.
    const again = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/estimates/${estimateId}/invoice`,
      {
        body: { dealId: 'deal-e2e-again' },
      },
    );
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'estimate_not_convertible' });

    const sent = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/invoices/${invoiceId}/send`,
      {
        body: {},
      },
    );
    expect(sent.json).toMatchObject({ emailStatus: 'EmailSent', sentTo: 'eve@example.com' });

    // The customer pays 400 in QuickBooks.
    const total: number = converted.json.transaction.total;
    await qbo.create('Payment', {
      CustomerRef: { value: converted.json.qboCustomerId },
      TotalAmt: 400,
      Line: [{ Amount: 400, LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] }],
    });
    const folder = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/crm-eve/quickbooks/transactions')).json.data,
      (items: any[]) => items.some((item) => item.qboId === invoiceId && item.status === 'partially_paid'),
      20_000,
      'the part payment in the folder',
    );
    expect(folder.find((item: any) => item.type === 'Invoice')).toMatchObject({
      qboId: invoiceId,
      status: 'partially_paid',
      total,
      balance: Math.round((total - 400) * 100) / 100,
      paymentLink: converted.json.transaction.paymentLink,
      linked: expect.arrayContaining([{ type: 'Estimate', id: estimateId }]),
    });
    expect(converted.json.transaction.paymentLink).toMatch(/^https:\/\//);
    const estimateItem = await eventually(
      async () =>
        (await harness.request('GET', '/v1/contacts/crm-eve/quickbooks/transactions')).json.data.find(
          (item: any) => item.type === 'Estimate',
        ),
      (item: any) => item?.status === 'converted',
      20_000,
      'the estimate converted in the folder',
    );
    expect(estimateItem.linked).toEqual([{ type: 'Invoice', id: invoiceId }]);
    const pdf = await fetch(`${harness.url}/v1/connections/${connection.id}/invoices/${invoiceId}/pdf`, {
      headers: { authorization: `Bearer ${harness.account.key}` },
    });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  });

  it('voids an invoice the CRM made, once however often asked, and the document and folder say so', async () => {
    await putContact('crm-val', 'Val Void', 'val@example.com');
    const made = await post('invoices', {
      dealId: 'deal-void',
      customer: { crmContactId: 'crm-val' },
      lines: [{ product: { name: 'Hours' }, quantity: 2, unitPrice: 60 }],
    });
    const path = `/v1/connections/${connection.id}/invoices/${made.json.qboId}/void`;
    const [first, second] = await Promise.all([harness.request('POST', path), harness.request('POST', path)]);
    for (const answer of [first, second]) {
      expect(answer.status).toBe(200);
      expect(answer.json.transaction).toMatchObject({ qboId: made.json.qboId, status: 'voided', total: 0 });
    }
    const invoice = (await qbo.read('Invoice', made.json.qboId)).json.Invoice;
    expect(invoice).toMatchObject({ TotalAmt: 0, PrivateNote: expect.stringMatching(/^Voided/) });
    const listed = await harness.request('GET', `/v1/connections/${connection.id}/deals/deal-void/documents`);
    expect(listed.json.data[0].transaction).toMatchObject({ status: 'voided' });

    const estimateVoid = await harness.request('POST', `/v1/connections/${connection.id}/estimates/1/void`);
    expect(estimateVoid.status).toBe(404);
  });

  it('changes an invoice made from the CRM: checked again, written as a sparse update, the same change once', async () => {
    await putContact('crm-pam', 'Pam Patch', 'pam@example.com');
    const made = await post('invoices', {
      dealId: 'deal-patch',
      customer: { crmContactId: 'crm-pam' },
      lines: [{ product: { name: 'Hours' }, quantity: 2, unitPrice: 60, taxable: false }],
      memo: 'First',
    });
    const path = `/v1/connections/${connection.id}/invoices/${made.json.qboId}`;
    const change = {
      lines: [
        { product: { name: 'Hours' }, quantity: 3, unitPrice: 60, taxable: false },
        { product: { name: 'Design' }, unitPrice: 75, taxable: false },
      ],
      dueDate: '2027-02-28',
    };
    const [first, second] = await Promise.all([
      harness.request('PATCH', path, { body: change }),
      harness.request('PATCH', path, { body: change }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json).toMatchObject({ qboId: made.json.qboId, subtotal: 255, transaction: { total: 255 } });
    const invoice = (await qbo.read('Invoice', made.json.qboId)).json.Invoice;
    expect(invoice).toMatchObject({ DueDate: '2027-02-28', CustomerMemo: { value: 'First' }, TotalAmt: 255 });
    expect(invoice.Line.filter((line: any) => line.DetailType === 'SalesItemLineDetail')).toHaveLength(2);

    const refused = await harness.request('PATCH', path, {
      body: { lines: [{ product: { name: 'Hours' }, unitPrice: 60, taxCode: { name: 'California' } }] },
    });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'invalid_tax_code', field: 'body.lines.0.taxCode' });
    expect((await qbo.read('Invoice', made.json.qboId)).json.Invoice.TotalAmt).toBe(255);

    const customer = await qbo.create('Customer', { DisplayName: 'Made In QuickBooks' });
    const theirs = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [
        { DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: { ItemRef: { value: '2' } } },
      ],
    });
    const foreign = await harness.request('PATCH', `/v1/connections/${connection.id}/invoices/${theirs.Id}`, {
      body: { memo: 'x' },
    });
    expect(foreign.status).toBe(404);
  });

  describe('a product QuickBooks lacks, under each missing-product policy', () => {
    const settings = (body: unknown) =>
      harness.request('PATCH', `/v1/connections/${connection.id}`, { body });
    const sell = (dealId: string, sku: string) =>
      post('invoices', {
        dealId,
        customer: { crmContactId: 'crm-cy' },
        lines: [{ product: { sku }, quantity: 2, unitPrice: 42 }],
      });
    beforeAll(() => putContact('crm-cy', 'Cy Twombly', 'cy@example.com'));
    afterAll(() => settings({ missingProductPolicy: 'reject', defaultItemId: null }));

    it('reject: a 422 naming the line', async () => {
      const refused = await sell('deal-missing', 'NOPE-1');
      expect(refused.status).toBe(422);
      expect(refused.json).toMatchObject({ code: 'product_not_found', field: 'body.lines.0.product' });
      expect(refused.json.detail).toContain('line 1: QuickBooks has no SKU "NOPE-1"');
    });

    it('default_item: sold as the default item, the line saying what it stands for', async () => {
      const products = (
        await harness.request(
          'GET',
          `/v1/products?changedSince=1970-01-01T00:00:00Z&connectionId=${connection.id}`,
        )
      ).json.data;
      const services = products.find((product: any) => product.name === 'Services');
      const unknownItem = await settings({ missingProductPolicy: 'default_item', defaultItemId: '9999' });
      expect(unknownItem.status).toBe(422);
      expect(unknownItem.json).toMatchObject({ code: 'product_not_found', field: 'body.defaultItemId' });
      expect(
        (await settings({ missingProductPolicy: 'default_item', defaultItemId: services.qboItemId })).status,
      ).toBe(200);
      // The rejected deal, sent again, is written now.
      const made = await sell('deal-missing', 'NOPE-1');
      expect(made.status).toBe(201);
      const line = (await qbo.read('Invoice', made.json.qboId)).json.Invoice.Line[0];
      expect(line).toMatchObject({
        Amount: 84,
        Description: 'NOPE-1',
        SalesItemLineDetail: { ItemRef: { value: services.qboItemId }, Qty: 2, UnitPrice: 42 },
      });
    });

    it('create_item: created in QuickBooks as a service, once', async () => {
      expect((await settings({ missingProductPolicy: 'create_item' })).status).toBe(200);
      const first = await sell('deal-new-1', 'NEW-9');
      const second = await sell('deal-new-2', 'NEW-9');
      expect([first.status, second.status]).toEqual([201, 201]);
      const items = (await qbo.query(`select * from Item where Name = 'NEW-9'`)).json.QueryResponse.Item;
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ Type: 'Service', UnitPrice: 42 });
      for (const made of [first, second]) {
        const line = (await qbo.read('Invoice', made.json.qboId)).json.Invoice.Line[0];
        expect(line.SalesItemLineDetail.ItemRef.value).toBe(items[0].Id);
      }
    });
  });
});

describe('documents from the CRM in VAT and GST companies', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness();
  }, 60_000);
  afterAll(() => harness?.close());

  /** A connected company of the country, with one CRM contact. */
  async function sellerIn(country: string) {
    const account = await harness.newAccount(`Seller in ${country}`);
    const connection = await harness.connect(account, {
      company: { companyName: `Seller ${country}`, country },
    });
    await eventually(
      async () =>
        (await harness.request('GET', `/v1/connections/${connection.id}`, { key: account.key })).json,
      (body) => body.backfill?.status === 'done',
      30_000,
      'the backfill',
    );
    const stored = await harness.request('PUT', '/v1/contacts/buyer', {
      key: account.key,
      body: { updatedAt: new Date().toISOString(), fields: { displayName: `Buyer in ${country}` } },
    });
    expect(stored.status).toBe(202);
    const invoice = (dealId: string, lines: unknown[], extra: Record<string, unknown> = {}) =>
      harness.request('POST', `/v1/connections/${connection.id}/invoices`, {
        key: account.key,
        body: { dealId, customer: { crmContactId: 'buyer' }, lines, ...extra },
      });
    return { connection, invoice, qbo: await harness.qboFor(connection.realmId) };
  }

  it('UK: VAT per line, accepted with the totals QuickBooks computes; a wrong code is refused first', async () => {
    const uk = await sellerIn('GB');
    const made = await uk.invoice('deal-uk', [
      { product: { name: 'Hours' }, quantity: 2, unitPrice: 100, taxCode: { name: '20.0% S' } },
      { product: { name: 'Design' }, unitPrice: 50, taxCode: { name: '5.0% R' } },
    ]);
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({
      subtotal: 250,
      tax: 42.5,
      transaction: { total: 292.5, currency: { code: 'GBP' } },
    });
    const invoice = (await uk.qbo.read('Invoice', made.json.qboId)).json.Invoice;
    expect(invoice.GlobalTaxCalculation).toBe('TaxExcluded');
    expect(invoice.TxnTaxDetail.TotalTax).toBe(42.5);

    const requestsBefore = (
      await harness.emulator.admin('GET', `/companies/${uk.connection.realmId}/requests?limit=2000`)
    ).json.requests.length;
    const refused = await uk.invoice('deal-uk-wrong', [
      { product: { name: 'Hours' }, unitPrice: 100, taxCode: { name: '20.0% S' } },
      { product: { name: 'Hours' }, unitPrice: 100, taxCode: { name: '20.0% ECG' } },
      { product: { name: 'Hours' }, unitPrice: 100, taxCode: { id: 'TAX' } },
      { product: { name: 'Hours' }, unitPrice: 100 },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([
      {
        field: 'body.lines.1.taxCode',
        message: expect.stringContaining('line 2: tax code 20.0% ECG applies to purchases only'),
      },
      {
        field: 'body.lines.2.taxCode',
        message: expect.stringContaining('line 3: TAX is how US lines are marked taxable'),
      },
      { field: 'body.lines.3.taxCode', message: expect.stringContaining('line 4: needs a VAT code') },
    ]);
    // Refused from the company's lists as read for the first invoice: nothing was asked of QuickBooks but the customer.
    const after = (
      await harness.emulator.admin('GET', `/companies/${uk.connection.realmId}/requests?limit=2000`)
    ).json.requests.slice(requestsBefore);
    expect(after.filter((request: any) => request.method === 'POST')).toEqual([]);
  });

  it('Canada: GST/HST and provincial tax per line, accepted with QuickBooks totals', async () => {
    const ca = await sellerIn('CA');
    const made = await ca.invoice('deal-ca', [
      { product: { name: 'Hours' }, unitPrice: 100, taxCode: { name: 'GST/PST BC' } },
      { product: { name: 'Design' }, unitPrice: 200, taxCode: { name: 'HST ON' } },
    ]);
    expect(made.status).toBe(201);
    // 5% GST and 7% PST on 100, 13% HST on 200.
    expect(made.json).toMatchObject({
      subtotal: 300,
      tax: 38,
      transaction: { total: 338, currency: { code: 'CAD' } },
    });
  });
});
