import type { Connection as MongoConnection } from 'mongoose';
import { pushContact, type PushContext, type PushOutcome } from '../contacts/push';
import type { ConnectionRecord } from '../db/models/connection';
import type { QboClient } from '../qbo';
import type { RetentionSettings } from '../db/retention';
import { asActivity } from './failures';
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

/** What pushing a connection's contacts works with, at one instant. */
export function pushContext(
  deps: PushDependencies,
  connection: ConnectionRecord,
  client: QboClient,
  at: Date,
): PushContext {
  return {
    db: deps.db,
    connection,
    client,
    projection: projectionContext(deps.db, connection, deps.qbo.settings.environment, at),
    ...(deps.retention ? { retention: deps.retention } : {}),
    now: at,
  };
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
      return asActivity(async () => {
        const { connection, client } = await deps.qbo.open(connectionId);
        const context = pushContext(deps, connection, client, now());
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
      });
    },
  };
}
