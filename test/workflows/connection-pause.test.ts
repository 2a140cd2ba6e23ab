import { connectionWorkflowId, startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import {
  contactsChangedSignal,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
} from '../../src/workflows/connection-messages';
import { eventually, uniqueName } from '../support/env';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../support/time-skipping';
import { fakeConnectionActivities } from '../support/workflow-fakes';

const minute = 60_000;

describe('connection workflow: a pause', () => {
  let temporal: TimeSkippingEnvironment;
  beforeAll(async () => {
    temporal = await startTimeSkipping();
  });
  afterEach(() => temporal.endWorkflows());
  afterAll(() => temporal?.teardown());

  it('outlasts the poll timer holding the contact, and the resume pushes it after a poll', async () => {
    const taskQueue = uniqueName('pause');
    const connectionId = uniqueName('conn');
    await startConnectionWorkflow(
      temporal.client,
      { _id: connectionId, realmId: 'realm-pause', accountId: 'acct-pause' },
      { taskQueue, pollIntervalSeconds: 300, activePollIntervalSeconds: 300 },
    );
    const handle = temporal.endAfterTest(
      temporal.client.workflow.getHandle(connectionWorkflowId(connectionId)),
    );
    const { activities, calls } = fakeConnectionActivities();

    await temporal.withWorker(
      activities,
      async () => {
        await eventually(
          () => handle.query(statusQuery),
          (status) => status.totals.polls === 1,
          20_000,
          'the first poll',
        );
        const paused = await handle.executeUpdate(pauseUpdate);
        expect(paused).toMatchObject({ paused: true, state: 'syncing' });
        // A second pause is acknowledged the same way.
        expect(await handle.executeUpdate(pauseUpdate)).toMatchObject({ paused: true });
        await handle.signal(contactsChangedSignal, { crmContactIds: ['held-1'] });
        await eventually(
          () => handle.query(statusQuery),
          (status) => status.contactsWaiting === 1,
          20_000,
          'the contact queued',
        );
        // Three poll intervals pass with no poll and no push.
        await temporal.env.sleep(15 * minute);
        expect(await handle.query(statusQuery)).toMatchObject({ paused: true, contactsWaiting: 1 });
        expect(calls.polls).toHaveLength(1);
        expect(calls.pushes).toEqual([]);

        const resumed = await handle.executeUpdate(resumeUpdate);
        expect(resumed.paused).toBe(false);
        const synced = await eventually(
          () => handle.query(statusQuery),
          (status) => status.totals.pushed === 1 && status.totals.polls === 2,
          20_000,
          'the held contact pushed, after a poll',
        );
        expect(synced).toMatchObject({ paused: false, contactsWaiting: 0 });
        expect(calls.pushes).toEqual([['held-1']]);
      },
      { taskQueue },
    );
  });
});
