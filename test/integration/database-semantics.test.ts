import type { Collection, Document } from 'mongodb';
import { connectMongo } from '../../src/db/connect';
import { eventually, openTestDatabase, type TestDatabase } from '../support/env';

/**
 * The single-document guarantees qbo-sync's data layer is written for, checked on the server the suite runs against
 * (the embedded server by default, MongoDB 7 when MONGODB_URI names one), each by 20 clients with a connection of
 * their own, as separate worker and API processes would be. A server that applies an update to a document it read
 * before another writer's update landed (FerretDB 1.24, which the stack once ran) fails the first three; MongoDB
 * and the embedded server pass all.
 */
const clientCount = 20;

describe('database semantics the data layer builds on', () => {
  let db: TestDatabase;
  let clients: Awaited<ReturnType<typeof connectMongo>>[];
  /** The same collection as each of the 20 clients sees it. */
  const collectionOf = (name: string): Collection<Document>[] =>
    clients.map((client) => client.connection.db!.collection(name));

  beforeAll(async () => {
    db = await openTestDatabase('semantics');
    const uri = new URL(db.uri);
    uri.searchParams.set('maxPoolSize', '1');
    clients = await Promise.all(
      Array.from({ length: clientCount }, () => connectMongo(uri.toString(), 10_000)),
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.disconnect()));
    await db.close();
  });

  it('applies every concurrent $inc of one document by _id (findOneAndUpdate)', async () => {
    const perClient = 50;
    const counters = collectionOf('counters');
    await counters[0]!.insertOne({ _id: 'c' as never, n: 0 });
    await Promise.all(
      counters.map(async (counter) => {
        for (let i = 0; i < perClient; i += 1)
          await counter.findOneAndUpdate({ _id: 'c' as never }, { $inc: { n: 1 } });
      }),
    );
    expect(await counters[0]!.findOne({ _id: 'c' as never })).toEqual({
      _id: 'c',
      n: clientCount * perClient,
    });
  });

  it('lets exactly one of two compare-and-swaps on the same version win, so no win is lost', async () => {
    const winsPerClient = 5;
    const versions = collectionOf('versions');
    await versions[0]!.insertOne({ _id: 'v' as never, v: 0 });
    const wins = await Promise.all(
      versions.map(async (version, client) => {
        let won = 0;
        while (won < winsPerClient) {
          const seen = (await version.findOne({ _id: 'v' as never }))!.v as number;
          const result = await version.updateOne(
            { _id: 'v' as never, v: seen },
            { $set: { v: seen + 1, by: client } },
          );
          won += result.modifiedCount;
        }
        return won;
      }),
    );
    const total = wins.reduce((sum, won) => sum + won, 0);
    expect(total).toBe(clientCount * winsPerClient);
    // Every win moved the version by one: a lost win would leave it behind the count.
    expect((await versions[0]!.findOne({ _id: 'v' as never }))!.v).toBe(total);
  }, 120_000);

  it('keeps every field that concurrent writers $set on one document, each its own', async () => {
    const writesPerClient = 20;
    const documents = collectionOf('fields');
    await documents[0]!.insertOne({ _id: 'd' as never });
    await Promise.all(
      documents.map(async (document, client) => {
        for (let i = 1; i <= writesPerClient; i += 1)
          await document.updateOne({ _id: 'd' as never }, { $set: { [`f${client}`]: i } });
      }),
    );
    const stored = await documents[0]!.findOne({ _id: 'd' as never });
    for (let client = 0; client < clientCount; client += 1)
      expect(stored![`f${client}`]).toBe(writesPerClient);
  });

  it('lets exactly one of many concurrent inserts of one unique key win, by _id and by a unique index', async () => {
    const byIds = collectionOf('unique_ids');
    const keyed = collectionOf('unique_keys');
    await keyed[0]!.createIndex({ account: 1, key: 1 }, { unique: true });
    for (let round = 0; round < 10; round += 1) {
      const byId = await Promise.allSettled(
        byIds.map((collection, client) => collection.insertOne({ _id: `id-${round}` as never, client })),
      );
      expect(byId.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const byIndex = await Promise.allSettled(
        keyed.map((collection, client) => collection.insertOne({ account: 'a', key: round, client })),
      );
      expect(byIndex.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(byIndex.filter((result) => result.status === 'rejected')).toEqual(
        Array.from({ length: clientCount - 1 }, () =>
          expect.objectContaining({ reason: expect.objectContaining({ code: 11000 }) }),
        ),
      );
    }
  });

  it('counts only the stored documents of an unordered insert that hit a duplicate', async () => {
    const events = db.mongoose.connection.db!.collection('insert_counts');
    const failure = await events
      .insertMany([{ _id: 'a' }, { _id: 'b' }, { _id: 'a' }] as never[], { ordered: false })
      .then(() => null)
      .catch((error: unknown) => error as { insertedCount?: number; code?: number });
    expect(failure).toMatchObject({ code: 11000, insertedCount: 2 });
  });

  it('serves equality-and-range queries from a compound index, and _id lookups from the _id index', async () => {
    const jobs = db.mongoose.connection.db!.collection('plans');
    await jobs.createIndex({ accountId: 1, status: 1, dueAt: 1 });
    await jobs.insertMany(
      Array.from({ length: 50 }, (_, i) => ({
        _id: `job-${i}` as never,
        accountId: `acct-${i % 5}`,
        status: i % 2 ? 'pending' : 'done',
        dueAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
      })),
    );
    const stagesOf = async (filter: Document): Promise<string> =>
      JSON.stringify((await jobs.find(filter).explain()).queryPlanner.winningPlan);
    expect(await stagesOf({ accountId: 'acct-1', status: 'pending', dueAt: { $lte: new Date() } })).toMatch(
      /IXSCAN/,
    );
    expect(await stagesOf({ _id: 'job-3' })).toMatch(/IDHACK|EXPRESS|IXSCAN/);
    const found = await jobs
      .find({
        accountId: 'acct-1',
        status: 'pending',
        dueAt: { $lte: new Date(Date.UTC(2026, 0, 1, 0, 20)) },
      })
      .sort({ dueAt: 1 })
      .toArray();
    expect(found.map((job) => job._id)).toEqual(['job-1', 'job-11']);
  });

  it('answers a plain create of a collection that exists with ok, as MongoDB 7 does (SERVER-60064)', async () => {
    const database = db.mongoose.connection.db!;
    await database.command({ create: 'created-twice' });
    await expect(database.command({ create: 'created-twice' })).resolves.toMatchObject({ ok: 1 });
    const names = (await database.listCollections({}, { nameOnly: true }).toArray()).map(({ name }) => name);
    expect(names.filter((name) => name === 'created-twice')).toHaveLength(1);
  });

  it('expires documents past a TTL index and leaves the rest', async () => {
    const sessions = db.mongoose.connection.db!.collection('ttl');
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    const past = new Date(Date.now() - 60_000);
    await sessions.insertMany([
      { _id: 'expired' as never, expiresAt: past },
      { _id: 'alive' as never, expiresAt: new Date(Date.now() + 3_600_000) },
      // Not a date: MongoDB's monitor never expires it.
      { _id: 'not-a-date' as never, expiresAt: 'yesterday' },
    ]);
    // MongoDB sweeps every 60 s; the suite's embedded server every 2 s.
    const left = await eventually(
      async () => (await sessions.find({}).sort({ _id: 1 }).toArray()).map((doc) => doc._id),
      (ids) => !ids.includes('expired' as never),
      90_000,
    );
    expect(left).toEqual(['alive', 'not-a-date']);
  }, 120_000);
});
