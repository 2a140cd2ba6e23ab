import { Context } from '@temporalio/activity';
import { queueWebhookDelivery } from '../temporal/webhook-dispatch';

/**
 * Wakes the account's webhook dispatcher from the activity that stored its events, so they leave as soon as they
 * are recorded rather than a workflow turn later. If the wake fails the activity fails and is retried; the events
 * are stored already, and the retry finds nothing new to record but wakes the dispatcher again.
 */
export async function announceRecorded(accountId: string, eventsRecorded: number): Promise<void> {
  if (eventsRecorded === 0) return;
  // The worker's own client over its NativeConnection: no second connection to Temporal.
  const { client, info } = Context.current();
  await queueWebhookDelivery(client, accountId, info.taskQueue);
}
