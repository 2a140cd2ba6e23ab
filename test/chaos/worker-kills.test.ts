import { connectionModel } from '../../src/db/models/connection';
import { contactModel } from '../../src/contacts/model';
import { qboCustomerModel, qboTransactionModel } from '../../src/projections/models';
import { eventually } from '../support/env';
import { ChaosStack, EditLoad, chaosRandom, say, type ConnectedCompany } from './support';

/**
 * Workers SIGKILLed at random points (seeded; the seed is printed) of a backfill and of a steady two-way edit load,
 * several times in one run, with two worker processes sharing the task queue. One SIGKILL at a known point of a
 * 5,000-customer backfill is test/sync/backfill.test.ts. "No reminder sent twice" under a SIGKILLed worker is
 * test/followups/worker-kill.test.ts (and "never resends an email whose worker died mid-send" in
 * test/followups/reminders.test.ts), so this suite leaves follow-ups switched off.
 */
describe('chaos: worker processes SIGKILLed during a backfill and a two-way edit load', () => {
  const random = chaosRandom('worker kills');
  let stack: ChaosStack;

  beforeAll(async () => {
    stack = await ChaosStack.start({ name: 'worker-kills', workers: 2, emulatorSeed: random.seed });
  }, 120_000);
  afterAll(() => stack?.close(), 60_000);

  /** Writes a workflow's pending activities (attempts, last failure) to the stack's log, for a failure to explain. */
  async function describeWorkflow(workflowId: string): Promise<void> {
    try {
      const description = await stack.temporal.workflow.getHandle(workflowId).describe();
      for (const activity of description.raw.pendingActivities ?? [])
        stack.log(
          `diagnosis of ${workflowId}: ${activity.activityType?.name} attempt ${activity.attempt} ` +
            `state ${activity.state} last failure ${activity.lastFailure?.message ?? 'none'}`,
        );
    } catch (error) {
      stack.log(`diagnosis of ${workflowId}: ${String(error)}`);
    }
  }

  it('loses no record and no edit, and creates no customer twice', async () => {
    // The edit load starts first; the big company is connected under it, so its backfill runs during the load.
    const busy = await stack.connect({
      company: { companyName: 'Chaos Busy Books' },
      backfill: false,
      pollIntervalSeconds: 10,
    });
    const load = new EditLoad(stack, busy, random, { prefix: `wk${random.seed}`, maxContacts: 12 });
    load.start();
    let big: ConnectedCompany;
    try {
      big = await stack.connect({
        company: {
          companyName: 'Chaos Backfill Books',
          seed: { customers: 1200, transactions: 800, seed: random.seed },
        },
        backfill: true,
      });
    } catch (error) {
      await load.stop();
      throw error;
    }
    const counts: Record<string, number> = (await stack.emulator.admin('GET', `/companies/${big.realmId}`))
      .json.counts;
    const expectedTransactions = Object.entries(counts)
      .filter(([entity]) => entity !== 'Customer')
      .reduce((sum, [, count]) => sum + count, 0);
    const total = counts.Customer! + expectedTransactions;

    const connections = connectionModel(stack.mongo.connection);
    const progress = async (): Promise<{ read: number; status: string | undefined; entity?: string }> => {
      const record = await connections.findById(big.id).lean();
      const read = Object.values(record?.backfill?.counts ?? {}).reduce((sum, count) => sum + count, 0);
      return { read, status: record?.backfill?.status, entity: record?.backfill?.entity ?? undefined };
    };

    const actions = () => Promise.resolve(load.stats.creates + load.stats.crmEdits + load.stats.qboEdits);
    /** Waits until the engine writes contacts again (a killed worker's activity waits out its heartbeat timeout). */
    const engineMoving = async (since: Date) => {
      const before = await actions();
      await eventually(
        () =>
          contactModel(stack.mongo.connection).countDocuments({
            connectionId: busy.id,
            'link.syncedAt': { $gt: since },
          }),
        (count) => count > 0,
        60_000,
      );
      await eventually(actions, (count) => count >= before + 5, 30_000);
    };
    const backfillStatusAtKills: (string | undefined)[] = [];
    try {
      // Two kills at random points of the backfill (by records read), then one at a random moment of the edit load
      // once the engine writes contacts again (each kill that hits an activity costs its 20-30 s heartbeat timeout).
      const killPoints = [
        Math.round(total * (0.05 + 0.35 * random.next())),
        Math.round(total * (0.6 + 0.3 * random.next())),
      ];
      // One round kills every worker at once: for a moment nothing runs at all.
      const everyWorkerRound = random.int(0, 2);
      let lastKill = new Date();
      for (let round = 0; round < 3; round += 1) {
        let where: string;
        if (round < killPoints.length) {
          const reached = await eventually(
            progress,
            (now) => now.read >= killPoints[round]! || now.status === 'done',
            90_000,
          );
          backfillStatusAtKills.push(reached.status);
          where = `backfill at ${reached.read}/${total} (${reached.entity ?? reached.status})`;
        } else {
          await engineMoving(lastKill);
          await new Promise((resolve) => setTimeout(resolve, random.int(300, 3000)));
          where = `edit load (${load.describe()}; contacts ${await load.syncStates()})`;
        }
        const live = stack.liveWorkers;
        const victims = round === everyWorkerRound ? live : [random.pick(live)];
        say(`kill ${round + 1}: ${victims.length} of ${live.length} workers during ${where}`);
        lastKill = new Date();
        await Promise.all(victims.map((worker) => stack.killWorker(worker)));
        await Promise.all(victims.map(() => stack.startWorker()));
      }
      // The load goes on for a while on the new workers.
      await engineMoving(lastKill);
    } finally {
      await load.stop();
    }
    say(`worker kills: ${load.describe()}`);
    // The first kill (at most 40% of the records read) landed while the backfill was running.
    expect(backfillStatusAtKills[0]).toBe('running');

    // The backfill: every record exactly once, nothing written to QBO, the CRM told once.
    const done = await eventually(
      () => connections.findById(big.id).lean(),
      (record) => record?.backfill?.status === 'done',
      90_000,
    );
    if (done?.backfill?.status !== 'done') await describeWorkflow(`connection:${big.id}/backfill`);
    expect(done?.backfill?.status).toBe('done');
    expect(done?.backfill?.counts).toMatchObject(
      Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0)),
    );
    const db = stack.mongo.connection;
    expect(await qboCustomerModel(db).countDocuments({ connectionId: big.id })).toBe(counts.Customer);
    expect(await qboTransactionModel(db).countDocuments({ connectionId: big.id })).toBe(expectedTransactions);
    // The emulator's log keeps the last 2000 requests: short of that, it holds every one of the backfill.
    const log: { method: string }[] = (
      await stack.emulator.admin('GET', `/companies/${big.realmId}/requests?limit=2000`)
    ).json.requests;
    expect(log.length).toBeLessThan(2000);
    expect(log.filter((request) => request.method === 'POST')).toEqual([]);
    const statuses = (await stack.events(`type=connection.status_changed&connectionId=${big.id}`)).map(
      (event) => event.data.status,
    );
    expect(statuses.filter((status) => status === 'backfill_completed')).toHaveLength(1);

    // The edit load: both directions converged, no duplicate customer, nothing silently dropped.
    await load.verify(90_000);
  }, 360_000);
});
