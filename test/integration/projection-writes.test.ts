import { applyRecords, type ProjectionContext } from '../../src/projections/apply';
import { customerKey, qboCustomerModel } from '../../src/projections/models';
import type { QboCustomer } from '../../src/sync/customer-mapping';
import { openTestDatabase, type TestDatabase } from '../support/env';

/** How QBO's records are stored: versions guarded by SyncToken, whether a page is read against what is held first. */
describe('projection writes', () => {
  let db: TestDatabase;
  const context = (): ProjectionContext => ({
    db: db.mongoose.connection,
    connectionId: 'conn-pages',
    environment: 'sandbox',
    homeCurrency: 'USD',
    today: '2026-12-08',
    now: new Date('2026-12-08T12:00:00Z'),
  });
  const customer = (
    id: number,
    syncToken: number,
    at: string,
    notes = 'first',
  ): QboCustomer & { Id: string } => ({
    Id: String(id),
    SyncToken: String(syncToken),
    DisplayName: `Customer ${id}`,
    Notes: notes,
    MetaData: { LastUpdatedTime: at },
  });
  const held = (id: number) =>
    qboCustomerModel(db.mongoose.connection)
      .findById(customerKey('conn-pages', String(id)))
      .lean();

  beforeAll(async () => {
    db = await openTestDatabase('projection');
  });
  afterAll(() => db.close());

  it('writes a page expected new against what is held: the overlap unchanged, a newer version with its field times kept', async () => {
    const firstAt = '2026-12-08T10:00:00Z';
    const secondAt = '2026-12-08T11:00:00Z';
    await applyRecords(
      context(),
      'Customer',
      [1, 2, 3].map((id) => customer(id, 0, firstAt)),
    );
    // The next page overlaps the first: customer 2 as held, customer 3 edited since (a newer version), 4 new.
    const result = await applyRecords(
      context(),
      'Customer',
      [customer(2, 0, firstAt), customer(3, 1, secondAt, 'edited'), customer(4, 0, secondAt)],
      { expectNew: true },
    );
    expect(result.applied).toBe(2);
    expect(result.unchanged).toBe(1);
    expect(result.changed.map(({ record, created }) => [record.Id, created]).sort()).toEqual([
      ['3', false],
      ['4', true],
    ]);
    const edited = await held(3);
    expect(edited?.syncToken).toBe(1);
    expect(edited?.fields).toMatchObject({ notes: 'edited', displayName: 'Customer 3' });
    // The name QBO held already keeps its time; only the edited notes are as old as the new version.
    expect(edited?.fieldTimes).toMatchObject({
      displayName: Date.parse(firstAt),
      notes: Date.parse(secondAt),
    });
    expect((await held(2))?.syncToken).toBe(0);
    expect((await held(4))?.fields).toMatchObject({ displayName: 'Customer 4' });
  });

  it('never lets an older version expected new replace a newer one held', async () => {
    await applyRecords(context(), 'Customer', [customer(10, 5, '2026-12-08T11:30:00Z', 'newest')]);
    const result = await applyRecords(
      context(),
      'Customer',
      [customer(10, 4, '2026-12-08T11:00:00Z', 'older')],
      {
        expectNew: true,
      },
    );
    expect(result).toMatchObject({ applied: 0, unchanged: 1, changed: [] });
    expect(await held(10)).toMatchObject({ syncToken: 5, fields: { notes: 'newest' } });
  });
});
