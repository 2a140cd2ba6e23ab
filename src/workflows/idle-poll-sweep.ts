import { continueAsNew, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { idlePollSweep } from '../sync/polling';

const { sweepIdlePolls } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  // A sweep that fails is simply the next tick's: retrying it would only bunch the polls up.
  retry: { maximumAttempts: 1 },
});

/** Well under Temporal's limits: a sweep turn is about ten events. */
const maxHistoryEvents = 2_000;

/**
 * One per task queue (`idle-poll-sweep:<queue>`, started by every worker): polls the idle companies every tick,
 * in place of each connection's workflow (src/activities/idle-poll-sweep.ts).
 */
export async function idlePollSweepWorkflow(): Promise<void> {
  while (!workflowInfo().continueAsNewSuggested && workflowInfo().historyLength < maxHistoryEvents) {
    try {
      await sweepIdlePolls();
    } catch (error) {
      log.warn('idle-poll sweep failed; the next tick sweeps again', { error: String(error) });
    }
    await sleep(idlePollSweep.tickSeconds * 1000);
  }
  await continueAsNew<typeof idlePollSweepWorkflow>();
}
