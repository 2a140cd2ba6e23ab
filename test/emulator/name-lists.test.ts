import { startTestEmulator, type HttpResult, type QboClient, type TestEmulator } from '../support/emulator';

interface NameListCase {
  entity: 'Term' | 'PaymentMethod' | 'Item';
  /** What a new company starts with (docs/emulator.md). */
  starters: string[];
  body(name: string): Record<string, unknown>;
  /** The server-side defaults and derived fields a create returns. */
  defaults: Record<string, unknown>;
  change: Record<string, unknown>;
  /** A write that references the record, and the element a refused reference names. */
  use(qbo: QboClient, id: string, tag: string): Promise<HttpResult>;
  element: string;
}

const cases: NameListCase[] = [
  {
    entity: 'Term',
    starters: ['Due on receipt', 'Net 15', 'Net 30', 'Net 60'],
    body: (name) => ({ Name: name, DueDays: 45 }),
    defaults: { Type: 'STANDARD', DueDays: 45, DiscountPercent: 0, DiscountDays: 0 },
    change: { DueDays: 50 },
    use: (qbo, id, tag) =>
      qbo.write('Customer', { DisplayName: `Term user ${tag}`, SalesTermRef: { value: id } }),
    element: 'SalesTermRef',
  },
  {
    entity: 'PaymentMethod',
    starters: ['Cash', 'Check', 'Visa', 'MasterCard', 'American Express'],
    body: (name) => ({ Name: name, Type: 'CREDIT_CARD' }),
    defaults: { Type: 'CREDIT_CARD' },
    change: { Type: 'NON_CREDIT_CARD' },
    use: (qbo, id, tag) =>
      qbo.write('Customer', { DisplayName: `Method user ${tag}`, PaymentMethodRef: { value: id } }),
    element: 'PaymentMethodRef',
  },
  {
    entity: 'Item',
    starters: ['Services', 'Hours', 'Consulting', 'Design', 'Printed Brochure', 'Rock Fountain'],
    body: (name) => ({ Name: name, Type: 'Service', UnitPrice: 40 }),
    defaults: {
      Type: 'Service',
      UnitPrice: 40,
      Taxable: false,
      IncomeAccountRef: { value: '1', name: 'Services' },
    },
    change: { UnitPrice: 45 },
    use: (qbo, id) =>
      qbo.write('Invoice', {
        CustomerRef: { value: '1' },
        Line: [
          {
            DetailType: 'SalesItemLineDetail',
            Amount: 80,
            SalesItemLineDetail: { ItemRef: { value: id }, Qty: 2, UnitPrice: 40 },
          },
        ],
      }),
    element: 'Line.SalesItemLineDetail.ItemRef',
  },
];

describe('emulator conformance: name lists, CompanyInfo and Preferences', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company({ companyName: "Larry's Bakery" });
    await qbo.create('Customer', { DisplayName: 'Name List Customer' }); // Id 1, for Item's invoice
  });
  afterAll(() => emulator.close());

  describe.each(cases)('$entity', (list) => {
    const names = async (where = '') =>
      ((await qbo.query(`select * from ${list.entity} ${where}`)).json.QueryResponse[list.entity] ?? []).map(
        (record: { Name: string }) => record.Name,
      );

    it('starts with the default list, creates with the server-side defaults and reads back', async () => {
      expect(await names()).toEqual(list.starters);
      const response = await qbo.write(list.entity, list.body(`New ${list.entity}`));
      expect(response.status).toBe(200);
      const created = response.json[list.entity];
      expect(created).toMatchObject({
        ...list.defaults,
        Name: `New ${list.entity}`,
        Active: true,
        Id: String(list.starters.length + 1),
        SyncToken: '0',
        domain: 'QBO',
        sparse: false,
        MetaData: { CreateTime: expect.any(String), LastUpdatedTime: created.MetaData.CreateTime },
      });
      expect((await qbo.read(list.entity, created.Id)).json[list.entity]).toEqual(created);
      const used = await list.use(qbo, created.Id, 'active');
      expect(used.status).toBe(200);
      expect(JSON.stringify(used.json)).toContain(`{"value":"${created.Id}","name":"New ${list.entity}"}`);
    });

    it('updates sparsely and fully, bumping SyncToken, and refuses a stale one (5010)', async () => {
      const created = await qbo.create(list.entity, list.body(`Updated ${list.entity}`));
      const sparse = await qbo.write(list.entity, {
        Id: created.Id,
        SyncToken: '0',
        sparse: true,
        ...list.change,
      });
      expect(sparse.json[list.entity]).toMatchObject({ ...list.change, Name: created.Name, SyncToken: '1' });
      const full = await qbo.write(list.entity, {
        ...list.body(`Renamed ${list.entity}`),
        Id: created.Id,
        SyncToken: '1',
      });
      expect(full.json[list.entity]).toMatchObject({ Name: `Renamed ${list.entity}`, SyncToken: '2' });
      const stale = await qbo.write(list.entity, {
        Id: created.Id,
        SyncToken: '1',
        sparse: true,
        Active: true,
      });
      expect([stale.status, stale.json.Fault.Error[0].code]).toEqual([400, '5010']);
    });

    it('keeps Name unique, case-insensitively and on rename, with 6240', async () => {
      const expectDuplicate = (response: HttpResult) => {
        expect(response.status).toBe(400);
        expect(response.json.Fault).toMatchObject({
          type: 'ValidationFault',
          Error: [
            {
              Message: 'Duplicate Name Exists Error',
              Detail: expect.stringMatching(/^The name supplied already exists\. : /),
              code: '6240',
              element: '',
            },
          ],
        });
      };
      const starter = list.starters[1]!;
      expectDuplicate(await qbo.write(list.entity, list.body(` ${starter.toUpperCase()} `)));
      const other = await qbo.create(list.entity, list.body(`Unique ${list.entity}`));
      expectDuplicate(
        await qbo.write(list.entity, {
          Id: other.Id,
          SyncToken: '0',
          sparse: true,
          Name: starter.toLowerCase(),
        }),
      );
      expect((await qbo.read(list.entity, other.Id)).json[list.entity].Name).toBe(`Unique ${list.entity}`);
    });

    it('cannot be deleted, only made inactive; inactive ones leave default queries and cannot be referenced', async () => {
      const created = await qbo.create(list.entity, list.body(`Retired ${list.entity}`));
      const deleted = await qbo.write(
        list.entity,
        { Id: created.Id, SyncToken: '0' },
        { operation: 'delete' },
      );
      expect(deleted.status).toBe(400);
      expect(deleted.json.Fault.Error[0]).toMatchObject({ code: '500', Message: 'Unsupported Operation' });

      const before = await names();
      expect(before).toContain(created.Name);
      const count = async (where = '') =>
        (await qbo.query(`select count(*) from ${list.entity} ${where}`)).json.QueryResponse.totalCount;
      const activeCount = await count();
      const inactive = await qbo.write(list.entity, {
        Id: created.Id,
        SyncToken: '0',
        sparse: true,
        Active: false,
      });
      expect(inactive.json[list.entity]).toMatchObject({ Active: false, SyncToken: '1' });

      expect(await names()).toEqual(before.filter((name: string) => name !== created.Name));
      expect(await count()).toBe(activeCount - 1);
      expect(await names('where Active IN (true, false)')).toEqual(before);
      expect(await names('where Active = false')).toEqual([created.Name]);
      expect((await qbo.read(list.entity, created.Id)).json[list.entity].Active).toBe(false);

      const used = await list.use(qbo, created.Id, 'inactive');
      expect(used.status).toBe(400);
      expect(used.json.Fault.Error[0]).toMatchObject({ code: '610', element: list.element });
    });
  });

  it('derives a Term’s Type from DueDays or DayOfMonthDue, and checks enumerations', async () => {
    const dateDriven = await qbo.create('Term', { Name: '15th of the month', DayOfMonthDue: 15 });
    expect(dateDriven).toMatchObject({ Type: 'DATE_DRIVEN', DayOfMonthDue: 15 });
    expect(dateDriven.DueDays).toBeUndefined();
    const noName = await qbo.write('Term', { DueDays: 10 });
    expect(noName.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'Name' });
    const badType = await qbo.write('PaymentMethod', { Name: 'Barter', Type: 'GOATS' });
    expect(badType.json.Fault.Error[0]).toMatchObject({ code: '2170', element: 'Type' });
    const colon = await qbo.write('Item', { Name: 'Parent:Child' });
    expect(colon.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'Name' });
  });

  describe('CompanyInfo and Preferences', () => {
    const preferences = async (client: QboClient) => {
      const response = await client.request('GET', '/preferences');
      expect(response.status).toBe(200);
      expect(response.json.time).toEqual(expect.any(String));
      return response.json.Preferences;
    };

    it('reads Preferences with CurrencyPrefs: HomeCurrency and MultiCurrencyEnabled', async () => {
      expect(await preferences(qbo)).toMatchObject({
        Id: '1',
        domain: 'QBO',
        CurrencyPrefs: { HomeCurrency: { value: 'USD' }, MultiCurrencyEnabled: false },
        SalesFormsPrefs: { AllowEstimates: true },
      });
      const multi = await emulator.company({ companyName: 'Multi Co', multiCurrency: true });
      expect((await preferences(multi)).CurrencyPrefs).toEqual({
        HomeCurrency: { value: 'USD' },
        MultiCurrencyEnabled: true,
      });
      const queried = await qbo.query('select * from Preferences');
      expect(queried.json.QueryResponse.Preferences).toEqual([await preferences(qbo)]);
    });

    it('refuses to switch multicurrency on through the API', async () => {
      const current = await preferences(qbo);
      const refused = await qbo.write('Preferences', {
        Id: current.Id,
        SyncToken: current.SyncToken,
        sparse: true,
        CurrencyPrefs: { MultiCurrencyEnabled: true },
      });
      expect(refused.status).toBe(400);
      expect(await preferences(qbo)).toEqual(current);
    });

    it('reads CompanyInfo by realmId, and 610 for any other Id', async () => {
      const response = await qbo.read('CompanyInfo', qbo.realmId);
      expect(response.status).toBe(200);
      const info = response.json.CompanyInfo;
      expect(info).toMatchObject({
        Id: '1',
        domain: 'QBO',
        sparse: false,
        CompanyName: "Larry's Bakery",
        LegalName: "Larry's Bakery",
        Country: 'US',
        CompanyAddr: { Country: 'USA' },
        FiscalYearStartMonth: 'January',
        CompanyStartDate: '2026-03-02',
        NameValue: expect.arrayContaining([{ Name: 'SubscriptionStatus', Value: 'PAID' }]),
      });
      const queried = await qbo.query('select * from CompanyInfo');
      expect(queried.json.QueryResponse.CompanyInfo).toEqual([info]);
      const other = await qbo.read('CompanyInfo', '1234');
      expect([other.status, other.json.Fault.Error[0].code]).toEqual([400, '610']);
    });
  });
});
