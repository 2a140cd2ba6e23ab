import { http, salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

describe('emulator conformance: details real clients trip over', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  it('answers in XML unless JSON is negotiated', async () => {
    const xml = await qbo.request('GET', `/companyinfo/${qbo.realmId}`, {
      headers: { Accept: 'application/xml' },
    });
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toContain('application/xml');
    expect(xml.text).toMatch(
      /^<\?xml[^>]*>\n<IntuitResponse xmlns="http:\/\/schema.intuit.com\/finance\/v3" time="[^"]+"><CompanyInfo domain="QBO" sparse="false"><Id>1<\/Id>/,
    );
    const fault = await qbo.request('GET', '/customer/404404', { headers: { Accept: 'application/xml' } });
    expect(fault.text).toContain('<Fault type="ValidationFault"><Error code="610"');
    const viaFormat = await qbo.request('GET', `/companyinfo/${qbo.realmId}`, {
      headers: { Accept: '*/*' },
      query: { format: 'json' },
    });
    expect(viaFormat.json.CompanyInfo.Id).toBe('1');
  });

  it('answers malformed JSON with a 2010 Fault, and checks the token before the body', async () => {
    const malformed = await qbo.request('POST', '/customer', {
      rawBody: '{"DisplayName": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.Fault.Error[0]).toMatchObject({
      code: '2010',
      Message: 'Request has invalid or unsupported property',
    });
    const anonymous = await http('POST', qbo.url('/customer'), {
      rawBody: '{"DisplayName": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(anonymous.status).toBe(401);
  });

  it('refuses a customer parent cycle and keeps serving', async () => {
    const a = await qbo.create('Customer', { DisplayName: 'Cycle A' });
    const b = await qbo.create('Customer', { DisplayName: 'Cycle B', Job: true, ParentRef: { value: a.Id } });
    const cycle = await qbo.write('Customer', {
      Id: a.Id,
      SyncToken: a.SyncToken,
      sparse: true,
      Job: true,
      ParentRef: { value: b.Id },
    });
    expect(cycle.status).toBe(400);
    expect(cycle.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'ParentRef' });
    expect(
      (await qbo.create('Invoice', { CustomerRef: { value: b.Id }, Line: [salesLine(10)] })).TotalAmt,
    ).toBe(10);
  });

  it('carries a rename and a deactivation down to sub-customers, and moves balances with a moved job', async () => {
    const parent = await qbo.create('Customer', { DisplayName: 'Old Parent' });
    const job = await qbo.create('Customer', {
      DisplayName: 'Job One',
      Job: true,
      ParentRef: { value: parent.Id },
    });
    await qbo.create('Invoice', { CustomerRef: { value: job.Id }, Line: [salesLine(40)] });
    expect((await qbo.read('Customer', parent.Id)).json.Customer).toMatchObject({
      Balance: 0,
      BalanceWithJobs: 40,
    });

    const refused = await qbo.write('Customer', {
      Id: parent.Id,
      SyncToken: '0',
      sparse: true,
      Active: false,
    });
    expect(refused.json.Fault.Error[0]).toMatchObject({
      Message: 'Delete List Has Balance Error',
      element: 'Active',
    });

    await qbo.write('Customer', { Id: parent.Id, SyncToken: '0', sparse: true, DisplayName: 'New Parent' });
    expect((await qbo.read('Customer', job.Id)).json.Customer).toMatchObject({
      FullyQualifiedName: 'New Parent:Job One',
      ParentRef: { value: parent.Id, name: 'New Parent' },
      SyncToken: '1',
    });

    const other = await qbo.create('Customer', { DisplayName: 'Other Parent' });
    const current = (await qbo.read('Customer', job.Id)).json.Customer;
    await qbo.write('Customer', {
      Id: job.Id,
      SyncToken: current.SyncToken,
      sparse: true,
      ParentRef: { value: other.Id },
    });
    expect((await qbo.read('Customer', parent.Id)).json.Customer.BalanceWithJobs).toBe(0);
    expect((await qbo.read('Customer', other.Id)).json.Customer.BalanceWithJobs).toBe(40);

    const idle = await qbo.create('Customer', { DisplayName: 'Idle Parent' });
    const idleJob = await qbo.create('Customer', {
      DisplayName: 'Idle Job',
      Job: true,
      ParentRef: { value: idle.Id },
    });
    await qbo.write('Customer', { Id: idle.Id, SyncToken: '0', sparse: true, Active: false });
    expect((await qbo.read('Customer', idleJob.Id)).json.Customer.Active).toBe(false);
  });

  it('keeps DisplayName when a sparse update sends it empty, and takes "true" for sparse', async () => {
    const customer = await qbo.create('Customer', {
      DisplayName: 'Keep Me',
      GivenName: 'Ann',
      FamilyName: 'Lee',
    });
    const updated = await qbo.write('Customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: 'true',
      DisplayName: '',
      Notes: 'n',
    });
    expect(updated.json.Customer).toMatchObject({
      DisplayName: 'Keep Me',
      GivenName: 'Ann',
      FamilyName: 'Lee',
      Notes: 'n',
    });
    const bad = await qbo.write('Customer', { Id: customer.Id, SyncToken: '1', sparse: 'yes' });
    expect(bad.json.Fault.Error[0]).toMatchObject({ code: '2010', element: 'sparse' });
  });

  it('keeps payment links server-side: a client cannot unlink them to delete a paid invoice', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Paid Up' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(60)],
    });
    await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 60,
      Line: [{ Amount: 60, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    const paid = (await qbo.read('Invoice', invoice.Id)).json.Invoice;
    const stripped = await qbo.write('Invoice', {
      Id: invoice.Id,
      SyncToken: paid.SyncToken,
      sparse: true,
      LinkedTxn: [],
    });
    expect(stripped.json.Invoice.LinkedTxn).toEqual([{ TxnId: expect.any(String), TxnType: 'Payment' }]);
    const deleted = await qbo.write(
      'Invoice',
      { Id: invoice.Id, SyncToken: stripped.json.Invoice.SyncToken },
      { operation: 'delete' },
    );
    expect(deleted.status).toBe(400);
  });

  it('links an estimate to the invoice made from it and closes the estimate', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Converted Co' });
    const estimate = await qbo.create('Estimate', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(90)],
    });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(90)],
      LinkedTxn: [{ TxnId: estimate.Id, TxnType: 'Estimate' }],
    });
    expect(invoice.LinkedTxn).toEqual([{ TxnId: estimate.Id, TxnType: 'Estimate' }]);
    expect((await qbo.read('Estimate', estimate.Id)).json.Estimate).toMatchObject({
      TxnStatus: 'Closed',
      SyncToken: '1',
      LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }],
    });
    const unknown = await qbo.write('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(1)],
      LinkedTxn: [{ TxnId: '999999', TxnType: 'Estimate' }],
    });
    expect(unknown.json.Fault.Error[0]).toMatchObject({ code: '2500', element: 'LinkedTxn.TxnId' });
  });

  it('keeps line Ids across updates and gives new lines fresh ones', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Lines Ltd' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [salesLine(10), salesLine(20), salesLine(30)],
    });
    expect(invoice.Line.slice(0, 3).map((l: { Id: string }) => l.Id)).toEqual(['1', '2', '3']);
    const updated = await qbo.write('Invoice', {
      Id: invoice.Id,
      SyncToken: '0',
      sparse: true,
      Line: [salesLine(20, { id: '2' }), salesLine(30, { id: '3' }), salesLine(5)],
    });
    expect(
      updated.json.Invoice.Line.slice(0, 3).map((l: { Id: string; LineNum: number }) => [l.Id, l.LineNum]),
    ).toEqual([
      ['2', 1],
      ['3', 2],
      ['4', 3],
    ]);
  });

  it('refuses a repeated DocNumber (6140) unless include=allowduplicatedocnum', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Doc Numbers' });
    await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      DocNumber: 'INV-7',
      Line: [salesLine(1)],
    });
    const duplicate = await qbo.write('Invoice', {
      CustomerRef: { value: customer.Id },
      DocNumber: 'INV-7',
      Line: [salesLine(1)],
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.json.Fault.Error[0].code).toBe('6140');
    const allowed = await qbo.write(
      'Invoice',
      { CustomerRef: { value: customer.Id }, DocNumber: 'INV-7', Line: [salesLine(1)] },
      { include: 'allowduplicatedocnum' },
    );
    expect(allowed.status).toBe(200);
  });

  it('checks every batch item before running any, so a refused batch writes nothing', async () => {
    const response = await qbo.request('POST', '/batch', {
      body: {
        BatchItemRequest: [
          { bId: 'a', operation: 'create', Customer: { DisplayName: 'Batch Half' } },
          { operation: 'create', Customer: { DisplayName: 'No bId' } },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(
      (await qbo.query("select count(*) from Customer where DisplayName = 'Batch Half'")).json.QueryResponse
        .totalCount,
    ).toBe(0);
    const longId = await qbo.request('POST', '/batch', {
      query: { requestid: 'x'.repeat(37) },
      body: { BatchItemRequest: [{ bId: 'q', Query: 'select * from Term' }] },
    });
    expect(longId.json.Fault.Error[0].element).toBe('requestid');
  });

  it('zeroes quantities and prepends Voided to the note when voiding', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Void Notes' });
    const receipt = await qbo.create('SalesReceipt', {
      CustomerRef: { value: customer.Id },
      PrivateNote: 'walk-in',
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 170,
          SalesItemLineDetail: { ItemRef: { value: '2' }, Qty: 2, UnitPrice: 85 },
        },
      ],
    });
    const voided = await qbo.write('SalesReceipt', { Id: receipt.Id, SyncToken: '0' }, { operation: 'void' });
    expect(voided.json.SalesReceipt).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided walk-in' });
    expect(voided.json.SalesReceipt.Line[0]).toMatchObject({ Amount: 0, SalesItemLineDetail: { Qty: 0 } });
  });
});
