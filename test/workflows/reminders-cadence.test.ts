import { companyDay } from '../../src/followups/engine';
import { defaultFollowUpPolicy } from '../../src/followups/policy';
import { addDays } from '../../src/followups/stages';
import { offsetMinutes } from '../../src/time/zoned-time';
import { remindersWorkflow } from '../../src/workflows/reminders';
import { uniqueName } from '../support/env';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../support/time-skipping';
import { fakeReminderActivities, type FakeInvoice } from '../support/workflow-fakes';

const hour = 3_600_000;
const day = 24 * hour;
const { timeZone } = defaultFollowUpPolicy;

/** The next instant after `after` at which the company's clock shows `localHour`:00. */
function nextLocalHour(after: number, localHour: number): number {
  const local = after + offsetMinutes(new Date(after), timeZone) * 60_000;
  const localTarget = Math.floor(local / day) * day + localHour * hour;
  const target = localTarget - offsetMinutes(new Date(localTarget), timeZone) * 60_000;
  return target > after ? target : target + day;
}

/**
 * The reminders workflow is one pass, started by the connection's Temporal Schedule; the test server has no
 * Schedules, so the test starts it once a day at 10:00 company time for 90 days of skipped time (the schedule runs
 * it hourly within delivery hours, and a day's later runs find nothing new).
 */
describe('reminders workflow: the overdue cadence over 90 days, on skipped time', () => {
  let temporal: TimeSkippingEnvironment;
  beforeAll(async () => {
    temporal = await startTimeSkipping();
  });
  afterAll(() => temporal?.teardown());

  // Ninety runs of five to seven activities each: 15–18 s measured on a busy 2-core machine (load 10–15).
  it('sends each step of the cadence once, on its day, and nothing once the invoice is paid', async () => {
    const firstRunAt = nextLocalHour(await temporal.env.currentTimeMs(), 10);
    const firstDay = companyDay(new Date(firstRunAt), defaultFollowUpPolicy);
    const unpaid: FakeInvoice = { qboId: 'unpaid', dueDate: addDays(firstDay, 5), balance: 100 };
    const paidLate: FakeInvoice = { qboId: 'paid-late', dueDate: addDays(firstDay, 50), balance: 100 };
    const paidOnRun = 60;
    const { activities, calls } = fakeReminderActivities([unpaid, paidLate], 'acct-reminders');

    const results = await temporal.withWorker(activities, async (taskQueue) => {
      await temporal.env.sleep(firstRunAt - (await temporal.env.currentTimeMs()));
      const perRun = [];
      for (let run = 0; run < 90; run += 1) {
        if (run === paidOnRun) paidLate.balance = 0;
        perRun.push(
          await temporal.client.workflow.execute(remindersWorkflow, {
            taskQueue,
            workflowId: uniqueName('reminders'),
            args: [{ connectionId: 'conn-reminders' }],
          }),
        );
        await temporal.env.sleep(firstRunAt + (run + 1) * day - (await temporal.env.currentTimeMs()));
      }
      return perRun;
    });

    // Each run judged by its own start on the server's clock, a day after the one before.
    expect(calls.runs).toHaveLength(90);
    calls.runs.forEach(({ asOf, scheduledAt }, run) => {
      expect(results[run]!.asOf).toBe(asOf);
      expect(Math.abs(Date.parse(asOf) - (firstRunAt + run * day))).toBeLessThan(60_000);
      expect(Math.abs(Date.parse(asOf) - scheduledAt)).toBeLessThan(5_000);
    });
    const runOf = (asOf: string): number => Math.round((Date.parse(asOf) - firstRunAt) / day);
    // Due on run 5: 1, 7, 14 and 30 days late. Due on run 50 and paid on run 60: 1 and 7 days late only.
    expect(calls.delivered.map(({ qboId, stage, asOf }) => ({ qboId, stage, run: runOf(asOf) }))).toEqual([
      { qboId: 'unpaid', stage: 'overdue-1', run: 6 },
      { qboId: 'unpaid', stage: 'overdue-7', run: 12 },
      { qboId: 'unpaid', stage: 'overdue-14', run: 19 },
      { qboId: 'unpaid', stage: 'overdue-30', run: 35 },
      { qboId: 'paid-late', stage: 'overdue-1', run: 51 },
      { qboId: 'paid-late', stage: 'overdue-7', run: 57 },
    ]);
    const runsThatSent = [6, 12, 19, 35, 51, 57];
    results.forEach((result, run) => {
      const sent = runsThatSent.includes(run) ? 1 : 0;
      expect(result).toMatchObject({ planned: sent, delivered: sent, eventsRecorded: sent, quiet: false });
    });
    // The CRM's dispatcher is woken on the runs that stored events, and only on those.
    expect(calls.announcements).toEqual(runsThatSent.map(() => ['acct-reminders']));
  }, 120_000);
});
