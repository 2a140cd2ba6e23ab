import { connectionWorkflowId, startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import {
  inboxWaitingSignal,
  settingsChangedSignal,
  statusQuery,
} from '../../src/workflows/connection-messages';
import { eventually, uniqueName } from '../support/env';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../support/time-skipping';
import { fakeConnectionActivities } from '../support/workflow-fakes';

const minute = 60_000;

/** Gaps between consecutive instants. */
const gaps = (instants: number[]): number[] => instants.slice(1).map((at, index) => at - instants[index]!);

describe('connection workflow: the CDC poll timer, on skipped time', () => {
  let temporal: TimeSkippingEnvironment;
  beforeAll(async () => {
    temporal = await startTimeSkipping();
  });
  afterEach(() => temporal.endWorkflows());
  afterAll(() => temporal?.teardown());

  async function startConnection(taskQueue: string, pollIntervalSeconds: number) {
    const connectionId = uniqueName('conn');
    await startConnectionWorkflow(
      temporal.client,
      { _id: connectionId, realmId: 'realm-poll', accountId: 'acct-poll' },
      { taskQueue, pollIntervalSeconds },
    );
    return temporal.endAfterTest(temporal.client.workflow.getHandle(connectionWorkflowId(connectionId)));
  }

  // Intervals shorter than the idle-poll sweep serves (30 s): longer idle ones are the sweep's (connection-lanes).
  it('polls once at start, then once every pollIntervalSeconds of workflow time', async () => {
    const { activities, calls } = fakeConnectionActivities();
    await temporal.withWorker(activities, async (taskQueue) => {
      const handle = await startConnection(taskQueue, 20);
      await eventually(
        () => Promise.resolve(calls.polls.length),
        (count) => count === 1,
      );
      // Four minutes and a little: twelve more 20-second intervals (the next poll would come at 260 s).
      await temporal.env.sleep(248_000);
      const status = await eventually(
        () => handle.query(statusQuery),
        (current) => current.totals.polls === 13,
      );
      expect(status).toMatchObject({ state: 'syncing', totals: { polls: 13 } });
      expect(calls.polls).toHaveLength(13);
      // Each gap is the interval plus the moment the previous poll took (real time passes while an activity runs).
      for (const gap of gaps(calls.polls)) {
        expect(gap).toBeGreaterThanOrEqual(20_000);
        expect(gap).toBeLessThan(25_000);
      }
      expect(calls.drains).toHaveLength(1);
    });
  });

  it('polls at once on a new interval, and on that interval from then on', async () => {
    const { activities, calls } = fakeConnectionActivities();
    await temporal.withWorker(activities, async (taskQueue) => {
      const handle = await startConnection(taskQueue, 3600);
      await eventually(
        () => Promise.resolve(calls.polls.length),
        (count) => count === 1,
      );
      await temporal.env.sleep(10 * minute);
      expect(calls.polls).toHaveLength(1);

      await handle.signal(settingsChangedSignal, { pollIntervalSeconds: 20 });
      await eventually(
        () => Promise.resolve(calls.polls.length),
        (count) => count === 2,
      );
      await temporal.env.sleep(5 * 20_000 + 10_000);
      await eventually(
        () => handle.query(statusQuery),
        (current) => current.totals.polls === 7,
      );
      expect(calls.polls).toHaveLength(7);
      const [beforeChange, ...afterChange] = gaps(calls.polls);
      expect(beforeChange).toBeGreaterThanOrEqual(10 * minute);
      expect(beforeChange).toBeLessThan(60 * minute);
      for (const gap of afterChange) {
        expect(gap).toBeGreaterThanOrEqual(20_000);
        expect(gap).toBeLessThan(25_000);
      }
    });
  });

  it('drains the inbox when signalled, without polling before the interval is up', async () => {
    const { activities, calls } = fakeConnectionActivities();
    await temporal.withWorker(activities, async (taskQueue) => {
      const handle = await startConnection(taskQueue, 3600);
      await eventually(
        () => Promise.resolve(calls.drains.length),
        (count) => count === 1,
      );
      await handle.signal(inboxWaitingSignal);
      await eventually(
        () => Promise.resolve(calls.drains.length),
        (count) => count === 2,
      );
      // The signal's turn of the loop has ended, and it did not poll.
      const status = await eventually(
        () => handle.query(statusQuery),
        (current) => current.cyclesThisRun === 2,
      );
      expect(status.totals.polls).toBe(1);
      expect(calls.polls).toHaveLength(1);
    });
  });
});
