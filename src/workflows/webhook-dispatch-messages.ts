import { defineSignal } from '@temporalio/workflow';

/** The webhook dispatcher's input and signal: shared by the workflow and the code that starts and wakes it. */
export interface WebhookDispatchInput {
  accountId: string;
}

/** Events for the account were stored (or set back to pending). Carries nothing: the outbox is the truth. */
export const eventsQueuedSignal = defineSignal('eventsQueued');
