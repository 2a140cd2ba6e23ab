/**
 * A stand-in for a worker process in test/chaos/tokens.test.ts: the production QBO access path (QboAccess →
 * ConnectionTokens → QboClient) in a process of its own. It connects, prints `ready`, waits for a line on stdin so
 * that every probe starts at the same moment, makes CHAOS_CALLS concurrent QBO calls for CHAOS_CONNECTION_ID (each
 * through its own `open()`, as each activity does), and prints one JSON line with the outcome.
 */
import { createInterface } from 'node:readline';
import { QboAccess, qboAccessSettings } from '../../src/activities/qbo-access';
import { loadConfig } from '../../src/config';
import { connectMongo } from '../../src/db/connect';

async function main(): Promise<void> {
  const config = loadConfig();
  const connectionId = process.env.CHAOS_CONNECTION_ID ?? '';
  const calls = Number(process.env.CHAOS_CALLS ?? '10');
  const mongo = await connectMongo(config.MONGODB_URI, 5000);
  try {
    const access = new QboAccess(mongo.connection, qboAccessSettings(config));
    const lines = createInterface({ input: process.stdin });
    const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
    process.stdout.write('ready\n');
    await go;
    lines.close();
    const outcomes = await Promise.allSettled(
      Array.from({ length: calls }, async () => {
        const { client } = await access.open(connectionId);
        await client.companyInfo();
      }),
    );
    const failures = outcomes
      .filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
      .map((outcome) => String(outcome.reason instanceof Error ? outcome.reason.message : outcome.reason));
    process.stdout.write(`${JSON.stringify({ ok: calls - failures.length, failures })}\n`);
  } finally {
    await mongo.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: 0, failures: [String(error)] })}\n`);
  process.exit(1);
});
