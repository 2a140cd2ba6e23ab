import { startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

describe('emulator conformance: Customer', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  it('creates with the server-side defaults and the response envelope Intuit documents', async () => {
    const response = await qbo.write('Customer', {
      DisplayName: "King's Groceries",
      GivenName: 'James',
      FamilyName: 'King',
      CompanyName: 'King Groceries',
      PrimaryEmailAddr: { Address: 'jdrew@myemail.com' },
      BillAddr: {
        Line1: '123 Main Street',
        City: 'Mountain View',
        CountrySubDivisionCode: 'CA',
        PostalCode: '94042',
      },
    });
    expect(response.status).toBe(200);
    expect(response.json.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    const customer = response.json.Customer;
    expect(customer).toMatchObject({
      domain: 'QBO',
      sparse: false,
      SyncToken: '0',
      DisplayName: "King's Groceries",
      FullyQualifiedName: "King's Groceries",
      PrintOnCheckName: 'King Groceries',
      Active: true,
      Job: false,
      BillWithParent: false,
      Balance: 0,
      BalanceWithJobs: 0,
      PreferredDeliveryMethod: 'Print',
      CurrencyRef: { value: 'USD', name: 'United States Dollar' },
    });
    expect(typeof customer.Id).toBe('string');
    expect(customer.BillAddr.Id).toEqual(expect.any(String));
    expect(customer.MetaData.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00$/);
    expect(customer.MetaData.LastUpdatedTime).toBe(customer.MetaData.CreateTime);

    const read = await qbo.read('Customer', customer.Id);
    expect(read.status).toBe(200);
    expect(read.json.Customer).toEqual(customer);
  });

  it('generates DisplayName from the name parts, and refuses a customer with no name (6080)', async () => {
    const named = await qbo.create('Customer', { Title: 'Dr', GivenName: 'Ada', FamilyName: 'Lovelace' });
    expect(named.DisplayName).toBe('Dr Ada Lovelace');
    const nameless = await qbo.write('Customer', { Notes: 'no name' });
    expect(nameless.status).toBe(400);
    expect(nameless.json.Fault).toMatchObject({ type: 'ValidationFault', Error: [{ code: '6080' }] });
  });

  it('keeps DisplayName unique, case-insensitively (6240 Duplicate Name Exists Error)', async () => {
    await qbo.create('Customer', { DisplayName: 'Unique Name Ltd' });
    const duplicate = await qbo.write('Customer', { DisplayName: 'unique name ltd ' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.json.Fault.Error[0]).toEqual({
      Message: 'Duplicate Name Exists Error',
      Detail:
        'The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.',
      code: '6240',
      element: '',
    });
  });

  it('applies a sparse update to the fields sent only, and bumps SyncToken', async () => {
    const created = await qbo.create('Customer', {
      DisplayName: 'Sparse Co',
      Notes: 'keep me',
      PrimaryPhone: { FreeFormNumber: '111' },
    });
    emulator.clock.advance(5000);
    const updated = await qbo.write('Customer', {
      Id: created.Id,
      SyncToken: '0',
      sparse: true,
      PrimaryPhone: { FreeFormNumber: '222' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json.Customer).toMatchObject({
      SyncToken: '1',
      Notes: 'keep me',
      PrimaryPhone: { FreeFormNumber: '222' },
      sparse: false,
    });
    expect(updated.json.Customer.MetaData.CreateTime).toBe(created.MetaData.CreateTime);
    expect(updated.json.Customer.MetaData.LastUpdatedTime).not.toBe(created.MetaData.LastUpdatedTime);
  });

  it('nulls every writable field a full update omits', async () => {
    const created = await qbo.create('Customer', {
      DisplayName: 'Full Co',
      Notes: 'gone after full update',
      Mobile: { FreeFormNumber: '9' },
    });
    const updated = await qbo.write('Customer', {
      Id: created.Id,
      SyncToken: created.SyncToken,
      DisplayName: 'Full Co',
    });
    expect(updated.status).toBe(200);
    expect(updated.json.Customer.Notes).toBeUndefined();
    expect(updated.json.Customer.Mobile).toBeUndefined();
  });

  it('rejects a stale SyncToken with 5010 and leaves the record unchanged', async () => {
    const created = await qbo.create('Customer', { DisplayName: 'Stale Co' });
    await qbo.write('Customer', { Id: created.Id, SyncToken: '0', sparse: true, Notes: 'first' });
    const stale = await qbo.write('Customer', {
      Id: created.Id,
      SyncToken: '0',
      sparse: true,
      Notes: 'second',
    });
    expect(stale.status).toBe(400);
    expect(stale.json.Fault.Error[0]).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
    expect((await qbo.read('Customer', created.Id)).json.Customer).toMatchObject({
      Notes: 'first',
      SyncToken: '1',
    });
  });

  it('names the missing or unknown element in validation faults', async () => {
    const noToken = await qbo.write('Customer', { Id: '1', sparse: true, Notes: 'x' });
    expect(noToken.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'SyncToken' });
    const unknown = await qbo.write('Customer', { DisplayName: 'Typo Co', Nickname: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.Fault.Error[0]).toMatchObject({ code: '2010', element: 'Nickname' });
    const email = await qbo.write('Customer', {
      DisplayName: 'Mail Co',
      PrimaryEmailAddr: { Address: 'not-an-email' },
    });
    expect(email.json.Fault.Error[0]).toMatchObject({ code: '2210', element: 'PrimaryEmailAddr.Address' });
    const long = await qbo.write('Customer', { DisplayName: 'x'.repeat(501) });
    expect(long.json.Fault.Error[0]).toMatchObject({ code: '2050', element: 'DisplayName' });
    const colon = await qbo.write('Customer', { DisplayName: 'Parent:Child' });
    expect(colon.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'DisplayName' });
  });

  it('cannot delete a customer, only make it inactive; inactive ones leave default queries', async () => {
    const created = await qbo.create('Customer', { DisplayName: 'Going Away Inc' });
    const deleted = await qbo.write('Customer', { Id: created.Id, SyncToken: '0' }, { operation: 'delete' });
    expect(deleted.status).toBe(400);
    expect(deleted.json.Fault.Error[0]).toMatchObject({ code: '500', Message: 'Unsupported Operation' });

    await qbo.write('Customer', { Id: created.Id, SyncToken: '0', sparse: true, Active: false });
    const active = await qbo.query("select * from Customer where DisplayName = 'Going Away Inc'");
    expect(active.json.QueryResponse).toEqual({});
    const all = await qbo.query(
      "select * from Customer where DisplayName = 'Going Away Inc' and Active in (true, false)",
    );
    expect(all.json.QueryResponse.Customer).toHaveLength(1);
    expect(all.json.QueryResponse.Customer[0].Active).toBe(false);
  });

  it('builds sub-customers with ParentRef, Level and FullyQualifiedName', async () => {
    const parent = await qbo.create('Customer', { DisplayName: 'Parent Corp' });
    const job = await qbo.create('Customer', {
      DisplayName: 'Kitchen Remodel',
      Job: true,
      ParentRef: { value: parent.Id },
      BillWithParent: true,
    });
    expect(job).toMatchObject({
      Job: true,
      Level: 1,
      FullyQualifiedName: 'Parent Corp:Kitchen Remodel',
      BillWithParent: true,
      ParentRef: { value: parent.Id },
    });
    const orphan = await qbo.write('Customer', { DisplayName: 'Orphan Job', Job: true });
    expect(orphan.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'ParentRef' });
  });

  it('answers a read of an unknown Id with 610 Object Not Found', async () => {
    const missing = await qbo.read('Customer', '999999');
    expect(missing.status).toBe(400);
    expect(missing.json.Fault.Error[0]).toMatchObject({ code: '610', Message: 'Object Not Found' });
  });

  it('accepts only the home currency unless multicurrency is on, and fixes a customer currency once set', async () => {
    const euro = await qbo.write('Customer', { DisplayName: 'Euro Co', CurrencyRef: { value: 'EUR' } });
    expect(euro.status).toBe(400);
    expect(euro.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'CurrencyRef' });

    const multi = await emulator.company({ companyName: 'Multi', multiCurrency: true });
    const customer = await multi.create('Customer', {
      DisplayName: 'Euro Co',
      CurrencyRef: { value: 'EUR' },
    });
    expect(customer.CurrencyRef).toEqual({ value: 'EUR', name: 'Euro' });
    const change = await multi.write('Customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: true,
      CurrencyRef: { value: 'GBP' },
    });
    expect(change.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'CurrencyRef' });
    const currencies = await multi.query('select * from CompanyCurrency');
    expect(currencies.json.QueryResponse.CompanyCurrency.map((c: { Code: string }) => c.Code)).toContain(
      'EUR',
    );
  });
});
