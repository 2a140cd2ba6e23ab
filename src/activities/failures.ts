import { ApplicationFailure, Context } from '@temporalio/activity';
import { ConnectionNeedsReauthError } from '../oauth/connection-tokens';
import { QboApiError } from '../qbo';
import { failureTypes } from './failure-types';

/**
 * Turns what an activity hit into the failure Temporal should act on: a dead grant stops retrying and tells the
 * workflow to wait for a reconnect; QBO's refusals (validation, 610, 6240…) are not retried; throttling and outages
 * are, with Retry-After honoured when QBO sends one.
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

/** Well inside the shortest heartbeat timeout of any activity (20 s, the backfill's). */
const heartbeatEveryMs = 5_000;

/**
 * Runs an activity body, heartbeating while it runs, and converts its failure. The heartbeat says "this worker is
 * alive": beating from a timer rather than between steps keeps one slow step (a page of writes on a loaded
 * database) from being timed out and retried from the start, over and over. A stuck body still ends at the
 * activity's start-to-close timeout.
 */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), heartbeatEveryMs);
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(beat);
  }
}
