import { qboQuery, QboApiError, requestIdFor, type BatchItem } from '../../src/qbo';
import { salesLine, startTestEmulator, type TestEmulator } from '../support/emulator';
import { lastRequests, newRealm, type TestRealm } from './support';

describe('QboClient queries, CDC and batch against the emulator', () => {
  let emulator: TestEmulator;
  let realm: TestRealm;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    realm = await newRealm(emulator);
  });
  afterAll(() => emulator.close());

  describe('query', () => {
    it('finds names with apostrophes and backslashes through qboQuery', async () => {
      const { client } = realm;
      const names = ["O'Brien", "Adam's Candy Shop", 'Back\\slash & Co', "Rock 'n' Roll\\"];
      for (const name of names)
        await client.create('Customer', { DisplayName: name }, requestIdFor('q', name));
      for (const name of names) {
        const page = await client.query(qboQuery`select * from Customer where DisplayName = ${name}`, {
          entity: 'Customer',
        });
        expect(page.rows.map((row) => row.DisplayName)).toEqual([name]);
        expect(page).toMatchObject({ entity: 'Customer', startPosition: 1, maxResults: 1 });
      }
      // The classic bug, for contrast: the unescaped apostrophe is a 4000 parse error.
      await expect(
        client.query("select * from Customer where DisplayName = 'O'Brien'"),
      ).rejects.toMatchObject({
        kind: 'validation',
        code: '4000',
      });
    });

    it('passes % through to LIKE as its wildcard', async () => {
      const { client } = realm;
      const page = await client.query(
        qboQuery`select * from Customer where DisplayName like ${"%'%"} orderby DisplayName`,
      );
      expect(page.rows.map((row) => row.DisplayName)).toEqual([
        "Adam's Candy Shop",
        "O'Brien",
        "Rock 'n' Roll\\",
      ]);
    });

    it('reads an empty result as no rows, and a lower-case entity name canonically', async () => {
      const page = await realm.client.query(qboQuery`select * from customer where DisplayName = ${'Nobody'}`);
      expect(page).toEqual({ entity: 'Customer', rows: [], startPosition: 1, maxResults: 0 });
    });

    it('reports an invalid query as validation (4001) with the parser detail', async () => {
      const error = await realm.client
        .query('select * from Customer maxresults 1500')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QboApiError);
      expect(error).toMatchObject({ kind: 'validation', code: '4001' });
      expect((error as QboApiError).detail).toContain('Max allowed value is 1000');
    });

    it('pages through 2,500 customers with queryAll, stopping at the first short page', async () => {
      const big = await newRealm(emulator, { companyName: 'Paging Co' });
      const seeded = await emulator.admin('POST', `/companies/${big.realmId}/seed`, {
        customers: 2500,
        transactions: 0,
      });
      expect(seeded.status).toBe(200);
      const count = await big.client.query('select count(*) from Customer');
      expect(count.totalCount).toBe(2500);

      const sizes: number[] = [];
      const ids = new Set<string>();
      for await (const page of big.client.queryAll('Customer')) {
        sizes.push(page.rows.length);
        for (const row of page.rows) ids.add(row.Id);
      }
      // Only some of Intuit's samples carry totalCount on SELECT *: the pager stops at the first short page instead.
      expect(sizes).toEqual([1000, 1000, 500]);
      expect(ids.size).toBe(2500);
      const queries = (await lastRequests(emulator, big.realmId, 3)).map((request) => request.query.query);
      expect(queries).toEqual([
        'select * from Customer startposition 1 maxresults 1000',
        'select * from Customer startposition 1001 maxresults 1000',
        'select * from Customer startposition 2001 maxresults 1000',
      ]);

      // An exact multiple of the page size ends on an empty page; a condition is applied to every page.
      const exact: number[] = [];
      for await (const page of big.client.queryAll('Customer', undefined, 500)) exact.push(page.rows.length);
      expect(exact).toEqual([500, 500, 500, 500, 500, 0]);
      let active = 0;
      for await (const page of big.client.queryAll('Customer', qboQuery`Active = ${true}`, 1000)) {
        active += page.rows.length;
        expect(page.rows.every((row) => row.Active === true)).toBe(true);
      }
      expect(active).toBe(2500);
    });
  });

  describe('cdc', () => {
    it('returns changed records and a deleted invoice, with the server time as the next cursor', async () => {
      const { client } = realm;
      const customer = await client.create('Customer', { DisplayName: 'CDC Corner' }, requestIdFor('cdc-c'));
      const doomed = await client.create(
        'Invoice',
        { CustomerRef: { value: customer.Id }, Line: [salesLine(30)] },
        requestIdFor('cdc-doomed'),
      );
      emulator.clock.advance(2000);
      const since = emulator.clock.now();
      emulator.clock.advance(2000);
      const kept = await client.create(
        'Invoice',
        { CustomerRef: { value: customer.Id }, Line: [salesLine(70)] },
        requestIdFor('cdc-kept'),
      );
      await client.delete('Invoice', { Id: doomed.Id, SyncToken: doomed.SyncToken }, requestIdFor('cdc-del'));
      emulator.clock.advance(1000);

      const result = await client.cdc(['Customer', 'Invoice', 'Estimate'], since);
      expect(Date.parse(result.time)).toBe(emulator.clock.now().getTime());
      expect(result.changes.Invoice.records.map((invoice) => invoice.Id)).toEqual([kept.Id]);
      expect(result.changes.Invoice.records[0]).toMatchObject({ TotalAmt: 70, Balance: 70 });
      expect(result.changes.Invoice.deleted).toEqual([
        { Id: doomed.Id, LastUpdatedTime: expect.any(String) },
      ]);
      // The customer's balance moved but that does not count as a change of the customer; it was created before.
      expect(result.changes.Customer.records.map((c) => c.Id)).not.toContain(customer.Id);
      expect(result.changes.Estimate).toEqual({ records: [], deleted: [], rejected: [], capped: false });
      expect(result.changes.Invoice.capped).toBe(false);

      // The returned time is the cursor: nothing changed after it.
      const next = await client.cdc(['Customer', 'Invoice'], new Date(result.time));
      expect(next.changes.Invoice.records).toEqual([]);
      expect(next.changes.Invoice.deleted).toEqual([]);
    });

    it('flags an entity that hit the 1,000-object cap', async () => {
      const big = await newRealm(emulator, { companyName: 'Capped Co' });
      const since = emulator.clock.now();
      emulator.clock.advance(1000);
      const seeded = await emulator.admin('POST', `/companies/${big.realmId}/seed`, {
        customers: 1100,
        transactions: 0,
      });
      expect(seeded.status).toBe(200);
      const result = await big.client.cdc(['Customer', 'Invoice'], since);
      expect(result.changes.Customer.records).toHaveLength(1000);
      expect(result.changes.Customer).toMatchObject({ capped: true, totalCount: 1100, rejected: [] });
      expect(result.changes.Invoice.capped).toBe(false);
    });
  });

  describe('batch', () => {
    it('answers each item on its own, a per-item fault included', async () => {
      const { client } = realm;
      const existing = await client.create('Customer', { DisplayName: 'Batch Base' }, requestIdFor('b-base'));
      const items: BatchItem[] = [
        { bId: 'new', operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch Fresh' } },
        { bId: 'dup', operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch Base' } },
        {
          bId: 'upd',
          operation: 'update',
          entity: 'Customer',
          body: { Id: existing.Id, SyncToken: existing.SyncToken, Notes: 'batched' },
        },
        {
          bId: 'q',
          operation: 'query',
          query: qboQuery`select * from Customer where DisplayName = ${'Batch Base'}`,
        },
      ];
      const results = await client.batch(items, requestIdFor('batch', '1'));
      expect(results.map((result) => [result.bId, result.ok])).toEqual([
        ['new', true],
        ['dup', false],
        ['upd', true],
        ['q', true],
      ]);
      const [created, duplicate, updated, query] = results;
      expect(created).toMatchObject({ ok: true, operation: 'create', entity: 'Customer' });
      if (created?.ok && created.operation === 'create')
        expect(created.record.DisplayName).toBe('Batch Fresh');
      expect(duplicate).toMatchObject({ ok: false });
      if (duplicate && !duplicate.ok) {
        expect(duplicate.error).toBeInstanceOf(QboApiError);
        expect(duplicate.error).toMatchObject({ kind: 'duplicate-name', code: '6240', retryable: false });
      }
      if (updated?.ok && updated.operation === 'update') {
        expect(updated.record).toMatchObject({ Notes: 'batched', SyncToken: '1' });
      } else throw new Error('the update item failed');
      if (query?.ok && query.operation === 'query') {
        expect(query.page.rows).toHaveLength(1);
        expect(query.page.rows[0]?.Id).toBe(existing.Id);
      } else throw new Error('the query item failed');

      const [sent] = await lastRequests(emulator, realm.realmId, 1);
      expect(sent!.path).toBe('/batch');
      expect(sent!.query.requestid).toHaveLength(36);
      expect(sent!.body.BatchItemRequest[2].Customer.sparse).toBe(true);
    });

    it('voids and deletes in a batch, and a refused delete fails only its item', async () => {
      const { client } = realm;
      const customer = await client.create('Customer', { DisplayName: 'Batch Voids' }, requestIdFor('bv-c'));
      const make = (key: string) =>
        client.create(
          'Invoice',
          { CustomerRef: { value: customer.Id }, Line: [salesLine(12)] },
          requestIdFor(key),
        );
      const [one, two] = [await make('bv-1'), await make('bv-2')];
      const results = await client.batch(
        [
          {
            bId: 'void',
            operation: 'void',
            entity: 'Invoice',
            body: { Id: one.Id, SyncToken: one.SyncToken },
          },
          {
            bId: 'del',
            operation: 'delete',
            entity: 'Invoice',
            body: { Id: two.Id, SyncToken: two.SyncToken },
          },
          // An Id that does not exist: QBO answers this item alone with a fault.
          {
            bId: 'gone',
            operation: 'delete',
            entity: 'Invoice',
            body: { Id: '999999', SyncToken: '0' },
          },
        ],
        requestIdFor('batch', '2'),
      );
      expect(results[0]).toMatchObject({ ok: true, operation: 'void', record: { Id: one.Id, TotalAmt: 0 } });
      expect(results[1]).toMatchObject({
        ok: true,
        operation: 'delete',
        record: { Id: two.Id, status: 'Deleted' },
      });
      expect(results[2]).toMatchObject({ ok: false, error: { kind: 'not-found', code: '610' } });
    });
  });
});
