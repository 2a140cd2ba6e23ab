import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../src/activities';

/**
 * Runs `announceEvents` on the real worker's task queue from a workflow on a queue of its own: proves that the
 * activity reaches Temporal through the client the Worker puts in its context.
 */
export async function announceProbeWorkflow(input: { accountIds: string[]; activityTaskQueue: string }) {
  const { announceEvents } = proxyActivities<Activities>({
    taskQueue: input.activityTaskQueue,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });
  await announceEvents({ accountIds: input.accountIds });
}
