import type { Client } from '@temporalio/client';
import type { webhookDispatchWorkflow } from '../workflows/webhook-dispatch';
import { eventsQueuedSignal } from '../workflows/webhook-dispatch-messages';
import { searchAttributes } from './search-attributes';

/** One dispatcher per account, so its deliveries go out one at a time and in order. */
export function webhookDispatchWorkflowId(accountId: string): string {
  return `webhooks:${accountId}`;
}

/** Wakes the account's dispatcher, starting it when none is running. Call after storing or re-queuing events. */
export async function queueWebhookDelivery(
  client: Client,
  accountId: string,
  taskQueue: string,
  timeoutMs = 10_000,
): Promise<void> {
  await client.withDeadline(Date.now() + timeoutMs, () =>
    client.workflow.signalWithStart<typeof webhookDispatchWorkflow>('webhookDispatchWorkflow', {
      workflowId: webhookDispatchWorkflowId(accountId),
      taskQueue,
      args: [{ accountId }],
      signal: eventsQueuedSignal,
      typedSearchAttributes: [{ key: searchAttributes.accountId, value: accountId }],
    }),
  );
}
