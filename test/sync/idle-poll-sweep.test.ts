import type { WorkflowHandle } from '@temporalio/client';
import { connectionModel } from '../../src/db/models/connection';
import { qboCustomerModel } from '../../src/projections/models';
import { idlePollSweepWorkflowId, startIdlePollSweep } from '../../src/temporal/idle-poll-sweep';
import { statusQuery } from '../../src/workflows/connection-messages';
import { eventually } from '../support/env';
import { startSyncHarness, type SyncHarness } from '../support/sync-harness';

/**
 * Idle companies at the default interval are polled by the task queue's sweep, not by their own workflows: the
 * sweep reads each due company's CDC once, moves the cursor itself when nothing changed, and wakes the workflow only
 * when something did. Webhooks are off, so every change here is found by a poll.
 */
describe('the idle-poll sweep', () => {
  let harness: SyncHarness;
  let sweep: WorkflowHandle;

  beforeAll(async () => {
    harness = await startSyncHarness({
      webhooks: false,
      // The default idle interval: the workflow's own timer is five of them, so within a test only the sweep polls.
      pollIntervalSeconds: 60,
      activePollIntervalSeconds: 60,
      connection: (emulator) => ({ cdcCursor: emulator.clock.now().toISOString() }),
    });
    await startIdlePollSweep(harness.temporal, harness.taskQueue);
    sweep = harness.temporal.workflow.getHandle(idlePollSweepWorkflowId(harness.taskQueue));
  });
  afterAll(async () => {
    await sweep?.terminate().catch(() => undefined);
    await harness?.close();
  });

  const connections = () => connectionModel(harness.db.mongoose.connection);
  const connection = () => connections().findById(harness.connectionId).lean();
  /** As if the company's idle interval had passed since its last poll. */
  const makeDue = () =>
    connections().updateOne(
      { _id: harness.connectionId },
      { $set: { nextPollAt: new Date(Date.now() - 1_000) } },
    );
  const cdcRequests = async (): Promise<number> =>
    (
      (await harness.emulator.admin('GET', `/companies/${harness.qbo.realmId}/requests?limit=2000`)).json
        .requests as { path: string }[]
    ).filter((request) => request.path.endsWith('/cdc')).length;
  const signalsOf = async (name: string): Promise<number> =>
    ((await harness.workflow().fetchHistory()).events ?? []).filter(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === name,
    ).length;

  it('finds a change of an idle company and wakes its workflow, whose poll applies it', async () => {
    const first = await eventually(
      () => harness.workflow().query(statusQuery),
      (status) => status.totals.polls === 1,
      30_000,
    );
    expect(first.pollEverySeconds).toBe(60);
    expect((await connection())?.nextPollAt).toBeInstanceOf(Date);

    const created = await harness.qbo.create('Customer', { DisplayName: 'Found by the sweep' });
    await makeDue();
    const projected = await eventually(
      () =>
        qboCustomerModel(harness.db.mongoose.connection)
          .findById(`${harness.connectionId}:Customer:${created.Id}`)
          .lean(),
      (found) => found !== null,
      60_000,
    );
    expect(projected?.fields.displayName).toBe('Found by the sweep');
    // The workflow's second poll came from the sweep's signal: its own timer is five minutes away.
    expect(await signalsOf('syncNow')).toBe(1);
    expect(
      (
        await eventually(
          () => harness.workflow().query(statusQuery),
          (status) => status.totals.polls === 2,
          10_000,
        )
      ).totals.polls,
    ).toBe(2);
    expect((await connection())!.nextPollAt!.getTime()).toBeGreaterThan(Date.now());
  }, 120_000);

  it('moves an unchanged company on with one CDC read, without waking its workflow', async () => {
    const before = await connection();
    const historyBefore = (await harness.workflow().fetchHistory()).events?.length ?? 0;
    const requestsBefore = await cdcRequests();
    await makeDue();
    // The sweep has been by once the company is no longer due.
    const after = await eventually(
      () => connection(),
      (found) => found!.nextPollAt!.getTime() > Date.now(),
      60_000,
    );
    expect(after!.lastPolledAt!.getTime()).toBeGreaterThan(before!.lastPolledAt!.getTime());
    expect(after!.cdcCursor).not.toBe(before!.cdcCursor);
    expect(await cdcRequests()).toBe(requestsBefore + 1);
    expect((await harness.workflow().fetchHistory()).events?.length ?? 0).toBe(historyBefore);
    expect(await signalsOf('syncNow')).toBe(1);
  }, 120_000);
});
