import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * QBO's products and services kept per connection and offered to the CRM: the backfill reads the catalogue, CDC and
 * webhooks keep it, the feed pages it, and each change made in QBO is a `product.*` event. Over real HTTP: the API,
 * a worker, Temporal, the database and the emulator.
 */
describe('products: the QuickBooks catalogue in the feed and as events', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account, { company: { companyName: 'Catalogue Co' } });
    qbo = await harness.qboFor(connection.realmId);
    await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json,
      (body) => body.backfill?.status === 'done',
      30_000,
      'the backfill',
    );
  }, 60_000);
  afterAll(() => harness?.close());

  const feed = async (changedSince = '1970-01-01T00:00:00Z', extra = '') =>
    harness.request(
      'GET',
      `/v1/products?changedSince=${encodeURIComponent(changedSince)}&connectionId=${connection.id}${extra}`,
    );
  const events = async (type: string) =>
    (await harness.request('GET', `/v1/events?type=${type}&connectionId=${connection.id}`)).json.data;

  it('reads the whole catalogue in the backfill, SKUs included, and pages it', async () => {
    const all = await feed();
    expect(all.status).toBe(200);
    const byName = new Map(all.json.data.map((product: any) => [product.name, product]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        'Services',
        'Hours',
        'Consulting',
        'Design',
        'Printed Brochure',
        'Rock Fountain',
      ]),
    );
    expect(byName.get('Rock Fountain')).toMatchObject({
      connectionId: connection.id,
      sku: 'RF-275',
      type: 'Inventory',
      active: true,
      incomeAccount: { id: expect.any(String), name: expect.any(String) },
    });
    expect(byName.get('Printed Brochure')).toMatchObject({ sku: 'BRO-100', type: 'NonInventory' });
    // The backfill announces nothing: the CRM reads the initial load from the feed.
    expect(await events('product.created')).toEqual([]);

    const first = await feed(undefined, '&limit=2');
    expect(first.json.data).toHaveLength(2);
    const second = await feed(undefined, `&limit=200&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect([...first.json.data, ...second.json.data].map((product: any) => product.qboItemId)).toEqual(
      all.json.data.map((product: any) => product.qboItemId),
    );
  });

  it('announces an item created and changed in QuickBooks, and the feed follows', async () => {
    const before = new Date().toISOString();
    const item = await qbo.create('Item', {
      Name: 'Garden Design',
      Type: 'Service',
      Sku: 'GD-1',
      UnitPrice: 120,
      Description: 'Design of a small garden',
      IncomeAccountRef: { value: '1' },
    });
    const [created] = await eventually(
      () => events('product.created'),
      (found) => found.length > 0,
      20_000,
      'product.created',
    );
    expect(created.data.product).toMatchObject({
      qboItemId: item.Id,
      name: 'Garden Design',
      sku: 'GD-1',
      unitPrice: 120,
      description: 'Design of a small garden',
      type: 'Service',
      taxable: false,
    });

    const edited = await qbo.write('Item', {
      Id: item.Id,
      SyncToken: item.SyncToken,
      sparse: true,
      UnitPrice: 135,
    });
    expect(edited.status).toBe(200);
    const [updated] = await eventually(
      () => events('product.updated'),
      (found) => found.length > 0,
      20_000,
      'product.updated',
    );
    expect(updated.data.product).toMatchObject({ qboItemId: item.Id, unitPrice: 135 });

    const changed = await feed(before);
    expect(changed.json.data.map((product: any) => [product.qboItemId, product.unitPrice])).toEqual([
      [item.Id, 135],
    ]);
  });

  it('refuses a feed without changedSince, naming the field, and another account’s connection', async () => {
    const missing = await harness.request('GET', '/v1/products');
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ code: 'validation_failed', field: 'query.changedSince' });
    const other = await harness.newAccount('Other CRM');
    const foreign = await harness.request(
      'GET',
      `/v1/products?changedSince=1970-01-01T00:00:00Z&connectionId=${connection.id}`,
      { key: other.key },
    );
    expect(foreign.status).toBe(404);
  });
});
