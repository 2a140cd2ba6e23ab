import { salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

describe('emulator conformance: transactions', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  let customer: { Id: string; DisplayName: string };

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
    const terms = await qbo.query("select * from Term where Name = 'Net 30'");
    customer = await qbo.create('Customer', {
      DisplayName: 'Red Rock Diner',
      SalesTermRef: { value: terms.json.QueryResponse.Term[0].Id },
    });
  });
  afterAll(() => emulator.close());

  const invoice = (
    lines = [salesLine(100, { qty: 2, unitPrice: 50 }), salesLine(30)],
    extra: Record<string, unknown> = {},
  ) =>
    qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      TxnDate: '2026-02-01',
      Line: lines,
      ...extra,
    });

  it('totals an invoice, adds the subtotal line, numbers it and dates it from the terms', async () => {
    const created = await invoice();
    expect(created).toMatchObject({
      TotalAmt: 130,
      Balance: 130,
      DocNumber: expect.stringMatching(/^\d+$/),
      TxnDate: '2026-02-01',
      DueDate: '2026-03-03',
      CustomerRef: { value: customer.Id, name: 'Red Rock Diner' },
      SalesTermRef: { name: 'Net 30' },
      CurrencyRef: { value: 'USD' },
      EmailStatus: 'NotSet',
      LinkedTxn: [],
    });
    expect(created.Line.at(-1)).toEqual({
      Amount: 130,
      DetailType: 'SubTotalLineDetail',
      SubTotalLineDetail: {},
    });
    expect(created.Line[0]).toMatchObject({
      Id: '1',
      LineNum: 1,
      SalesItemLineDetail: { ItemRef: { value: '2', name: 'Hours' } },
    });
    expect(created.ExchangeRate).toBeUndefined(); // multicurrency off
  });

  it('requires a customer and lines, and checks Amount = Qty × UnitPrice (6070)', async () => {
    const noCustomer = await qbo.write('Invoice', { Line: [salesLine(10)] });
    expect(noCustomer.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'CustomerRef' });
    const noLines = await qbo.write('Invoice', { CustomerRef: { value: customer.Id }, Line: [] });
    expect(noLines.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'Line' });
    const wrongAmount = await qbo.write('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(58, { qty: 2, unitPrice: 30 })],
    });
    expect(wrongAmount.json.Fault.Error[0]).toMatchObject({
      code: '6070',
      element: 'Line.Amount',
      Detail: 'Amount is not equal to UnitPrice * Qty. Supplied value:58',
    });
    const unknownCustomer = await qbo.write('Invoice', {
      CustomerRef: { value: '424242' },
      Line: [salesLine(1)],
    });
    expect(unknownCustomer.json.Fault.Error[0]).toMatchObject({ code: '2500', element: 'CustomerRef' });
  });

  it('refuses transactions for an inactive customer (610)', async () => {
    const gone = await qbo.create('Customer', { DisplayName: 'Inactive Ltd' });
    await qbo.write('Customer', { Id: gone.Id, SyncToken: '0', sparse: true, Active: false });
    const refused = await qbo.write('Invoice', { CustomerRef: { value: gone.Id }, Line: [salesLine(5)] });
    expect(refused.status).toBe(400);
    expect(refused.json.Fault.Error[0]).toMatchObject({ code: '610', element: 'CustomerRef' });
  });

  it('lowers invoice balances through payments and links both ways; the customer balance follows', async () => {
    const first = await invoice([salesLine(200)]);
    const second = await invoice([salesLine(50)]);
    const before = (await qbo.read('Customer', customer.Id)).json.Customer.Balance;
    const payment = await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 260,
      Line: [
        { Amount: 150, LinkedTxn: [{ TxnId: first.Id, TxnType: 'Invoice' }] },
        { Amount: 50, LinkedTxn: [{ TxnId: second.Id, TxnType: 'Invoice' }] },
      ],
    });
    expect(payment).toMatchObject({ TotalAmt: 260, UnappliedAmt: 60 });
    const partly = (await qbo.read('Invoice', first.Id)).json.Invoice;
    expect(partly).toMatchObject({
      Balance: 50,
      SyncToken: '1',
      LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment' }],
    });
    expect((await qbo.read('Invoice', second.Id)).json.Invoice.Balance).toBe(0);
    const after = (await qbo.read('Customer', customer.Id)).json.Customer.Balance;
    expect(after).toBeCloseTo(before - 200 - 60, 2);

    const over = await qbo.write('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 100,
      Line: [{ Amount: 100, LinkedTxn: [{ TxnId: first.Id, TxnType: 'Invoice' }] }],
    });
    expect(over.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'Line.Amount' });

    const linkedDelete = await qbo.write(
      'Invoice',
      { Id: first.Id, SyncToken: partly.SyncToken },
      { operation: 'delete' },
    );
    expect(linkedDelete.json.Fault.Error[0]).toMatchObject({ code: '6000' });

    const voided = await qbo.write(
      'Payment',
      { Id: payment.Id, SyncToken: payment.SyncToken, sparse: true },
      { operation: 'update', include: 'void' },
    );
    expect(voided.status).toBe(200);
    expect(voided.json.Payment).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
    const restored = (await qbo.read('Invoice', first.Id)).json.Invoice;
    expect(restored).toMatchObject({ Balance: 200, LinkedTxn: [] });
  });

  it('voids an invoice by zeroing it and deletes one into a Deleted stub', async () => {
    const toVoid = await invoice([salesLine(75)]);
    const voided = await qbo.write('Invoice', { Id: toVoid.Id, SyncToken: '0' }, { operation: 'void' });
    expect(voided.json.Invoice).toMatchObject({
      TotalAmt: 0,
      Balance: 0,
      PrivateNote: 'Voided',
      SyncToken: '1',
    });

    const toDelete = await invoice([salesLine(10)]);
    const deleted = await qbo.write('Invoice', { Id: toDelete.Id, SyncToken: '0' }, { operation: 'delete' });
    expect(deleted.json.Invoice).toEqual({ status: 'Deleted', domain: 'QBO', Id: toDelete.Id });
    expect((await qbo.read('Invoice', toDelete.Id)).json.Fault.Error[0].code).toBe('610');
  });

  it('keeps estimates in their status, and sales receipts paid in full', async () => {
    for (const status of ['Pending', 'Accepted', 'Closed', 'Rejected', 'Converted']) {
      const estimate = await qbo.create('Estimate', {
        CustomerRef: { value: customer.Id },
        TxnStatus: status,
        ExpirationDate: '2026-04-01',
        Line: [salesLine(40)],
      });
      expect(estimate).toMatchObject({ TxnStatus: status, TotalAmt: 40, ExpirationDate: '2026-04-01' });
    }
    const badStatus = await qbo.write('Estimate', {
      CustomerRef: { value: customer.Id },
      TxnStatus: 'Maybe',
      Line: [salesLine(1)],
    });
    expect(badStatus.json.Fault.Error[0]).toMatchObject({ code: '2170', element: 'TxnStatus' });
    const receipt = await qbo.create('SalesReceipt', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(20)],
    });
    expect(receipt).toMatchObject({ TotalAmt: 20, Balance: 0 });
    const memo = await qbo.create('CreditMemo', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(15)],
    });
    expect(memo).toMatchObject({ TotalAmt: 15, RemainingCredit: 15 });
    const refund = await qbo.create('RefundReceipt', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(5)],
    });
    expect(refund).toMatchObject({ TotalAmt: 5, Balance: 0 });
  });

  it('records currency, exchange rate and home amounts when multicurrency is on', async () => {
    const multi = await emulator.company({ companyName: 'Maple & Co', multiCurrency: true });
    const euro = await multi.create('Customer', {
      DisplayName: 'Berlin GmbH',
      CurrencyRef: { value: 'EUR' },
    });
    const created = await multi.create('Invoice', {
      CustomerRef: { value: euro.Id },
      ExchangeRate: 1.1,
      Line: [salesLine(100)],
    });
    expect(created).toMatchObject({
      CurrencyRef: { value: 'EUR', name: 'Euro' },
      ExchangeRate: 1.1,
      TotalAmt: 100,
      HomeTotalAmt: 110,
      Balance: 100,
      HomeBalance: 110,
    });
    const defaultRate = await multi.create('Invoice', {
      CustomerRef: { value: euro.Id },
      Line: [salesLine(10)],
    });
    expect(defaultRate.ExchangeRate).toBeGreaterThan(0);
    const mismatch = await multi.write('Invoice', {
      CustomerRef: { value: euro.Id },
      CurrencyRef: { value: 'USD' },
      Line: [salesLine(1)],
    });
    expect(mismatch.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'CurrencyRef' });
    const usd = await multi.create('Customer', { DisplayName: 'Home Co' });
    const home = await multi.create('Invoice', { CustomerRef: { value: usd.Id }, Line: [salesLine(10)] });
    expect(home).toMatchObject({ ExchangeRate: 1, HomeTotalAmt: 10 });
  });
});
