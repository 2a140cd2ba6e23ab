import type { Mongoose } from 'mongoose';
import { connectMongo } from '../../src/db/connect';
import { budgetUsed, mongoMinuteCounter } from '../../src/db/models/qbo-budget';
import { testMongoUri } from '../support/env';

/**
 * Several workers counting QBO requests in the shared per-realm budget at once, each through a MongoDB connection
 * of its own (six connections stand in for six worker processes), on the server the suite runs against (the
 * embedded MongoDB-wire server by default). The token race in tokens.test.ts first showed QBO calls failing with
 * "E11000 … qbo_budget" when its probes started in a fresh minute. test/integration/database-semantics.test.ts covers
 * the writes the engine relies on (unique inserts, leases).
 */
describe('chaos: several workers sharing the QBO request budget', () => {
  const uri = testMongoUri('chaos_writes');
  let workers: Mongoose[] = [];

  beforeAll(async () => {
    workers = await Promise.all(Array.from({ length: 6 }, () => connectMongo(uri, 5000)));
  });
  afterAll(async () => {
    await workers[0]?.connection.dropDatabase();
    await Promise.all(workers.map((worker) => worker.disconnect()));
  });

  // Counters are kept for a day after their minute (a TTL index that the test server sweeps every 2 s): minutes of
  // the coming hours, so that none is swept away while it is counted.
  const minuteFromNow = (minutes: number) =>
    new Date((Math.floor(Date.now() / 60_000) + 60 + minutes) * 60_000);

  const incrementAll = (realmId: string, minute: Date) =>
    Promise.allSettled(
      workers.map((worker) => mongoMinuteCounter(worker.connection).increment(realmId, minute)),
    );

  // A shared upsert of the minute's document failed here with a duplicate key error, and so did the QBO call.
  it('lets every worker count the first QBO requests of a minute in the shared budget; none fails', async () => {
    const failures: string[] = [];
    const counted: number[] = [];
    for (let minute = 0; minute < 5; minute += 1) {
      const start = minuteFromNow(minute);
      const outcomes = await incrementAll('9341', start);
      for (const outcome of outcomes)
        if (outcome.status === 'rejected') failures.push(String(outcome.reason).slice(0, 80));
      counted.push((await budgetUsed(workers[0]!.connection, '9341', start)).thisMinute);
    }
    expect(failures).toEqual([]);
    // Each minute began with this race (nothing counted before it), and every worker's request was counted.
    expect(counted).toEqual(Array.from({ length: 5 }, () => workers.length));
  });

  // Every worker $incs the realm's minute counter: a server that applied an $inc to a stale read would count fewer
  // requests than were made (FerretDB 1.x, which the stack once ran, counted 31 as 6).
  it('counts every QBO request made by concurrent workers, so the 500-a-minute budget holds', async () => {
    const minute = minuteFromNow(10);
    await mongoMinuteCounter(workers[0]!.connection).increment('9342', minute);
    for (let round = 0; round < 5; round += 1) await incrementAll('9342', minute);
    const counted = await budgetUsed(workers[0]!.connection, '9342', new Date(minute.getTime() + 1000));
    expect(counted.thisMinute).toBe(1 + 5 * workers.length);
  });
});
