import { Context } from '@temporalio/activity';
import { connectionWorkflowId, startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import { contactsChangedSignal, statusQuery } from '../../src/workflows/connection-messages';
import { eventually, uniqueName } from '../support/env';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../support/time-skipping';
import { fakeConnectionActivities } from '../support/workflow-fakes';

/** The connection workflow continues as new past this many events (maxHistoryEvents; its input cannot lower it). */
const historyLimit = 2_000;

describe('connection workflow: continue-as-new carries pending contacts', () => {
  let temporal: TimeSkippingEnvironment;
  beforeAll(async () => {
    temporal = await startTimeSkipping();
  });
  afterEach(() => temporal.endWorkflows());
  afterAll(() => temporal?.teardown());

  // About 2,000 signals and a continue-as-new: 10–18 s measured on a busy 2-core machine (load 10–15).
  it('pushes what it has started, continues as new past the history limit, and the next run pushes the rest', async () => {
    const taskQueue = uniqueName('continue-as-new');
    const connectionId = uniqueName('conn');
    await startConnectionWorkflow(
      temporal.client,
      { _id: connectionId, realmId: 'realm-can', accountId: 'acct-can' },
      { taskQueue, pollIntervalSeconds: 3600, activePollIntervalSeconds: 3600 },
    );
    const handle = temporal.endAfterTest(
      temporal.client.workflow.getHandle(connectionWorkflowId(connectionId)),
    );
    const { runId: firstRunId } = await handle.describe();

    // While no worker is up, CRM changes arrive, and then enough signals naming no contact to pass the limit (a
    // signal is one event while no workflow task runs): the first turn of the loop ends at the limit.
    const signalled = Array.from({ length: 60 }, (_, index) => `contact-${index}`);
    await Promise.all(signalled.map((id) => handle.signal(contactsChangedSignal, { crmContactIds: [id] })));
    const { historyLength } = await handle.describe();
    await Promise.all(
      Array.from({ length: historyLimit + 1 - historyLength }, () =>
        handle.signal(contactsChangedSignal, { crmContactIds: [] }),
      ),
    );
    expect((await handle.describe()).historyLength).toBeGreaterThan(historyLimit);

    const { activities, calls } = fakeConnectionActivities();
    /** Contact ids each run of the workflow pushed. */
    const pushedByRun = new Map<string, string[]>();
    const pushContact: typeof activities.pushContact = (input) => {
      const runId = Context.current().info.workflowExecution?.runId ?? 'no workflow';
      pushedByRun.set(runId, [...(pushedByRun.get(runId) ?? []), input.crmContactId]);
      return activities.pushContact(input);
    };
    await temporal.withWorker(
      { ...activities, pushContact },
      async () => {
        const pushed = await eventually(
          () => Promise.resolve([...pushedByRun.values()].flat()),
          (all) => all.length >= signalled.length,
        );
        // Each exactly once: none lost and none pushed again by the next run.
        expect([...pushed].sort()).toEqual([...signalled].sort());

        const first = await temporal.client.workflow.getHandle(handle.workflowId, firstRunId).describe();
        expect(first.status.name).toBe('CONTINUED_AS_NEW');
        // The first run pushed while its QBO lane turned, finished what it had started, and handed over the rest.
        const firstRun = pushedByRun.get(firstRunId) ?? [];
        expect(firstRun.length).toBeGreaterThan(0);
        expect(firstRun.length).toBeLessThan(signalled.length);
        const { runId: nextRunId } = await handle.describe();
        expect([...pushedByRun.keys()]).toEqual([firstRunId, nextRunId]);
        expect(pushedByRun.get(nextRunId)).toHaveLength(signalled.length - firstRun.length);
        // The counters carry over too: the one poll was the first run's (the next is an hour after it).
        const status = await eventually(
          () => handle.query(statusQuery),
          (current) => current.totals.pushed === signalled.length,
        );
        expect(status).toMatchObject({ state: 'syncing', totals: { polls: 1, pushed: signalled.length } });
        expect(calls.polls).toHaveLength(1);
      },
      { taskQueue },
    );
  }, 120_000);
});
