import { outboundEventModel } from '../../src/outbound/events';
import { followUpModel } from '../../src/followups/models';
import type { ManagedProcess } from '../../src/stack/process';
import { remindersWorkflow } from '../../src/workflows/reminders';
import { salesLine } from '../support/emulator';
import { eventually, temporalAddress, uniqueName } from '../support/env';
import { startWorkerProcess } from '../support/worker-process';
import { startFollowUpHarness, startTestSmtp, type FollowUpHarness, type TestSmtp } from './support';

/**
 * The worker that sends reminders is SIGKILLed in the middle of a run; another worker finishes it. No customer gets
 * the same reminder twice, no CRM event is recorded twice, and running the schedule again sends nothing.
 */
describe('reminders survive a worker killed mid-run, and never go out twice', () => {
  let harness: FollowUpHarness;
  let slowSmtp: TestSmtp;
  const workers: ManagedProcess[] = [];
  const invoices = 30;

  beforeAll(async () => {
    harness = await startFollowUpHarness();
    // Each message takes a while to be accepted, so the kill lands while the run is sending.
    slowSmtp = await startTestSmtp({ delayMs: 150 });
    for (let i = 0; i < invoices; i += 1) {
      const customer = await harness.qbo.create('Customer', {
        DisplayName: `Late Payer ${i}`,
        PrimaryEmailAddr: { Address: `late${i}@example.com` },
      });
      await harness.qbo.create('Invoice', {
        CustomerRef: { value: customer.Id },
        TxnDate: '2026-02-01',
        DueDate: '2026-03-01',
        Line: [salesLine(100 + i)],
      });
    }
    await harness.project();
    await harness.setPolicy({
      quietHours: null,
      channels: { crm: true, email: true },
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await slowSmtp?.close();
    await harness?.close();
  });

  it('finishes the run on another worker with every reminder sent at most once', async () => {
    const taskQueue = uniqueName('reminders-kill');
    const env = {
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGODB_URI: harness.db.uri,
      SMTP_URL: slowSmtp.url,
      EMAIL_SEND_TIMEOUT_MS: '5000',
      QBO_API_BASE_URL: harness.emulator.url,
    };
    const first = await startWorkerProcess(env);
    workers.push(first);
    const run = harness.temporal.workflow.start(remindersWorkflow, {
      workflowId: uniqueName('reminders-kill'),
      taskQueue,
      // Seven days past due: the 7-day reminder of every invoice.
      args: [{ connectionId: harness.connectionId, asOf: '2026-03-08T18:00:00Z' }],
    });
    await eventually(
      () => Promise.resolve(slowSmtp.received.length),
      (count) => count >= 5,
      30_000,
    );
    first.kill('SIGKILL');
    await first.exited;
    expect(slowSmtp.received.length).toBeLessThan(invoices);
    workers.push(await startWorkerProcess(env));
    await (await run).result();

    const sentTo = slowSmtp.received.map((email) => email.headers['x-qbosync-followup']);
    expect(new Set(sentTo).size).toBe(sentTo.length);
    const followUps = await followUpModel(harness.db.mongoose.connection)
      .find({ connectionId: harness.connectionId, stage: 'overdue-7' })
      .lean();
    expect(followUps).toHaveLength(invoices);
    // A message the killed worker may have handed to the server is never retried (at most once); all the rest went.
    const emailed = followUps.filter((followUp) => followUp.channels.email?.status === 'sent');
    expect(emailed.length).toBeGreaterThanOrEqual(invoices - 1);
    expect(sentTo.length).toBeGreaterThanOrEqual(emailed.length);
    const events = await outboundEventModel(harness.db.mongoose.connection)
      .find({ connectionId: harness.connectionId, type: 'followup.created' })
      .lean();
    expect(events).toHaveLength(invoices);

    // The schedule firing again the same day finds nothing new to send.
    const before = slowSmtp.received.length;
    await harness.temporal.workflow.execute(remindersWorkflow, {
      workflowId: uniqueName('reminders-again'),
      taskQueue,
      args: [{ connectionId: harness.connectionId, asOf: '2026-03-08T19:00:00Z' }],
    });
    expect(slowSmtp.received.length).toBe(before);
    // The killed worker's batch moves on after the 30 s heartbeat timeout.
  }, 150_000);
});
