import { inboxModel } from '../../src/ingest/inbox';
import { eventually } from '../support/env';
import {
  ChaosStack,
  EditLoad,
  chaosRandom,
  say,
  startPrivateServices,
  type PrivateServices,
} from './support';

/**
 * The Temporal server, then the database, stopped under a two-way edit load and started again on the same port and
 * the same data. This file runs its own Temporal dev server and embedded database (src/stack/services.ts), so the shared
 * stack of the other test files never goes down. Each outage lasts 30 s (CHAOS_OUTAGE_SECONDS to change it).
 * /readyz with each dependency unreachable from the start is test/integration/health.test.ts.
 */
const outageSeconds = Number(process.env.CHAOS_OUTAGE_SECONDS ?? '30');

describe('chaos: Temporal and the database stopped under load', () => {
  const random = chaosRandom('outages');
  let services: PrivateServices;
  let stack: ChaosStack;
  const serviceLog: string[] = [];

  beforeAll(async () => {
    services = await startPrivateServices('outages', (line) => void serviceLog.push(line));
    stack = await ChaosStack.start({
      name: 'outages',
      workers: 1,
      emulatorSeed: random.seed,
      temporalAddress: services.temporalAddress,
      mongoUri: services.mongoUri,
    });
  }, 180_000);
  afterAll(async () => {
    for (const line of serviceLog) stack?.log(line);
    await stack?.close();
    await services?.close();
  }, 90_000);

  it('converges after each outage: every accepted edit applied, no customer twice, no event stuck', async () => {
    const company = await stack.connect({ backfill: false, pollIntervalSeconds: 10 });
    const load = new EditLoad(stack, company, random, { prefix: `out${random.seed}`, maxContacts: 10 });
    const inbox = inboxModel(stack.mongo.connection);
    const progress = () => Promise.resolve(load.stats.crmEdits + load.stats.qboEdits + load.stats.creates);
    const outage = async (
      name: string,
      check: 'temporal' | 'mongodb',
      stop: () => Promise<void>,
      start: () => Promise<void>,
      whileDown: (down: Date) => Promise<void> = () => Promise.resolve(),
    ) => {
      const before = { ...load.stats.refused };
      stack.log(`chaos: stopping ${name}`);
      const down = Date.now();
      await stop();
      // A contact the CRM creates now is refused, visibly and as retryable: never a 202 that is then dropped, nor a
      // 500 that looks like our fault. The load retries it.
      const status = await load.createNow();
      expect({ during: name, status }).toEqual({ during: name, status: 503 });
      // A readiness probe sees the same: the instance leaves the load balancer instead of answering errors.
      const readiness = await stack.request('GET', '/readyz');
      expect({ status: readiness.status, ok: readiness.json?.checks?.[check]?.ok }).toEqual({
        status: 503,
        ok: false,
      });
      await whileDown(new Date(down));
      // The outage itself is the one wall-clock wait: the load keeps running against the dead dependency.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, down + outageSeconds * 1000 - Date.now())),
      );
      stack.log(`chaos: starting ${name}`);
      await start();
      const up = Date.now();
      const refused = Object.entries(load.stats.refused)
        .map(([status, count]) => [status, count - (before[status] ?? 0)] as const)
        .filter(([, count]) => count > 0);
      say(
        `${name} down ${outageSeconds} s: PUTs refused meanwhile ${JSON.stringify(Object.fromEntries(refused))}`,
      );
      // And it takes edits again once the dependency is back.
      const now = await progress();
      expect(await eventually(progress, (count) => count >= now + 5, 60_000)).toBeGreaterThanOrEqual(now + 5);
      return { from: new Date(down), to: new Date(up) };
    };

    let temporalDown: { from: Date; to: Date };
    load.start();
    try {
      await eventually(
        () => Promise.resolve(load.stats),
        (stats) => stats.creates >= 5 && stats.crmEdits + stats.qboEdits >= 5,
        30_000,
      );
      // Intuit's webhooks keep coming while Temporal is down (the load only retries its refused create meanwhile, so
      // the bookkeeper edits now); the outage lasts until one has been stored.
      const webhookStored = async (down: Date) => {
        expect(await load.editInQboNow()).toBe(true);
        const stored = await eventually(
          () => inbox.countDocuments({ realmId: company.realmId, receivedAt: { $gte: down } }),
          (count) => count > 0,
          outageSeconds * 1000 + 60_000,
          'a webhook stored while Temporal is down',
        );
        expect(stored).toBeGreaterThan(0);
      };
      temporalDown = await outage(
        'Temporal',
        'temporal',
        services.stopTemporal,
        services.startTemporal,
        webhookStored,
      );
      await outage('MongoDB', 'mongodb', services.stopMongo, services.startMongo);
    } finally {
      await load.stop();
    }
    say(`outages: ${load.describe()}`);
    await load.verify(90_000);
    // Webhooks stored while the engine could not be told were applied later, none left waiting.
    expect(
      await inbox.countDocuments({
        realmId: company.realmId,
        receivedAt: { $gte: temporalDown.from, $lte: temporalDown.to },
      }),
    ).toBeGreaterThan(0);
    expect(
      await eventually(
        () => inbox.countDocuments({ realmId: company.realmId, 'pendingFor.0': { $exists: true } }),
        (count) => count === 0,
        30_000,
        'no webhook left pending',
      ),
    ).toBe(0);
    // Both processes rode the outages out.
    expect(stack.liveWorkers).toHaveLength(1);
    expect((await stack.request('GET', '/readyz')).status).toBe(200);
  }, 360_000);
});
