import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { failureTypes } from '../activities/failure-types';
import { ConnectionNeedsReauthError } from '../oauth/connection-tokens';
import { QboApiError } from '../qbo';

/**
 * Turns what an activity hit into the failure Temporal should act on: a dead grant stops retrying and tells the
 * workflow to wait for a reconnect; QBO's refusals (validation, 610, 6240…) are not retried; throttling and outages
 * are, with Retry-After honoured when QBO sends one. Anything else is left as it is (retried by the policy).
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ConnectionNeedsReauthError) {
    return ApplicationFailure.nonRetryable(error.message, failureTypes.needsReauth);
  }
  if (error instanceof QboApiError) {
    // A SyncToken still stale after re-reading means someone keeps saving the record: try again later.
    if (!error.retryable && error.kind !== 'stale-object') {
      return ApplicationFailure.create({
        message: error.message,
        type: failureTypes.qboRejected,
        nonRetryable: true,
        details: [{ kind: error.kind, code: error.code, element: error.element }],
      });
    }
    return ApplicationFailure.create({
      message: error.message,
      type: failureTypes.qboUnavailable,
      ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
    });
  }
  return error;
}

/** How a run ended, as a metric label: `completed`, `cancelled`, a failure type, or `error` for anything else. */
export function outcomeOf(failure: unknown): string {
  if (failure instanceof CancelledFailure) return 'cancelled';
  if (failure instanceof ApplicationFailure && failure.type) return failure.type;
  return 'error';
}

/** Whether Temporal will run the activity again after this failure (its retry policy permitting). */
export function willRetry(failure: unknown): boolean {
  if (failure instanceof CancelledFailure) return false;
  return !(failure instanceof ApplicationFailure && failure.nonRetryable);
}
