/**
 * A stand-in for a worker process in test/chaos/tokens.test.ts: the production QBO access path (QboAccess →
 * ConnectionTokens → QboClient) in a process of its own. It connects and prints `ready`; then each line on stdin,
 * `{"connectionId": …, "calls": n}`, makes n concurrent QBO calls for that connection (each through its own
 * `open()`, as each activity does) and prints one JSON line with the outcome. One process serves every race of the
 * suite, so the racers start when the test sends the line, not when Node has loaded.
 */
import { createInterface } from 'node:readline';
import { QboAccess, qboAccessSettings } from '../../src/activities/qbo-access';
import { loadConfig } from '../../src/config';
import { connectMongo } from '../../src/db/connect';

async function main(): Promise<void> {
  const config = loadConfig();
  const mongo = await connectMongo(config.MONGODB_URI, 5000);
  const access = new QboAccess(mongo.connection, qboAccessSettings(config));
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) {
    const { connectionId, calls } = JSON.parse(line) as { connectionId: string; calls: number };
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
  }
  await mongo.disconnect();
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: 0, failures: [String(error)] })}\n`);
  process.exit(1);
});
