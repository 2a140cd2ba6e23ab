import { createHash } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { deliveryHours, type FollowUpPolicy } from '../followups/policy';
import type { RemindersResult, remindersWorkflow } from '../workflows/reminders';
import { deleteSchedule, describeSchedule } from './schedules';
import { searchAttributes } from './search-attributes';

/**
 * One Temporal Schedule per connection starts its reminders workflow, hourly outside the company's quiet hours, in
 * the company's time zone. Ops see it in the Temporal UI as `reminders:<connectionId>` (and by the connection's
 * search attributes) and may pause it there; a policy change updates it, and disconnecting deletes it.
 */
export function reminderScheduleId(connectionId: string): string {
  return `reminders:${connectionId}`;
}

export interface ReminderScheduleTarget {
  connectionId: string;
  accountId: string;
  realmId: string;
  taskQueue: string;
}

/** The note a schedule paused by its policy carries; a pause with any other note is an operator's. */
const policyPauseNote = 'Follow-ups are disabled in this connection’s policy.';

/** Spreads connections over the hour, so every schedule does not fire at :00. */
function minuteOf(connectionId: string): number {
  return createHash('sha256').update(connectionId).digest().readUInt16BE(0) % 60;
}

function scheduleOptions(target: ReminderScheduleTarget, policy: FollowUpPolicy) {
  const attributes = [
    { key: searchAttributes.connectionId, value: target.connectionId },
    { key: searchAttributes.accountId, value: target.accountId },
    { key: searchAttributes.realmId, value: target.realmId },
  ];
  return {
    spec: {
      calendars: [
        {
          hour: deliveryHours(policy),
          minute: minuteOf(target.connectionId),
          comment: 'outside quiet hours',
        },
      ],
      timezone: policy.timeZone,
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'remindersWorkflow',
      workflowId: reminderScheduleId(target.connectionId),
      taskQueue: target.taskQueue,
      args: [{ connectionId: target.connectionId }] as Parameters<typeof remindersWorkflow>,
      typedSearchAttributes: attributes,
      workflowExecutionTimeout: '1 hour',
    },
    policies: {
      // One run at a time per connection; a run missed during an outage is only worth catching up briefly.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 hour',
    },
    typedSearchAttributes: attributes,
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
}

/** Creates the connection's schedule, or brings an existing one in line with the policy. */
export async function upsertReminderSchedule(
  client: Client,
  target: ReminderScheduleTarget,
  policy: FollowUpPolicy,
): Promise<'created' | 'updated'> {
  const scheduleId = reminderScheduleId(target.connectionId);
  const options = scheduleOptions(target, policy);
  const policyState = policy.enabled ? { paused: false } : { paused: true, note: policyPauseNote };
  try {
    await client.schedule.create({ scheduleId, ...options, state: policyState });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => {
    // An operator's pause (from the UI) and the connection's outlive policy edits; only the policy's own pause
    // follows the policy.
    const pausedByOperator = previous.state.paused && previous.state.note !== policyPauseNote;
    return {
      spec: options.spec,
      action: options.action,
      policies: options.policies,
      typedSearchAttributes: options.typedSearchAttributes,
      state: pausedByOperator ? { paused: true, note: previous.state.note ?? '' } : policyState,
    };
  });
  return 'updated';
}

/** Deletes the connection's schedule; false when it had none. Runs already started finish. */
export async function deleteReminderSchedule(client: Client, connectionId: string): Promise<boolean> {
  return deleteSchedule(client, reminderScheduleId(connectionId));
}

export async function describeReminderSchedule(
  client: Client,
  connectionId: string,
): Promise<ScheduleDescription | null> {
  return describeSchedule(client, reminderScheduleId(connectionId));
}

/**
 * Starts the schedule's action now, outside its calendar (Temporal's "trigger"), and waits for that run's result.
 * The run is the one the schedule starts, under its own overlap policy: a run already in progress is not doubled.
 */
export async function runReminderScheduleNow(
  client: Client,
  connectionId: string,
  options: { startTimeoutMs: number; pollMs?: number } = { startTimeoutMs: 30_000 },
): Promise<RemindersResult> {
  const scheduleId = reminderScheduleId(connectionId);
  const schedule = client.schedule.getHandle(scheduleId);
  const recentRuns = async () =>
    (await schedule.describe()).info.recentActions.map((action) => action.action.workflow);
  const before = new Set((await recentRuns()).map((run) => `${run.workflowId}/${run.firstExecutionRunId}`));
  await schedule.trigger(ScheduleOverlapPolicy.SKIP);
  const deadline = Date.now() + options.startTimeoutMs;
  for (;;) {
    const started = (await recentRuns()).find(
      (run) => !before.has(`${run.workflowId}/${run.firstExecutionRunId}`),
    );
    if (started)
      return client.workflow
        .getHandle<typeof remindersWorkflow>(started.workflowId, started.firstExecutionRunId)
        .result();
    if (Date.now() > deadline)
      throw new Error(
        `schedule ${scheduleId} did not start a run within ${options.startTimeoutMs} ms (is one still running?)`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

/**
 * An operator's hold on the schedule: no run starts until it is lifted. Unlike the policy's own pause, it outlives
 * policy edits (see `upsertReminderSchedule`). False when the connection has no schedule.
 */
export async function holdReminderSchedule(
  client: Client,
  connectionId: string,
  hold: { note: string } | 'lift',
): Promise<boolean> {
  const schedule = client.schedule.getHandle(reminderScheduleId(connectionId));
  try {
    if (hold === 'lift') await schedule.unpause('Resumed by an operator.');
    else await schedule.pause(operatorNote(hold.note));
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/**
 * The note a schedule held by its connection's pause carries. A paused connection applies none of QuickBooks' changes,
 * so a reminder would go out for an invoice paid since; resuming the connection lifts this hold and no other.
 */
const connectionPauseNote = 'The connection’s sync is paused: reminders wait until it resumes.';

/**
 * Holds the schedule while its connection is paused, or lifts that hold back to what the policy says. An operator's
 * own hold is never overridden either way (it outlives the connection's pause, as it outlives policy edits), and
 * the policy's pause is taken over and given back. False when the connection has no schedule.
 */
export async function holdForConnectionPause(
  client: Client,
  connectionId: string,
  hold: 'hold' | 'lift',
  policy: Pick<FollowUpPolicy, 'enabled'>,
): Promise<boolean> {
  const schedule = await describeReminderSchedule(client, connectionId);
  if (!schedule) return false;
  const handle = client.schedule.getHandle(reminderScheduleId(connectionId));
  const { paused, note } = schedule.state;
  if (hold === 'hold') {
    if (!paused || note === policyPauseNote) await handle.pause(connectionPauseNote);
  } else if (paused && note === connectionPauseNote) {
    if (policy.enabled) await handle.unpause('The connection resumed.');
    else await handle.pause(policyPauseNote);
  }
  return true;
}

/** Never the policy's note, which would make the hold look like the policy's and let a policy edit lift it. */
function operatorNote(note: string): string {
  return `Paused by an operator: ${note.trim() || 'no reason given'}`;
}
