import { ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import { searchAttributes } from '../../src/temporal/search-attributes';
import { describeReminderSchedule, reminderScheduleId } from '../../src/temporal/reminder-schedules';
import type { RemindersResult } from '../../src/workflows/reminders';
import { eventually } from '../support/env';
import { startFollowUpHarness, type FollowUpHarness } from './support';

/** The hours a described calendar fires in, expanded from Temporal's ranges. */
function firingHours(description: ScheduleDescription | null): number[] {
  const hours: number[] = [];
  for (const range of description?.spec.calendars?.[0]?.hour ?? []) {
    const end = range.end ?? range.start;
    for (let hour = range.start; hour <= end; hour += range.step ?? 1) hours.push(hour);
  }
  return hours;
}

describe('a Temporal Schedule per connection starts its reminders', () => {
  let harness: FollowUpHarness;
  const describeSchedule = () => describeReminderSchedule(harness.temporal, harness.connectionId);

  beforeAll(async () => {
    harness = await startFollowUpHarness();
  });
  afterAll(() => harness?.close());

  it('is created with the policy: hourly outside quiet hours, in the company time zone', async () => {
    expect(await describeSchedule()).toBeNull();
    await harness.service.setPolicy(harness.accountId, harness.connectionId, {});
    const schedule = await describeSchedule();
    expect(schedule).toMatchObject({
      scheduleId: `reminders:${harness.connectionId}`,
      spec: { timezone: 'America/Los_Angeles' },
      action: {
        type: 'startWorkflow',
        workflowType: 'remindersWorkflow',
        workflowId: reminderScheduleId(harness.connectionId),
        taskQueue: harness.taskQueue,
        args: [{ connectionId: harness.connectionId }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { paused: false },
    });
    expect(firingHours(schedule)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    // Ops find it by the connection's search attributes.
    expect(schedule?.typedSearchAttributes.get(searchAttributes.connectionId)).toBe(harness.connectionId);
    expect(schedule?.typedSearchAttributes.get(searchAttributes.accountId)).toBe(harness.accountId);
  });

  it('starts the reminders workflow on the worker’s queue', async () => {
    await harness.temporal.schedule.getHandle(reminderScheduleId(harness.connectionId)).trigger();
    const schedule = await eventually(
      describeSchedule,
      (described) => (described?.info.recentActions.length ?? 0) > 0,
      10_000,
    );
    const workflowId = schedule!.info.recentActions[0]!.action.workflow.workflowId;
    expect(workflowId.startsWith(reminderScheduleId(harness.connectionId))).toBe(true);
    const result: RemindersResult = await harness.temporal.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ planned: 0, delivered: 0 });
  });

  it('follows policy changes: time zone, quiet hours, and pausing', async () => {
    await harness.service.setPolicy(harness.accountId, harness.connectionId, {
      timeZone: 'Europe/Berlin',
      quietHours: { start: 22, end: 6 },
    });
    let schedule = await describeSchedule();
    expect(schedule?.spec.timezone).toBe('Europe/Berlin');
    expect(firingHours(schedule)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);

    await harness.service.setPolicy(harness.accountId, harness.connectionId, { enabled: false });
    schedule = await describeSchedule();
    expect(schedule?.state).toMatchObject({ paused: true, note: expect.stringMatching(/disabled/) });

    await harness.service.setPolicy(harness.accountId, harness.connectionId, { enabled: true });
    expect((await describeSchedule())?.state.paused).toBe(false);
  });

  it('keeps an operator’s pause through policy edits', async () => {
    const handle = harness.temporal.schedule.getHandle(reminderScheduleId(harness.connectionId));
    await handle.pause('investigating a complaint');
    await harness.service.setPolicy(harness.accountId, harness.connectionId, { minimumAmount: 10 });
    expect((await describeSchedule())?.state).toMatchObject({
      paused: true,
      note: 'investigating a complaint',
    });
    await handle.unpause();
  });

  it('belongs to its account only', async () => {
    expect(await harness.service.getPolicy('acct_someone_else', harness.connectionId)).toBeNull();
    expect(
      await harness.service.setPolicy('acct_someone_else', harness.connectionId, { enabled: false }),
    ).toBeNull();
    expect((await describeSchedule())?.state.paused).toBe(false);
    expect(await harness.service.getPolicy(harness.accountId, harness.connectionId)).toMatchObject({
      minimumAmount: 10,
    });
  });

  it('is deleted on disconnect', async () => {
    await harness.service.removeReminders(harness.connectionId);
    expect(await describeSchedule()).toBeNull();
    // Disconnecting twice is harmless.
    await expect(harness.service.removeReminders(harness.connectionId)).resolves.toEqual({ cancelled: 0 });
  });
});
