import { Context } from '@temporalio/activity';
import type { Connection } from 'mongoose';
import { deliverDue, type DeliveryOutcome } from '../outbound/delivery';
import type { KeyRing } from '../security/encryption';
import type { OutboundGuard } from '../security/outbound-url';
import { queueWebhookDelivery } from '../temporal/webhook-dispatch';

export interface OutboundDependencies {
  db: Connection;
  /** Opens the accounts' sealed webhook secrets. */
  keyRing: KeyRing;
  /** Reaches the CRM's endpoint only where the outbound policy allows. */
  guard: OutboundGuard;
  /** Bound on each webhook request. */
  timeoutMs: number;
}

/** Stripe-like: an endpoint should answer quickly and do its work afterwards. */
export const defaultWebhookTimeoutMs = 10_000;

/** Requests per activity run are capped so that a run of timeouts still ends well inside its 5-minute limit. */
const runBudgetMs = 2 * 60 * 1000;
const maxBatchSize = 25;

function webhookBatchSize(timeoutMs: number): number {
  return Math.max(1, Math.min(maxBatchSize, Math.floor(runBudgetMs / timeoutMs)));
}

export function createOutboundActivities(deps: OutboundDependencies) {
  return {
    /** Sends an account's due webhooks; run only by its dispatcher workflow, so they go out one at a time. */
    async deliverWebhooks({ accountId }: { accountId: string }): Promise<DeliveryOutcome> {
      return deliverDue({
        db: deps.db,
        keyRing: deps.keyRing,
        guard: deps.guard,
        accountId,
        now: () => new Date(),
        timeoutMs: deps.timeoutMs,
        batchSize: webhookBatchSize(deps.timeoutMs),
      });
    },

    /**
     * Wakes the dispatchers of accounts that have new events, on this worker's task queue. Uses the worker's own
     * client (the activity context's), so no second connection to Temporal is needed.
     */
    async announceEvents({ accountIds }: { accountIds: string[] }): Promise<void> {
      // The worker's Client over its NativeConnection (experimental in 1.24, but deadlines are honoured).
      const { client, info } = Context.current();
      await Promise.all(
        [...new Set(accountIds)].map((accountId) => queueWebhookDelivery(client, accountId, info.taskQueue)),
      );
    },
  };
}
