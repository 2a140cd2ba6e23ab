import { randomUUID } from 'node:crypto';
import { startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

/**
 * The requests two published clients send, byte for byte where it matters (URL, query, headers, body), as their
 * source shows them: python-quickbooks 0.9.12 (`quickbooks/client.py`, `mixins.py`, `objects/*.py`) and
 * node-quickbooks 2.0.49 (`index.js`: `module.request`, `module.query`, `criteriaToString`). Nothing of their code is
 * here, only what goes over the wire.
 */

interface Sent {
  status: number;
  contentType: string;
  bytes: Buffer;
  json: any;
}

/** One request to the realm's API, exactly as given: path and query are not re-encoded. */
async function raw(
  qbo: QboClient,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Sent> {
  const response = await fetch(`${qbo.baseUrl}/v3/company/${qbo.realmId}${pathAndQuery}`, {
    method,
    headers: { Authorization: `Bearer ${qbo.accessToken}`, ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', bytes, json };
}

/** python-quickbooks serialises with `json.dumps(self, sort_keys=True, indent=4)`. */
function pythonJson(value: unknown): string {
  const sorted = (item: unknown): unknown =>
    Array.isArray(item)
      ? item.map(sorted)
      : typeof item === 'object' && item !== null
        ? Object.fromEntries(
            Object.keys(item)
              .sort()
              .map((key) => [key, sorted((item as Record<string, unknown>)[key])]),
          )
        : item;
  return JSON.stringify(sorted(value), null, 4);
}

describe('emulator conformance: python-quickbooks 0.9.12, request by request', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  // make_request: these headers on every call, `minorversion` on every query string.
  const headers = (contentType = 'application/json') => ({
    'Content-Type': contentType,
    Accept: 'application/json',
    'User-Agent': 'python-quickbooks V3 library',
  });
  const query = (select: string) =>
    raw(qbo, 'POST', '/query?minorversion=75', headers('application/text'), select);
  let customer: { Id: string; DisplayName: string };
  let invoiceId: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company({ companyName: 'Python Client Co' });
    customer = await qbo.create('Customer', {
      DisplayName: 'Pedro Dubois',
      PrimaryEmailAddr: { Address: 'pedro@example.com' },
    });
  });
  afterAll(() => emulator.close());

  it('Customer().save() creates a customer from the empty-string defaults its to_json() writes', async () => {
    const body = pythonJson({
      Active: true,
      Balance: 0,
      BalanceWithJobs: 0,
      BillWithParent: false,
      CompanyName: '',
      DisplayName: 'Py Customer',
      FamilyName: '',
      FullyQualifiedName: '',
      GivenName: '',
      IsProject: false,
      Job: false,
      Level: 0,
      MiddleName: '',
      Notes: '',
      OpenBalanceDate: '',
      PreferredDeliveryMethod: '',
      PrimaryTaxIdentifier: '',
      PrintOnCheckName: '',
      ResaleNum: '',
      Suffix: '',
      SyncToken: 0,
      Taxable: true,
      Title: '',
      domain: 'QBO',
      sparse: false,
    });
    const created = await raw(qbo, 'POST', '/customer?minorversion=75', headers(), body);
    expect(created.status).toBe(200);
    expect(created.json.Customer).toMatchObject({
      DisplayName: 'Py Customer',
      PrintOnCheckName: 'Py Customer',
      PreferredDeliveryMethod: 'Print',
    });
  });

  it('Account.where(...) posts the select as application/text', async () => {
    const response = await query(
      "SELECT * FROM Account WHERE AccountType = 'Income' and AccountSubType = 'SalesOfProductIncome' MAXRESULTS 1",
    );
    expect(response.status).toBe(200);
    expect(response.json.QueryResponse.Account[0]).toMatchObject({ Name: 'Sales of Product Income' });
  });

  it('Item().save() creates an inventory item from the body its to_json() writes', async () => {
    const body = pythonJson({
      Active: true,
      AssetAccountRef: { name: 'Inventory Asset', type: 'Account', value: '5' },
      Description: '',
      ExpenseAccountRef: { name: 'Cost of Goods Sold', type: 'Account', value: '3' },
      FullyQualifiedName: '',
      IncomeAccountRef: { name: 'Sales of Product Income', type: 'Account', value: '2' },
      InvStartDate: '2015-01-01',
      Name: 'Test Item 071045',
      QtyOnHand: 10,
      Sku: 'SKU123123',
      SubItem: false,
      SyncToken: 0,
      Taxable: false,
      TrackQtyOnHand: true,
      Type: 'Inventory',
      UnitPrice: 0,
      domain: 'QBO',
      sparse: false,
    });
    const created = await raw(qbo, 'POST', '/item?minorversion=75', headers(), body);
    expect(created.status).toBe(200);
    expect(created.json.Item).toMatchObject({ Name: 'Test Item 071045', Type: 'Inventory', QtyOnHand: 10 });
    // Item.get(id): a GET with the JSON content type and no body.
    const read = await raw(qbo, 'GET', `/item/${created.json.Item.Id}?minorversion=75`, headers());
    expect(read.json.Item).toMatchObject({
      Sku: 'SKU123123',
      TrackQtyOnHand: true,
      AssetAccountRef: { value: '5' },
    });
  });

  it('Item.all() asks for Sku explicitly and gets it', async () => {
    const response = await query('SELECT *, Sku FROM Item MAXRESULTS 100');
    const item = response.json.QueryResponse.Item.find((row: any) => row.Name === 'Test Item 071045');
    expect(item.Sku).toBe('SKU123123');
  });

  it('Invoice().save() creates an invoice from the defaults its to_json() writes', async () => {
    const body = pythonJson({
      AllowIPNPayment: true,
      AllowOnlineACHPayment: false,
      AllowOnlineCreditCardPayment: true,
      ApplyTaxAfterDiscount: false,
      Balance: 0,
      BillEmail: { Address: 'test@email.com' },
      CustomField: [],
      CustomerMemo: { value: 'Customer Memo' },
      CustomerRef: { name: customer.DisplayName, type: 'Customer', value: customer.Id },
      Deposit: 0,
      DueDate: '',
      EmailStatus: 'NotSet',
      ExchangeRate: 1,
      FreeFormAddress: false,
      GlobalTaxCalculation: 'TaxExcluded',
      HomeBalance: 0,
      HomeTotalAmt: 0,
      InvoiceLink: '',
      Line: [
        {
          Amount: 100,
          CustomField: [],
          Description: 'description',
          DetailType: 'SalesItemLineDetail',
          LineNum: 1,
          LinkedTxn: [],
          SalesItemLineDetail: {
            ItemRef: { name: 'Services', type: 'Item', value: '1' },
            Qty: 0,
            ServiceDate: '',
            TaxInclusiveAmt: 0,
            UnitPrice: 0,
          },
        },
      ],
      LinkedTxn: [],
      PrintStatus: 'NotSet',
      PrivateNote: '',
      ShipDate: '',
      SyncToken: 0,
      TotalAmt: '',
      TrackingNum: '',
      TxnDate: '',
      domain: 'QBO',
      sparse: false,
    });
    const created = await raw(
      qbo,
      'POST',
      `/invoice?minorversion=75&requestid=${randomUUID()}`,
      headers(),
      body,
    );
    expect(created.status).toBe(200);
    expect(created.json.Invoice).toMatchObject({
      TotalAmt: 100,
      Balance: 100,
      CustomerMemo: { value: 'Customer Memo' },
      TxnDate: '2026-03-02',
      Line: [{ Amount: 100, Description: 'description' }, { DetailType: 'SubTotalLineDetail' }],
    });
    invoiceId = created.json.Invoice.Id;
  });

  it("Invoice.get(id, params={'include': 'invoiceLink'}) returns the link", async () => {
    const read = await raw(
      qbo,
      'GET',
      `/invoice/${invoiceId}?include=invoiceLink&minorversion=75`,
      headers(),
    );
    expect(read.json.Invoice.InvoiceLink).toMatch(/^https/);
  });

  it('invoice.send(qb, send_to=…) posts an empty octet-stream to …/send with the address quoted', async () => {
    const sent = await raw(
      qbo,
      'POST',
      `/invoice/${invoiceId}/send?sendTo=someone%2Bx%40example.com&minorversion=75`,
      headers('application/octet-stream'),
    );
    expect(sent.status).toBe(200);
    expect(sent.json.Invoice).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'someone+x@example.com' },
    });
  });

  it('invoice.download_pdf(qb) asks for a PDF or JSON, without minorversion', async () => {
    const pdf = await raw(qbo, 'GET', `/invoice/${invoiceId}/pdf`, {
      'Content-Type': 'application/pdf',
      Accept: 'application/pdf, application/json',
      'User-Agent': 'python-quickbooks V3 library',
    });
    expect(pdf.status).toBe(200);
    expect(pdf.contentType).toMatch(/^application\/pdf/);
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('Invoice.where(…, start_position=0) and Invoice.count() query as the mixins write them', async () => {
    const page = await query(
      `SELECT * FROM Invoice WHERE CustomerRef = '${customer.Id}' STARTPOSITION 0 MAXRESULTS 5`,
    );
    expect(page.status).toBe(200);
    expect(page.json.QueryResponse.Invoice.map((row: any) => row.Id)).toEqual([invoiceId]);
    const counted = await query('SELECT COUNT(*) FROM Invoice ');
    expect(counted.json.QueryResponse.totalCount).toBe(1);
  });

  it('a full update echoes the read object back, read-only fields and all', async () => {
    const read = (await raw(qbo, 'GET', `/invoice/${invoiceId}?minorversion=75`, headers())).json.Invoice;
    const updated = await raw(
      qbo,
      'POST',
      '/invoice?minorversion=75',
      headers(),
      pythonJson({ ...read, PrivateNote: 'updated', sparse: false }),
    );
    expect(updated.status).toBe(200);
    expect(updated.json.Invoice).toMatchObject({
      PrivateNote: 'updated',
      TotalAmt: 100,
      EmailStatus: 'EmailSent',
    });
  });
});

describe('emulator conformance: node-quickbooks 2.0.49, request by request', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  // module.request: `minorversion` and `format=json` on every call, its own User-Agent and a Request-Id; axios adds
  // its default Accept and, for object bodies, the JSON content type.
  const headers = (json: boolean) => ({
    Accept: 'application/json, text/plain, */*',
    'User-Agent': 'node-quickbooks: version 2.0.49',
    'Request-Id': randomUUID(),
    ...(json ? { 'Content-Type': 'application/json' } : {}),
  });
  const params = 'minorversion=75&format=json';
  let itemId: string;
  let invoice: { Id: string; SyncToken: string };

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company({ companyName: 'Node Client Co' });
    await qbo.create('Customer', {
      DisplayName: 'Node Buyer',
      PrimaryEmailAddr: { Address: 'buyer@example.com' },
    });
  });
  afterAll(() => emulator.close());

  it('createItem and getItem', async () => {
    const body = JSON.stringify({
      Name: 'NQB Widget',
      Type: 'Service',
      UnitPrice: 12,
      IncomeAccountRef: { value: '1' },
    });
    const created = await raw(qbo, 'POST', `/item?${params}`, headers(true), body);
    expect(created.json.Item).toMatchObject({
      Name: 'NQB Widget',
      IncomeAccountRef: { value: '1', name: 'Services' },
    });
    itemId = created.json.Item.Id;
    const read = await raw(qbo, 'GET', `/item/${itemId}?${params}`, headers(false));
    expect(read.json.Item.Name).toBe('NQB Widget');
  });

  it('findItems({ Type: "Service" }): the criteria percent-encoded into the query string', async () => {
    const statement = 'select * from item where Type %3D %27Service%27 startposition 1 maxresults 1000';
    const found = await raw(
      qbo,
      'GET',
      `/query?query=${statement.replaceAll(' ', '%20')}&${params}`,
      headers(false),
    );
    expect(found.status).toBe(200);
    expect(found.json.QueryResponse.Item.map((item: any) => item.Name)).toContain('NQB Widget');
  });

  it('createInvoice, getInvoice and findInvoices', async () => {
    const body = JSON.stringify({
      CustomerRef: { value: '1' },
      Line: [
        {
          Amount: 24,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 2, UnitPrice: 12 },
        },
      ],
    });
    const created = await raw(qbo, 'POST', `/invoice?${params}`, headers(true), body);
    expect(created.json.Invoice).toMatchObject({
      TotalAmt: 24,
      CustomerRef: { value: '1', name: 'Node Buyer' },
    });
    invoice = created.json.Invoice;
    const read = await raw(qbo, 'GET', `/invoice/${invoice.Id}?${params}`, headers(false));
    expect(read.json.Invoice.Id).toBe(invoice.Id);
    const statement = 'select * from invoice where CustomerRef %3D %271%27 startposition 1 maxresults 1000';
    const found = await raw(
      qbo,
      'GET',
      `/query?query=${statement.replaceAll(' ', '%20')}&${params}`,
      headers(false),
    );
    expect(found.json.QueryResponse.Invoice).toHaveLength(1);
  });

  it('sendInvoicePdf(id, sendTo): an unencoded sendTo, no body', async () => {
    const sent = await raw(
      qbo,
      'POST',
      `/invoice/${invoice.Id}/send?sendTo=nqb@example.com&${params}`,
      headers(false),
    );
    expect(sent.json.Invoice).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'nqb@example.com' },
    });
    invoice = sent.json.Invoice;
  });

  it('getInvoicePdf and getEstimatePdf answer a PDF although format=json is on the query string', async () => {
    const pdf = await raw(qbo, 'GET', `/invoice/${invoice.Id}/pdf?${params}`, {
      ...headers(false),
      Accept: 'application/pdf',
    });
    expect(pdf.contentType).toMatch(/^application\/pdf/);
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const estimate = await raw(
      qbo,
      'POST',
      `/estimate?${params}`,
      headers(true),
      JSON.stringify({
        CustomerRef: { value: '1' },
        Line: [
          { Amount: 5, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '2' } } },
        ],
      }),
    );
    const estimatePdf = await raw(qbo, 'GET', `/estimate/${estimate.json.Estimate.Id}/pdf?${params}`, {
      ...headers(false),
      Accept: 'application/pdf',
    });
    expect(estimatePdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const estimateSent = await raw(
      qbo,
      'POST',
      `/estimate/${estimate.json.Estimate.Id}/send?${params}`,
      headers(false),
    );
    expect(estimateSent.json.Estimate.EmailStatus).toBe('EmailSent');
  });

  it('updateInvoice: operation=update with sparse added', async () => {
    const body = JSON.stringify({
      Id: invoice.Id,
      SyncToken: invoice.SyncToken,
      PrivateNote: 'nqb',
      sparse: true,
    });
    const updated = await raw(qbo, 'POST', `/invoice?operation=update&${params}`, headers(true), body);
    expect(updated.json.Invoice).toMatchObject({
      PrivateNote: 'nqb',
      TotalAmt: 24,
      EmailStatus: 'EmailSent',
    });
  });
});
