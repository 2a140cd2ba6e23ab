import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';

/** Deletes a schedule; false when there was none. Runs it already started finish. */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/** A schedule as Temporal describes it; null when there is none. */
export async function describeSchedule(
  client: Client,
  scheduleId: string,
): Promise<ScheduleDescription | null> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}
