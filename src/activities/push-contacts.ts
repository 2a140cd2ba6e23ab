import type { Connection as MongoConnection } from 'mongoose';
import { pushContact, type PushContext, type PushOutcome } from '../contacts/push';
import type { ConnectionRecord } from '../db/models/connection';
import type { QboClient } from '../qbo';
import type { RetentionSettings } from '../db/retention';
import { announceRecorded } from './announce';
import { projectionContext } from './projection-context';
import type { QboAccess } from './qbo-access';

export type PushCounts = Record<PushOutcome, number> & {
  conflicts: number;
  /** Events stored for the CRM (the activity has woken the account's webhook dispatcher for them). */
  eventsRecorded: number;
};

export interface PushDependencies {
  db: MongoConnection;
  qbo: QboAccess;
  retention?: RetentionSettings;
  now?: () => Date;
}

const emptyCounts = (): PushCounts => ({
  created: 0,
  linked: 0,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  deleted: 0,
  gone: 0,
  conflicts: 0,
  eventsRecorded: 0,
});

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

  /** Pushes the contacts in order (src/contacts/push.ts does each) and announces the events they recorded. */
  async function push(connectionId: string, crmContactIds: readonly string[]): Promise<PushCounts> {
    const { connection, client } = await deps.qbo.open(connectionId);
    const context = pushContext(deps, connection, client, now());
    const counts = emptyCounts();
    for (const crmContactId of crmContactIds) {
      const result = await pushContact(context, crmContactId);
      counts[result.outcome] += 1;
      counts.conflicts += result.conflicts;
      counts.eventsRecorded += result.eventsRecorded;
    }
    await announceRecorded(connection.accountId, counts.eventsRecorded);
    return counts;
  }

  return {
    /** CRM → QBO for one contact: the connection workflow runs one per changed contact, a few at a time. */
    async pushContact({
      connectionId,
      crmContactId,
    }: {
      connectionId: string;
      crmContactId: string;
    }): Promise<PushCounts> {
      return push(connectionId, [crmContactId]);
    },

    /** A batch of contacts, as connection workflows started before the per-contact lanes still ask for. */
    async pushContacts({
      connectionId,
      crmContactIds,
    }: {
      connectionId: string;
      crmContactIds: string[];
    }): Promise<PushCounts> {
      return push(connectionId, crmContactIds);
    },
  };
}
