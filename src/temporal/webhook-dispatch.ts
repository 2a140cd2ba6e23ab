import type { Client } from '@temporalio/client';
import { eventsQueuedSignal, type WebhookDispatchInput } from '../workflows/webhook-dispatch-messages';
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
    // By name, not by the workflow's type: activities wake the dispatcher, and the workflow's module imports theirs.
    client.workflow.signalWithStart('webhookDispatchWorkflow', {
      workflowId: webhookDispatchWorkflowId(accountId),
      taskQueue,
      args: [{ accountId } satisfies WebhookDispatchInput],
      signal: eventsQueuedSignal,
      typedSearchAttributes: [{ key: searchAttributes.accountId, value: accountId }],
    }),
  );
}
