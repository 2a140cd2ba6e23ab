import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { eventsQueuedSignal, type WebhookDispatchInput } from './webhook-dispatch-messages';

/**
 * One workflow per account (`webhooks:<accountId>`) delivers its outbound events: it runs the delivery activity,
 * sleeps until the next retry is due or new events are signalled, and ends once nothing is pending and nothing
 * arrives for a while (the next `eventsQueued` starts it again). History holds ids and times only.
 */
const { deliverWebhooks } = proxyActivities<Activities>({
  // Each run is bounded by its batch (requests × their timeout), well inside this.
  startToCloseTimeout: '5 minutes',
  // Never given up: pending events would otherwise wait for the next signal. A stuck run shows in the UI.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** How long an idle dispatcher waits for new events before it ends. */
const idleTimeoutMs = 10 * 60 * 1000;

/** Well under Temporal's 10k-event hard limit, and the point where replays stay cheap. */
const maxHistoryEvents = 2_000;

export async function webhookDispatchWorkflow(input: WebhookDispatchInput): Promise<void> {
  let queued = false;
  setHandler(eventsQueuedSignal, () => void (queued = true));

  for (;;) {
    queued = false;
    const { nextDueAt } = await deliverWebhooks({ accountId: input.accountId });
    if (nextDueAt === undefined) {
      await condition(() => queued, idleTimeoutMs);
      // A signal in the same task as the timer is seen here too, so no event is left without a dispatcher.
      if (!queued) return;
    } else {
      const waitMs = Date.parse(nextDueAt) - Date.now();
      if (waitMs > 0) await condition(() => queued, waitMs);
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof webhookDispatchWorkflow>(input);
    }
  }
}
