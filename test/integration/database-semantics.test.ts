import { acquireLease, claimModel } from '../../src/db/claims';
import { connectMongo } from '../../src/db/connect';
import { openTestDatabase, type TestDatabase } from '../support/env';

/**
 * What qbo-sync relies on from the database, checked on the server the suite runs against (FerretDB by default,
 * MongoDB 7 when MONGODB_URI points at one). Conditional updates are deliberately not relied on for
 * one-winner decisions: on FerretDB 1.x (SQLite) concurrent `updateOne({ _id, version })` calls from several
 * connections can all succeed. Unique-key inserts are atomic on both.
 */
describe('database semantics the sync engine builds on', () => {
  let db: TestDatabase;
  let workers: Awaited<ReturnType<typeof connectMongo>>[];

  beforeAll(async () => {
    db = await openTestDatabase('semantics');
    workers = await Promise.all([1, 2, 3, 4].map(() => connectMongo(db.uri, 5000)));
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.disconnect()));
    await db.close();
  });

  // Every hot-path read and write goes by _id; on FerretDB that is fast only with the build's id-index fix.
  it('looks a document up by _id through the _id index', async () => {
    const things = db.mongoose.connection.db!.collection('by_id');
    await things.insertMany([{ _id: 'a' as never }, { _id: 'b' as never }]);
    const plan = (await things.find({ _id: 'a' as never }).explain()) as {
      serverInfo?: { ferretdbVersion?: string };
      queryPlanner?: { Plan?: string[]; winningPlan?: { stage?: string; inputStage?: { stage?: string } } };
    };
    if (plan.serverInfo?.ferretdbVersion) expect(plan.queryPlanner?.Plan?.join(' ')).toMatch(/USING INDEX/);
    else expect(JSON.stringify(plan.queryPlanner?.winningPlan)).toMatch(/IDHACK|EXPRESS|IXSCAN/);
  });

  it('lets exactly one of many concurrent inserts of the same _id win', async () => {
    for (let round = 0; round < 20; round += 1) {
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, index) =>
          workers[index % workers.length]!.connection.db!.collection('one_winner').insertOne({
            _id: `key-${round}` as never,
            by: index,
          }),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    }
  });

  it('grants a lease to one worker at a time, and to the next one once it has expired', async () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const attempts = await Promise.all(
      workers.map((worker, index) =>
        acquireLease(claimModel(worker.connection), 'scope-a', `w${index}`, 30_000, now),
      ),
    );
    expect(attempts.filter(Boolean)).toHaveLength(1);
    const claims = claimModel(db.mongoose.connection);
    expect(await acquireLease(claims, 'scope-a', 'late', 30_000, new Date(now.getTime() + 10_000))).toBe(
      false,
    );
    const later = new Date(now.getTime() + 31_000);
    const takeovers = await Promise.all(
      workers.map((worker, index) =>
        acquireLease(claimModel(worker.connection), 'scope-a', `t${index}`, 30_000, later),
      ),
    );
    expect(takeovers.filter(Boolean)).toHaveLength(1);
    expect(await claims.countDocuments({ _id: /^scope-a#/ })).toBe(2);
  });
});
