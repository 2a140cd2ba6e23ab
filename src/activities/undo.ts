import { undoSyncEvent, type UndoOutcome } from '../contacts/undo';
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
      if (outcome.outcome === 'undone') await announceRecorded(connection.accountId, outcome.eventsRecorded);
      return outcome;
    },
  };
}
