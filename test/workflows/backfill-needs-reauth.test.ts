import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../../src/activities/failure-types';
import { connectionWorkflowId, startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import { reconnectedSignal, statusQuery } from '../../src/workflows/connection-messages';
import { eventually, uniqueName } from '../support/env';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../support/time-skipping';
import { fakeBackfillActivities, fakeConnectionActivities } from '../support/workflow-fakes';

const minute = 60_000;

/**
 * A connection whose grant dies in the middle of its backfill (the issue "No edit is ever lost"): it parks, polls
 * nothing while parked, and after a reconnect finishes the backfill from where it stopped before it syncs.
 */
describe('connection workflow: needs_reauth during the backfill', () => {
  let temporal: TimeSkippingEnvironment;
  beforeAll(async () => {
    temporal = await startTimeSkipping();
  });
  afterEach(() => temporal.endWorkflows());
  afterAll(() => temporal?.teardown());

  /**
   * A company with three pages of customers whose grant is revoked as the second page is read; setting
   * `grant.alive` again stands for the reconnect.
   */
  function revokedMidBackfill() {
    const connection = fakeConnectionActivities();
    const backfill = fakeBackfillActivities((entity) => (entity === 'Customer' ? 3 : 1));
    const grant = { alive: true };
    let revoked = false;
    const backfillPages: typeof backfill.activities.backfillPages = (input) => {
      if (input.startPosition > 1 && !revoked) {
        revoked = true;
        grant.alive = false;
      }
      if (!grant.alive)
        throw ApplicationFailure.nonRetryable('refresh token revoked', failureTypes.needsReauth);
      return backfill.activities.backfillPages(input);
    };
    return {
      activities: { ...connection.activities, ...backfill.activities, backfillPages },
      connectionCalls: connection.calls,
      backfillCalls: backfill.calls,
      grant,
    };
  }

  async function startBackfillingConnection(taskQueue: string) {
    const connectionId = uniqueName('conn');
    await startConnectionWorkflow(
      temporal.client,
      { _id: connectionId, realmId: 'realm-reauth', accountId: 'acct-reauth' },
      { taskQueue, pollIntervalSeconds: 300, backfill: true },
    );
    const handle = temporal.endAfterTest(
      temporal.client.workflow.getHandle(connectionWorkflowId(connectionId)),
    );
    const backfill = temporal.client.workflow.getHandle(`${handle.workflowId}/backfill`);
    return { handle, backfill };
  }

  it('parks in needs_reauth with the backfill stopped where the grant died, and polls nothing while it waits', async () => {
    const { activities, connectionCalls, backfillCalls } = revokedMidBackfill();
    await temporal.withWorker(activities, async (taskQueue) => {
      const { handle, backfill } = await startBackfillingConnection(taskQueue);
      const status = await eventually(
        () => handle.query(statusQuery),
        (current) => current.state !== 'backfilling',
      );
      expect(status.state).toBe('needs_reauth');
      expect((await backfill.describe()).status.name).toBe('COMPLETED');
      expect(await backfill.result()).toMatchObject({ resumeFrom: { entityIndex: 0, startPosition: 1001 } });
      expect(backfillCalls.pages).toEqual(['Customer@1']);
      expect(backfillCalls.finished).toEqual([]);

      // An hour of workflow time: twelve poll intervals, and a parked connection polls in none of them.
      await temporal.env.sleep(60 * minute);
      expect(connectionCalls.polls).toEqual([]);
      expect((await handle.query(statusQuery)).state).toBe('needs_reauth');
    });
  });

  it('syncs again after a reconnect', async () => {
    const { activities, connectionCalls, grant } = revokedMidBackfill();
    await temporal.withWorker(activities, async (taskQueue) => {
      const { handle } = await startBackfillingConnection(taskQueue);
      await eventually(
        () => handle.query(statusQuery),
        (current) => current.state === 'needs_reauth',
      );
      grant.alive = true;
      await handle.signal(reconnectedSignal);
      const status = await eventually(
        () => handle.query(statusQuery),
        (current) => current.totals.polls === 1,
      );
      expect(status.state).toBe('syncing');
      expect(connectionCalls.polls).toHaveLength(1);
    });
  });

  // Without the resume, the projections would miss what the backfill had not read, and finishBackfill (which marks it
  // done, hands CDC its starting cursor and tells the CRM) would never run.
  it('after a reconnect, resume the backfill and finish it before syncing', async () => {
    const { activities, connectionCalls, backfillCalls, grant } = revokedMidBackfill();
    await temporal.withWorker(activities, async (taskQueue) => {
      const { handle } = await startBackfillingConnection(taskQueue);
      await eventually(
        () => handle.query(statusQuery),
        (current) => current.state === 'needs_reauth',
      );
      grant.alive = true;
      await handle.signal(reconnectedSignal);
      // It syncs again (the turn of the loop that would follow a resumed backfill has run)...
      await eventually(
        () => Promise.resolve(connectionCalls.polls.length),
        (polls) => polls >= 1,
      );
      // ...so the backfill has had its chance: the rest read from the page that failed, and handed over once, first.
      expect(backfillCalls.pages.filter((page) => page.startsWith('Customer@'))).toEqual([
        'Customer@1',
        'Customer@1001',
        'Customer@2001',
      ]);
      expect(backfillCalls.finished).toHaveLength(1);
      expect(backfillCalls.finished[0]!.cursorAtStart).toBeTruthy();
      expect((await handle.query(statusQuery)).state).toBe('syncing');
    });
  });
});
