import { QboApiError, requestIdFor, selectEverything } from '../../src/qbo';
import { startTestEmulator, type TestEmulator } from '../support/emulator';
import { lastRequests, newRealm, type TestRealm } from '../qbo/support';

/** What selling from the CRM asks of QboClient: items, tax tables, the invoice link, /send and /pdf. */
describe('QboClient for sales forms against the emulator', () => {
  let emulator: TestEmulator;
  let realm: TestRealm;
  let customerId: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    realm = await newRealm(emulator, { companyName: 'Selling Co' });
    const customer = await realm.client.create(
      'Customer',
      { DisplayName: 'Ada Buyer', PrimaryEmailAddr: { Address: 'ada@example.com' } },
      requestIdFor('test', 'customer'),
    );
    customerId = customer.Id;
  });
  afterAll(() => emulator.close());

  it('names the fields `select *` leaves out, so an item query keeps its Sku', async () => {
    expect(selectEverything('Item')).toBe('select *, Sku from Item');
    expect(selectEverything('Customer')).toBe('select * from Customer');
    const items = [];
    for await (const page of realm.client.queryAll('Item')) items.push(...page.rows);
    expect(items.find((item) => item.Name === 'Rock Fountain')).toMatchObject({
      Sku: 'RF-275',
      Type: 'Inventory',
    });
  });

  it('creates an item and reads the tax tables', async () => {
    const item = await realm.client.create(
      'Item',
      {
        Name: 'Garden Design',
        Type: 'Service',
        Sku: 'GD-1',
        UnitPrice: 120,
        IncomeAccountRef: { value: '1' },
      },
      requestIdFor('test', 'item'),
    );
    expect(item).toMatchObject({ Name: 'Garden Design', Sku: 'GD-1', UnitPrice: 120 });
    const codes = await realm.client.query('select * from TaxCode', { entity: 'TaxCode' });
    expect(codes.rows.map((code) => code.Name)).toContain('California');
    expect(codes.rows[0]!.SalesTaxRateList?.TaxRateDetail?.[0]?.TaxRateRef.value).toMatch(/^\d+$/);
  });

  it('reads an invoice with its payment link, sends it, and prints it', async () => {
    const invoice = await realm.client.create(
      'Invoice',
      {
        CustomerRef: { value: customerId },
        AllowOnlineCreditCardPayment: true,
        Line: [
          { DetailType: 'SalesItemLineDetail', Amount: 50, SalesItemLineDetail: { ItemRef: { value: '2' } } },
        ],
      },
      requestIdFor('test', 'invoice'),
    );
    expect(invoice.InvoiceLink).toBeUndefined();
    const read = await realm.client.read('Invoice', invoice.Id, { include: ['invoiceLink'] });
    expect(read.InvoiceLink).toMatch(/^https:\/\//);

    const sent = await realm.client.send('Invoice', invoice.Id, 'billing@example.com');
    expect(sent).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'billing@example.com' },
      DeliveryInfo: { DeliveryType: 'Email' },
    });
    const [sendRequest] = (await lastRequests(emulator, realm.realmId, 3)).filter((request) =>
      request.path.endsWith('/send'),
    );
    expect(sendRequest).toMatchObject({ method: 'POST', query: { sendTo: 'billing@example.com' } });

    const pdf = await realm.client.pdf('Invoice', invoice.Id);
    expect(pdf.contentType).toMatch(/^application\/pdf/);
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('turns a refused send or print into a QboApiError', async () => {
    const error = await realm.client.pdf('Invoice', '424242').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QboApiError);
    expect(error).toMatchObject({ kind: 'not-found', code: '610' });
    const nobody = await realm.client.create(
      'Customer',
      { DisplayName: 'No Mail' },
      requestIdFor('test', 'nomail'),
    );
    const silent = await realm.client.create(
      'Invoice',
      {
        CustomerRef: { value: nobody.Id },
        Line: [
          { DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: { ItemRef: { value: '2' } } },
        ],
      },
      requestIdFor('test', 'silent'),
    );
    await expect(realm.client.send('Invoice', silent.Id)).rejects.toMatchObject({
      code: '2020',
      element: 'BillEmail',
    });
  });
});
