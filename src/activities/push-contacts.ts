import type { Connection as MongoConnection } from 'mongoose';
import { pushContact, type PushOutcome } from '../contacts/push';
import type { RetentionSettings } from '../db/retention';
import { projectionContext } from './projection-context';
import type { QboAccess } from './qbo-access';

export type PushCounts = Record<PushOutcome, number> & {
  conflicts: number;
  /** Events stored for the CRM: the workflow wakes the account's webhook dispatcher. */
  eventsRecorded: number;
};

export interface PushDependencies {
  db: MongoConnection;
  qbo: QboAccess;
  retention?: RetentionSettings;
  now?: () => Date;
}

export function createPushActivities(deps: PushDependencies) {
  const now = deps.now ?? (() => new Date());
  return {
    /** Writes CRM contacts to QBO, one after another (src/contacts/push.ts does each). */
    async pushContacts({
      connectionId,
      crmContactIds,
    }: {
      connectionId: string;
      crmContactIds: string[];
    }): Promise<PushCounts> {
      const { connection, client } = await deps.qbo.open(connectionId);
      const at = now();
      const context = {
        db: deps.db,
        connection,
        client,
        projection: projectionContext(deps.db, connection, deps.qbo.settings.environment, at),
        ...(deps.retention ? { retention: deps.retention } : {}),
        now: at,
      };
      const counts: PushCounts = {
        created: 0,
        linked: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        deleted: 0,
        gone: 0,
        conflicts: 0,
        eventsRecorded: 0,
      };
      for (const crmContactId of crmContactIds) {
        const result = await pushContact(context, crmContactId);
        counts[result.outcome] += 1;
        counts.conflicts += result.conflicts;
        counts.eventsRecorded += result.eventsRecorded;
      }
      return counts;
    },
  };
}
