import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { undoSyncEvent, type UndoOutcome } from '../contacts/undo';
import { connectionWorkflowId } from '../temporal/connection-workflows';
import { contactsChangedSignal } from '../workflows/connection-messages';
import { announceRecorded } from './announce';
import { pushContext, type PushDependencies } from './push-contacts';

export function createUndoActivities(deps: PushDependencies) {
  const now = deps.now ?? (() => new Date());
  return {
    /** Undoes one sync event's write to QBO (src/contacts/undo.ts), and announces what the CRM is told of it. */
    async undoSyncEvent({
      connectionId,
      eventId,
      undoRun,
    }: {
      connectionId: string;
      eventId: string;
      undoRun: string;
    }): Promise<UndoOutcome> {
      const { connection, client } = await deps.qbo.open(connectionId);
      const outcome = await undoSyncEvent(pushContext(deps, connection, client, now()), eventId, undoRun);
      if (outcome.outcome !== 'undone') return outcome;
      await announceRecorded(connection.accountId, outcome.eventsRecorded);
      if (outcome.toPush) await queuePush(connectionId, outcome.toPush);
      return outcome;
    },
  };
}

/** Tells the connection's workflow to push the contact; one not running (disconnected) pushes nothing anyway. */
async function queuePush(connectionId: string, crmContactId: string): Promise<void> {
  try {
    await Context.current()
      .client.workflow.getHandle(connectionWorkflowId(connectionId))
      .signal(contactsChangedSignal, { crmContactIds: [crmContactId] });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
