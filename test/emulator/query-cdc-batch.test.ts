import { salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

describe('emulator conformance: query, CDC, batch and requestid', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
    for (const name of [
      "Adam's Candy Shop",
      'Bakery Bros',
      'Cafe Central',
      'Deli Delight',
      'Eats & Treats',
    ]) {
      await qbo.create('Customer', { DisplayName: name, CompanyName: name });
    }
  });
  afterAll(() => emulator.close());

  describe('query', () => {
    it('answers GET and POST (application/text) with the QueryResponse envelope', async () => {
      const statement =
        "SELECT * FROM Customer WHERE DisplayName LIKE '%e%' ORDERBY DisplayName DESC STARTPOSITION 1 MAXRESULTS 2";
      const viaGet = await qbo.query(statement);
      expect(viaGet.status).toBe(200);
      // maxResults counts this page; totalCount every match, as COUNT(*) does.
      const matching = await qbo.query("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE '%e%'");
      expect(matching.json.QueryResponse.totalCount).toBeGreaterThan(2);
      expect(viaGet.json.QueryResponse).toMatchObject({
        startPosition: 1,
        maxResults: 2,
        totalCount: matching.json.QueryResponse.totalCount,
      });
      expect(viaGet.json.QueryResponse.Customer.map((c: { DisplayName: string }) => c.DisplayName)).toEqual([
        'Eats & Treats',
        'Deli Delight',
      ]);
      const viaPost = await qbo.request('POST', '/query', {
        rawBody: statement,
        headers: { 'Content-Type': 'application/text' },
      });
      expect(viaPost.json.QueryResponse).toEqual(viaGet.json.QueryResponse);
    });

    it('finds names with escaped apostrophes, counts, and pages', async () => {
      const escaped = await qbo.query("select * from Customer where DisplayName = 'Adam\\'s Candy Shop'");
      expect(escaped.json.QueryResponse.Customer).toHaveLength(1);
      const count = await qbo.query('select count(*) from Customer');
      expect(count.json.QueryResponse).toEqual({ totalCount: 5 });
      const page2 = await qbo.query('select * from Customer startposition 3 maxresults 2');
      expect(page2.json.QueryResponse).toMatchObject({ startPosition: 3, maxResults: 2 });
    });

    it('returns an empty QueryResponse object when nothing matches', async () => {
      const none = await qbo.query("select * from Customer where DisplayName = 'Nobody'");
      expect(none.json.QueryResponse).toEqual({});
    });

    it('answers bad queries with a 400 ValidationFault: 4000 for syntax, 4001 for validation', async () => {
      const tooMany = await qbo.query('select * from Customer maxresults 1500');
      expect(tooMany.status).toBe(400);
      expect(tooMany.json.Fault).toMatchObject({
        type: 'ValidationFault',
        Error: [
          {
            code: '4001',
            Message: 'Invalid query',
            Detail: expect.stringContaining('value 1500 is too large. Max allowed value is 1000'),
          },
        ],
      });
      const orClause = await qbo.query("select * from Customer where DisplayName = 'a' or DisplayName = 'b'");
      expect(orClause.json.Fault.Error[0]).toMatchObject({
        code: '4000',
        Detail: expect.stringContaining('QueryParserError'),
      });
      const empty = await qbo.request('GET', '/query', { query: { query: '' } });
      expect(empty.json.Fault.Error[0].Detail).toContain('The query provided was empty');
      const unknownEntity = await qbo.query('select * from Spaceship');
      expect(unknownEntity.json.Fault.Error[0].code).toBe('4001');
    });

    it('filters on MetaData.LastUpdatedTime with offsets', async () => {
      emulator.clock.advance(60_000);
      const fresh = await qbo.create('Customer', { DisplayName: 'Fresh Market' });
      const since = new Date(Date.parse(fresh.MetaData.LastUpdatedTime) - 1000)
        .toISOString()
        .replace('Z', '+00:00');
      const result = await qbo.query(`select * from Customer where MetaData.LastUpdatedTime >= '${since}'`);
      expect(result.json.QueryResponse.Customer.map((c: { Id: string }) => c.Id)).toEqual([fresh.Id]);
    });
  });

  describe('CDC', () => {
    it('returns what changed since, full payloads, and deleted objects as stubs', async () => {
      emulator.clock.advance(1000);
      const customer = await qbo.create('Customer', { DisplayName: 'CDC Customer' });
      emulator.clock.advance(1000);
      const since = emulator.clock.now().toISOString();
      emulator.clock.advance(1000);
      const invoice = await qbo.create('Invoice', {
        CustomerRef: { value: customer.Id },
        Line: [salesLine(100)],
      });
      const gone = await qbo.create('Invoice', {
        CustomerRef: { value: customer.Id },
        Line: [salesLine(100)],
      });
      await qbo.write('Invoice', { Id: gone.Id, SyncToken: '0' }, { operation: 'delete' });
      await qbo.write('Customer', { Id: customer.Id, SyncToken: '0', sparse: true, Notes: 'changed' });

      const cdc = await qbo.request('GET', '/cdc', {
        query: { entities: 'Customer,Invoice,Estimate', changedSince: since },
      });
      expect(cdc.status).toBe(200);
      const [first] = cdc.json.CDCResponse;
      const byEntity = Object.fromEntries(
        first.QueryResponse.map((response: Record<string, unknown>) => [
          Object.keys(response).find((key) => /^[A-Z]/.test(key)),
          response,
        ]),
      );
      expect(byEntity.Customer.Customer.map((c: { Id: string }) => c.Id)).toEqual([customer.Id]);
      expect(byEntity.Customer.Customer[0].Notes).toBe('changed');
      expect(byEntity.Invoice.Invoice).toEqual([
        expect.objectContaining({ Id: invoice.Id, TotalAmt: 100 }),
        { domain: 'QBO', status: 'Deleted', Id: gone.Id, MetaData: { LastUpdatedTime: expect.any(String) } },
      ]);
      expect(byEntity.Estimate).toBeUndefined();
    });

    it('answers no changes with an empty QueryResponse, and refuses a window older than 30 days', async () => {
      const later = new Date(emulator.clock.now().getTime() + 60_000).toISOString();
      const none = await qbo.request('GET', '/cdc', { query: { entities: 'Customer', changedSince: later } });
      expect(none.json.CDCResponse).toEqual([{ QueryResponse: [{}] }]);
      const old = new Date(emulator.clock.now().getTime() - 31 * 86_400_000).toISOString();
      const tooOld = await qbo.request('GET', '/cdc', { query: { entities: 'Customer', changedSince: old } });
      expect(tooOld.status).toBe(400);
      expect(tooOld.json.Fault.Error[0].element).toBe('changedSince');
      const missing = await qbo.request('GET', '/cdc', { query: { changedSince: later } });
      expect(missing.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'entities' });
    });

    it('caps each entity at 1,000 objects and reports the full count', async () => {
      const big = await emulator.company({ companyName: 'Big Co' });
      const since = emulator.clock.now().toISOString();
      emulator.clock.advance(1000);
      const seeded = await emulator.admin('POST', `/companies/${big.realmId}/seed`, {
        customers: 1100,
        transactions: 0,
      });
      expect(seeded.json.customers).toBe(1100);
      const cdc = await big.request('GET', '/cdc', { query: { entities: 'Customer', changedSince: since } });
      const response = cdc.json.CDCResponse[0].QueryResponse[0];
      expect(response.Customer).toHaveLength(1000);
      expect(response).toMatchObject({ maxResults: 1000, totalCount: 1100 });
    });
  });

  describe('batch', () => {
    it('runs up to 30 independent items and answers each, faults included, in an HTTP 200', async () => {
      const existing = await qbo.create('Customer', { DisplayName: 'Batch Existing' });
      const response = await qbo.request('POST', '/batch', {
        body: {
          BatchItemRequest: [
            { bId: 'bid1', operation: 'create', Customer: { DisplayName: 'Batch New' } },
            { bId: 'bid2', operation: 'create', Customer: { DisplayName: 'Batch Existing' } },
            {
              bId: 'bid3',
              operation: 'update',
              Customer: { Id: existing.Id, SyncToken: '0', sparse: true, Notes: 'batched' },
            },
            { bId: 'bid4', Query: "select * from Customer where DisplayName = 'Batch Existing'" },
            { bId: 'bid5', operation: 'delete', Customer: { Id: existing.Id, SyncToken: '1' } },
          ],
        },
      });
      expect(response.status).toBe(200);
      const items = Object.fromEntries(
        response.json.BatchItemResponse.map((item: { bId: string }) => [item.bId, item]),
      );
      expect(items.bid1.Customer.DisplayName).toBe('Batch New');
      expect(items.bid2.Fault).toMatchObject({ type: 'ValidationFault', Error: [{ code: '6240' }] });
      expect(items.bid3.Customer).toMatchObject({ Notes: 'batched', SyncToken: '1' });
      expect(items.bid4.QueryResponse.Customer[0].Notes).toBe('batched');
      expect(items.bid5.Fault.Error[0].code).toBe('500');
    });

    it('refuses a batch of more than 30 items as a whole', async () => {
      const items = Array.from({ length: 31 }, (_, index) => ({
        bId: `b${index}`,
        Query: 'select * from Term',
      }));
      const response = await qbo.request('POST', '/batch', { body: { BatchItemRequest: items } });
      expect(response.status).toBe(400);
      expect(response.json.Fault.Error[0].element).toBe('BatchItemRequest');
    });
  });

  describe('requestid', () => {
    it('replays the first response for a repeated requestid and never creates twice', async () => {
      const body = { DisplayName: 'Idempotent LLC' };
      const first = await qbo.write('Customer', body, { requestid: 'create-idempotent-llc' });
      const again = await qbo.write('Customer', body, { requestid: 'create-idempotent-llc' });
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.json.Customer).toEqual(first.json.Customer);
      const found = await qbo.query("select count(*) from Customer where DisplayName = 'Idempotent LLC'");
      expect(found.json.QueryResponse.totalCount).toBe(1);
      const fresh = await qbo.write('Customer', body, { requestid: 'another-id' });
      expect(fresh.json.Fault.Error[0].code).toBe('6240');
    });

    it('rejects a requestid longer than 50 characters', async () => {
      const response = await qbo.write('Customer', { DisplayName: 'Long Id' }, { requestid: 'x'.repeat(51) });
      expect(response.status).toBe(400);
      expect(response.json.Fault.Error[0].element).toBe('requestid');
    });
  });
});
