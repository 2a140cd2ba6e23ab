/**
 * The embedded database at 100,000 documents: does it serve from an index the queries the hot paths make? Starts the
 * embedded server (persistent, as `npm start` runs it) on a temporary folder, or uses MONGODB_URI, and times each
 * query shape the code relies on, median of 20 runs: `npm run bench:database [-- --documents 100000]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectMongo } from '../src/db/connect';
import { startMongoServer } from '../src/stack/services';
import { ensureJavaTool, javaTools } from '../src/stack/tools';
import { median } from './lib/stats';

const { values } = parseArgs({ options: { documents: { type: 'string', default: '100000' } } });
const documents = Number(values.documents);
const runs = 20;
const accounts = 100;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qbo-db-bench-'));
  const external = process.env.MONGODB_URI;
  const server = external
    ? undefined
    : await startMongoServer({
        binary: (await ensureJavaTool(javaTools.mongoServer, () => undefined)).path,
        dataDir,
      });
  const mongo = await connectMongo(`${(external ?? server!.uri).replace(/\/$/, '')}/qbo_db_bench`, 10_000);
  try {
    const events = mongo.connection.db!.collection('events');
    await events.drop().catch(() => undefined);
    // The shape of outbound events and sync events: an owner, a status, a time.
    await events.createIndex({ accountId: 1, status: 1, at: -1 });
    const loadStart = performance.now();
    for (let start = 0; start < documents; start += 5_000) {
      await events.insertMany(
        Array.from({ length: Math.min(5_000, documents - start) }, (_, offset) => {
          const index = start + offset;
          return {
            _id: `evt_${index}` as never,
            accountId: `acct_${index % accounts}`,
            status: index % 20 === 0 ? 'pending' : 'delivered',
            at: new Date(Date.UTC(2026, 0, 1) + index * 1000),
            payload: { index, text: 'x'.repeat(200) },
          };
        }),
        { ordered: false },
      );
    }
    const loadMs = performance.now() - loadStart;
    const rows = {
      'find({accountId, status}).sort({at: -1}).limit(50)': await timed(() =>
        events.find({ accountId: 'acct_42', status: 'pending' }).sort({ at: -1 }).limit(50).toArray(),
      ),
      'findOne({_id})': await timed(() => events.findOne({ _id: `evt_${documents - 7}` as never })),
      'findOne({_id, accountId}) (owner in the filter)': await timed(() =>
        events.findOne({
          _id: `evt_${documents - 7}` as never,
          accountId: `acct_${(documents - 7) % accounts}`,
        }),
      ),
      'countDocuments({accountId, status}) (an aggregation)': await timed(() =>
        events.countDocuments({ accountId: 'acct_42', status: 'pending' }),
      ),
      'count({accountId, status}) (the count command)': await timed(() =>
        events.count({ accountId: 'acct_42', status: 'pending' }),
      ),
      'updateOne({_id, status}, $set)': await timed(() =>
        events.updateOne({ _id: `evt_${documents - 20}` as never, status: 'pending' }, { $set: { seen: 1 } }),
      ),
    };
    const plan = await events
      .find({ accountId: 'acct_42', status: 'pending' })
      .sort({ at: -1 })
      .limit(50)
      .explain();
    const winningPlan = (plan as { queryPlanner?: { winningPlan?: unknown } }).queryPlanner?.winningPlan;
    process.stdout.write(
      `${documents.toLocaleString('en')} documents loaded in ${(loadMs / 1000).toFixed(1)} s on ${external ? 'MONGODB_URI' : 'the embedded server (H2 file)'}\n` +
        Object.entries(rows)
          .map(([query, ms]) => `  ${query.padEnd(52)} median ${ms.toFixed(1)} ms`)
          .join('\n') +
        `\n  winning plan: ${JSON.stringify(winningPlan)}\n`,
    );
  } finally {
    await mongo.disconnect();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:database failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
