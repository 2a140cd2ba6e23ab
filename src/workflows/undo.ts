import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { UndoOutcome } from '../contacts/undo';
import type { UndoWorkflowInput } from './undo-messages';

const { undoSyncEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  // The caller waits for the answer: an outage fails the undo after a few tries, and it can be asked again.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
  },
});

/**
 * Undoes sync events' writes to QBO, one after another in the order given (newest first, so stacked edits of one
 * field unwind in order), each its own activity named for its event. Every attempt of an event's undo is the same
 * run (`undoRun`), so a retry after its write committed completes that undo rather than refusing it as done.
 */
export async function undoWorkflow(input: UndoWorkflowInput): Promise<UndoOutcome[]> {
  const undoRun = workflowInfo().runId;
  const outcomes: UndoOutcome[] = [];
  for (const eventId of input.eventIds)
    outcomes.push(
      await undoSyncEvent.executeWithOptions({ summary: `undo sync event ${eventId}` }, [
        { connectionId: input.connectionId, eventId, undoRun },
      ]),
    );
  return outcomes;
}
