import { startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

describe('emulator conformance: products, accounts, classes, departments and tax tables', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  const accountId = async (name: string): Promise<string> =>
    (await qbo.query(`select * from Account where Name = '${name}'`)).json.QueryResponse.Account[0].Id;

  it('starts with a chart of accounts: income, cost of goods, inventory asset, undeposited funds', async () => {
    const accounts = (await qbo.query('select * from Account maxresults 100')).json.QueryResponse.Account;
    expect(accounts[0]).toMatchObject({
      Id: '1',
      Name: 'Services',
      AccountType: 'Income',
      AccountSubType: 'ServiceFeeIncome',
      Classification: 'Revenue',
      CurrencyRef: { value: 'USD', name: 'United States Dollar' },
      CurrentBalance: 0,
      Active: true,
    });
    const incomeForProducts = await qbo.query(
      "select * from Account where AccountType = 'Income' and AccountSubType = 'SalesOfProductIncome'",
    );
    expect(incomeForProducts.json.QueryResponse.Account).toHaveLength(1);
    expect(accounts.map((account: { Name: string }) => account.Name)).toEqual(
      expect.arrayContaining([
        'Cost of Goods Sold',
        'Inventory Asset',
        'Undeposited Funds',
        'Sales Tax Payable',
      ]),
    );
  });

  it('creates accounts from a type or a detail type, and refuses a duplicate name (6240) or no type (2020)', async () => {
    const created = await qbo.create('Account', {
      Name: 'Consulting Income',
      AccountSubType: 'ServiceFeeIncome',
    });
    expect(created).toMatchObject({ AccountType: 'Income', Classification: 'Revenue', SubAccount: false });
    const fromType = await qbo.create('Account', { Name: 'Office Costs', AccountType: 'Expense' });
    expect(fromType).toMatchObject({ Classification: 'Expense', AccountSubType: expect.any(String) });
    const duplicate = await qbo.write('Account', { Name: 'consulting income ', AccountType: 'Income' });
    expect(duplicate.json.Fault.Error[0]).toMatchObject({ code: '6240' });
    const untyped = await qbo.write('Account', { Name: 'Typeless' });
    expect(untyped.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'AccountType' });
    const badType = await qbo.write('Account', { Name: 'Odd', AccountType: 'Crypto' });
    expect(badType.json.Fault.Error[0]).toMatchObject({ code: '2170', element: 'AccountType' });
  });

  it('creates a service item with its income account named, a non-inventory item and an inventory item', async () => {
    const service = await qbo.create('Item', {
      Name: 'Garden Design',
      Type: 'Service',
      IncomeAccountRef: { value: '1' },
      UnitPrice: 120,
      Description: 'Design of a small garden',
    });
    expect(service).toMatchObject({
      Type: 'Service',
      FullyQualifiedName: 'Garden Design',
      IncomeAccountRef: { value: '1', name: 'Services' },
      TrackQtyOnHand: false,
      Active: true,
    });
    expect(service.QtyOnHand).toBeUndefined();
    const nonInventory = await qbo.create('Item', {
      Name: 'Seed Packet',
      Type: 'NonInventory',
      Sku: 'SEED-01',
      UnitPrice: 3.5,
      IncomeAccountRef: { value: await accountId('Sales of Product Income') },
      ExpenseAccountRef: { value: await accountId('Cost of Goods Sold') },
    });
    expect(nonInventory).toMatchObject({
      Type: 'NonInventory',
      Sku: 'SEED-01',
      ExpenseAccountRef: { name: 'Cost of Goods Sold' },
    });
    const inventory = await qbo.create('Item', {
      Name: 'Garden Gnome',
      Type: 'Inventory',
      Sku: 'GNOME-7',
      TrackQtyOnHand: true,
      QtyOnHand: 10,
      InvStartDate: '2026-01-01',
      UnitPrice: 40,
      IncomeAccountRef: { value: await accountId('Sales of Product Income') },
      ExpenseAccountRef: { value: await accountId('Cost of Goods Sold') },
      AssetAccountRef: { value: await accountId('Inventory Asset') },
    });
    expect(inventory).toMatchObject({
      Type: 'Inventory',
      TrackQtyOnHand: true,
      QtyOnHand: 10,
      InvStartDate: '2026-01-01',
      AssetAccountRef: { name: 'Inventory Asset' },
    });
  });

  it('requires the accounts, the start date and the quantity of an inventory item, and keeps it inventory', async () => {
    const base = {
      Name: 'Half Gnome',
      Type: 'Inventory',
      QtyOnHand: 1,
      InvStartDate: '2026-01-01',
      IncomeAccountRef: { value: '2' },
      ExpenseAccountRef: { value: '3' },
      AssetAccountRef: { value: '5' },
    };
    for (const field of [
      'AssetAccountRef',
      'InvStartDate',
      'QtyOnHand',
      'ExpenseAccountRef',
      'IncomeAccountRef',
    ]) {
      const { [field]: _missing, ...rest } = base as Record<string, unknown>;
      const refused = await qbo.write('Item', rest);
      expect([refused.status, refused.json.Fault.Error[0].code, refused.json.Fault.Error[0].element]).toEqual(
        [400, '2020', field],
      );
    }
    const unknownAccount = await qbo.write('Item', { ...base, AssetAccountRef: { value: '999' } });
    expect(unknownAccount.json.Fault.Error[0]).toMatchObject({ code: '2500', element: 'AssetAccountRef' });
    const gnome = await qbo.create('Item', base);
    const retyped = await qbo.write('Item', {
      Id: gnome.Id,
      SyncToken: gnome.SyncToken,
      sparse: true,
      Type: 'Service',
    });
    expect(retyped.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'Type' });
    const restocked = await qbo.write('Item', {
      Id: gnome.Id,
      SyncToken: gnome.SyncToken,
      sparse: true,
      QtyOnHand: 12,
    });
    expect(restocked.json.Item).toMatchObject({ QtyOnHand: 12, SyncToken: '1', Type: 'Inventory' });
  });

  it('nests sub-items under a parent, which a SubItem needs', async () => {
    const parent = await qbo.create('Item', { Name: 'Fountains', Type: 'Category' });
    expect(parent.IncomeAccountRef).toBeUndefined();
    const child = await qbo.create('Item', {
      Name: 'Wall Fountain',
      SubItem: true,
      ParentRef: { value: parent.Id },
    });
    expect(child).toMatchObject({
      SubItem: true,
      Level: 1,
      FullyQualifiedName: 'Fountains:Wall Fountain',
      ParentRef: { value: parent.Id, name: 'Fountains' },
    });
    const orphan = await qbo.write('Item', { Name: 'Orphan', SubItem: true });
    expect(orphan.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'ParentRef' });
  });

  it('takes sold inventory off QtyOnHand and puts it back when the sale changes, is voided or credited', async () => {
    const fountain = (await qbo.query("select * from Item where Name = 'Rock Fountain'")).json.QueryResponse
      .Item[0];
    const onHand = async () => (await qbo.read('Item', fountain.Id)).json.Item.QtyOnHand;
    expect(await onHand()).toBe(25);
    const buyer = await qbo.create('Customer', { DisplayName: 'Fountain Buyer' });
    const sale = (qty: number) => ({
      DetailType: 'SalesItemLineDetail',
      Amount: qty * 275,
      SalesItemLineDetail: { ItemRef: { value: fountain.Id }, Qty: qty, UnitPrice: 275 },
    });
    const invoice = await qbo.create('Invoice', { CustomerRef: { value: buyer.Id }, Line: [sale(3)] });
    expect(await onHand()).toBe(22);
    await qbo.create('Estimate', { CustomerRef: { value: buyer.Id }, Line: [sale(5)] });
    expect(await onHand()).toBe(22);
    const fewer = await qbo.write('Invoice', {
      Id: invoice.Id,
      SyncToken: invoice.SyncToken,
      sparse: true,
      Line: [{ ...sale(1), Id: invoice.Line[0].Id }],
    });
    expect(fewer.status).toBe(200);
    expect(await onHand()).toBe(24);
    await qbo.write('Invoice', { Id: invoice.Id, SyncToken: '1' }, { operation: 'void' });
    expect(await onHand()).toBe(25);
    await qbo.create('SalesReceipt', { CustomerRef: { value: buyer.Id }, Line: [sale(4)] });
    await qbo.create('CreditMemo', { CustomerRef: { value: buyer.Id }, Line: [sale(2)] });
    expect(await onHand()).toBe(23);
    // Bookkeeping, not an edit: the item keeps its SyncToken.
    expect((await qbo.read('Item', fountain.Id)).json.Item.SyncToken).toBe(fountain.SyncToken);
  });

  it('keeps item names unique (6240), case-insensitively', async () => {
    await qbo.create('Item', { Name: 'Hedge Trim', Type: 'Service' });
    const duplicate = await qbo.write('Item', { Name: 'HEDGE TRIM', Type: 'NonInventory' });
    expect(duplicate.json.Fault.Error[0]).toMatchObject({
      code: '6240',
      Message: 'Duplicate Name Exists Error',
    });
  });

  it('leaves Sku out of SELECT * and answers it for SELECT *, Sku, as python-quickbooks relies on', async () => {
    const star = (await qbo.query("select * from Item where Name = 'Rock Fountain'")).json.QueryResponse
      .Item[0];
    expect(star.Sku).toBeUndefined();
    expect(star).toMatchObject({ Name: 'Rock Fountain', Type: 'Inventory', QtyOnHand: expect.any(Number) });
    const withSku = (await qbo.query("SELECT *, Sku FROM Item WHERE Name = 'Rock Fountain'")).json
      .QueryResponse.Item[0];
    expect(withSku).toEqual({ ...star, Sku: 'RF-275' });
    expect((await qbo.read('Item', star.Id)).json.Item.Sku).toBe('RF-275');
    const named = (await qbo.query("select Id, Name from Item where Name = 'Rock Fountain'")).json
      .QueryResponse.Item[0];
    expect(named).toEqual({ Id: star.Id, Name: 'Rock Fountain', domain: 'QBO', sparse: false });
    const unknown = await qbo.query('select Colour from Item');
    expect(unknown.json.Fault.Error[0]).toMatchObject({ code: '4001' });
  });

  it('takes STARTPOSITION 0 as the first row', async () => {
    const first = await qbo.query('select * from Item startposition 1 maxresults 2');
    const zero = await qbo.query('select * from Item STARTPOSITION 0 MAXRESULTS 2');
    expect(zero.status).toBe(200);
    expect(zero.json.QueryResponse.Item).toEqual(first.json.QueryResponse.Item);
    expect(zero.json.QueryResponse.startPosition).toBe(1);
  });

  it('reports items in CDC and creates them in a batch', async () => {
    const since = new Date(emulator.clock.now().getTime() - 1000).toISOString();
    const batch = await qbo.request('POST', '/batch', {
      body: {
        BatchItemRequest: [
          { bId: 'a', operation: 'create', Item: { Name: 'Batch Item', Type: 'Service', UnitPrice: 5 } },
          { bId: 'b', operation: 'create', Item: { Name: 'batch item', Type: 'Service' } },
        ],
      },
    });
    expect(batch.json.BatchItemResponse[0].Item).toMatchObject({ Name: 'Batch Item' });
    expect(batch.json.BatchItemResponse[1].Fault.Error[0].code).toBe('6240');
    const cdc = await qbo.request('GET', '/cdc', { query: { entities: 'Item', changedSince: since } });
    const items = cdc.json.CDCResponse[0].QueryResponse[0].Item;
    expect(items.map((item: { Name: string }) => item.Name)).toContain('Batch Item');
  });

  it('keeps classes and departments as hierarchical name lists that transactions reference', async () => {
    const parent = await qbo.create('Class', { Name: 'Landscaping' });
    expect(parent).toMatchObject({ SubClass: false, FullyQualifiedName: 'Landscaping', Active: true });
    const child = await qbo.create('Class', { Name: 'Lawns', ParentRef: { value: parent.Id } });
    expect(child).toMatchObject({
      SubClass: true,
      FullyQualifiedName: 'Landscaping:Lawns',
      ParentRef: { value: parent.Id, name: 'Landscaping' },
    });
    const store = await qbo.create('Department', { Name: 'Garden Centre' });
    expect(store).toMatchObject({ SubDepartment: false, FullyQualifiedName: 'Garden Centre' });
    const customer = await qbo.create('Customer', { DisplayName: 'Class Act Ltd' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      ClassRef: { value: child.Id },
      DepartmentRef: { value: store.Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 50,
          SalesItemLineDetail: { ItemRef: { value: '2' }, ClassRef: { value: parent.Id } },
        },
      ],
    });
    expect(invoice.ClassRef).toEqual({ value: child.Id, name: 'Landscaping:Lawns' });
    expect(invoice.DepartmentRef).toEqual({ value: store.Id, name: 'Garden Centre' });
    expect(invoice.Line[0].SalesItemLineDetail.ClassRef).toEqual({ value: parent.Id, name: 'Landscaping' });
    const unknown = await qbo.write('Invoice', {
      CustomerRef: { value: customer.Id },
      DepartmentRef: { value: '999' },
      Line: [
        { DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: { ItemRef: { value: '2' } } },
      ],
    });
    expect(unknown.json.Fault.Error[0]).toMatchObject({ code: '2500', element: 'DepartmentRef' });
  });

  it('reads and queries tax agencies, rates and codes, and refuses to write them', async () => {
    const codes = (await qbo.query('select * from TaxCode')).json.QueryResponse.TaxCode;
    // US companies: automated sales tax codes; the TAX/NON pseudo codes are not in the list.
    expect(codes.map((code: { Name: string }) => code.Name)).toEqual(['California', 'San Francisco']);
    const sanFrancisco = codes[1];
    expect(sanFrancisco).toMatchObject({
      TaxGroup: true,
      Taxable: true,
      SalesTaxRateList: {
        TaxRateDetail: [{ TaxTypeApplicable: 'TaxOnAmount', TaxOrder: 0 }, { TaxOrder: 1 }],
      },
    });
    const rateId = sanFrancisco.SalesTaxRateList.TaxRateDetail[1].TaxRateRef.value;
    const rate = (await qbo.read('TaxRate', rateId)).json.TaxRate;
    expect(rate).toMatchObject({ Name: 'San Francisco County', RateValue: 1.375, Active: true });
    const agency = (await qbo.read('TaxAgency', rate.AgencyRef.value)).json.TaxAgency;
    expect(agency).toMatchObject({ DisplayName: 'California Department of Tax and Fee Administration' });
    const byRate = await qbo.query("select * from TaxRate where Name = 'California'");
    expect(byRate.json.QueryResponse.TaxRate).toHaveLength(1);
    const create = await qbo.write('TaxCode', { Name: 'Mine' });
    expect(create.json.Fault.Error[0]).toMatchObject({ code: '500', Message: 'Unsupported Operation' });
  });
});
