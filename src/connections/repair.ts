import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Types, type Connection as MongoConnection } from 'mongoose';
import { contactKey, contactModel, type ContactRecord } from '../contacts/model';
import { readContactRecord, recordDecision } from '../contacts/store';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { defaultRetention, type RetentionSettings } from '../db/retention';
import { markConflictResolved, syncEventModel, type StoredSyncEvent } from '../history/sync-events';
import { isSyncFieldName } from '../sync/fields';
import { connectionWorkflowId } from '../temporal/connection-workflows';
import { contactsChangedSignal } from '../workflows/connection-messages';

/**
 * Repairs of a connection's sync, for the API and the ops CLI alike: contacts that failed or still wait are queued
 * again, and a conflict is decided by a person (the chosen value is written to both sides by the next merge).
 */
export interface RepairDeps {
  db: MongoConnection;
  temporal: () => Promise<Client>;
  /** Bound on telling the connection's workflow. */
  dependencyTimeoutMs: number;
  retention?: RetentionSettings;
  now: () => Date;
}

export type { StoredSyncEvent };

export class RepairProblem extends Error {
  constructor(
    readonly code: 'not_found' | 'connection_inactive' | 'conflict_resolved',
    message: string,
  ) {
    super(message);
    this.name = 'RepairProblem';
  }
}

/** Tells the workflow to write these contacts; one that is not running cannot take them. */
async function queueContacts(
  deps: RepairDeps,
  connection: ConnectionRecord,
  crmContactIds: string[],
): Promise<void> {
  if (crmContactIds.length === 0) return;
  const client = await deps.temporal();
  try {
    await client.withDeadline(Date.now() + deps.dependencyTimeoutMs, () =>
      client.workflow
        .getHandle(connectionWorkflowId(connection._id))
        .signal(contactsChangedSignal, { crmContactIds }),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new RepairProblem('connection_inactive', 'the connection is not syncing; reconnect it');
    throw error;
  }
}

/**
 * Queues the named contacts, or every contact of the connection that failed or still waits. Returns the contacts
 * queued; a named contact the connection does not have (or that the CRM deleted) is `not_found`.
 */
export async function retryContacts(
  deps: RepairDeps,
  connection: ConnectionRecord,
  crmContactIds?: string[],
): Promise<string[]> {
  const contacts = await contactModel(deps.db)
    .find(
      crmContactIds
        ? {
            _id: { $in: crmContactIds.map((id) => contactKey(connection._id, id)) },
            state: { $ne: 'deleted' },
          }
        : { connectionId: connection._id, state: { $in: ['pending', 'rejected'] } },
      { crmContactId: 1 },
    )
    .lean<Pick<ContactRecord, 'crmContactId'>[]>();
  const queued = contacts.map((contact) => contact.crmContactId);
  const missing = crmContactIds?.find((id) => !queued.includes(id));
  if (missing !== undefined) throw new RepairProblem('not_found', `No contact ${missing} in this account.`);
  await queueContacts(deps, connection, queued);
  return queued;
}

/**
 * Decides a conflict of one of the account's connections. Choosing the side the rules did not apply (or either side
 * of a conflict held for a person) records the decision on the contact and queues it: its next merge writes the
 * chosen value to both sides. The event records the choice and the value applied.
 */
export async function resolveConflict(
  deps: RepairDeps,
  accountId: string,
  eventId: string,
  choice: 'qbo' | 'crm',
): Promise<StoredSyncEvent> {
  const { db } = deps;
  const notFound = new RepairProblem('not_found', `No conflict ${eventId} in this account.`);
  if (!Types.ObjectId.isValid(eventId)) throw notFound;
  const event = await syncEventModel(db).findById(eventId).lean<StoredSyncEvent>();
  const connection = event
    ? await connectionModel(db).findOne({ _id: event.connectionId, accountId }).lean()
    : null;
  if (!event || event.kind !== 'conflict' || !connection) throw notFound;
  if (event.resolution)
    throw new RepairProblem('conflict_resolved', `already resolved: ${event.resolution.choice} kept`);
  const detail = (event.detail ?? {}) as {
    applied?: string | null;
    qboValue?: string | null;
    crmValue?: string | null;
  };
  const value = (choice === 'qbo' ? detail.qboValue : detail.crmValue) ?? null;
  const field = event.fields?.[0];
  if (detail.applied !== choice) {
    const contact = await readContactRecord(db, contactKey(connection._id, event.crmContactId ?? ''));
    if (!contact?.link || field === undefined || !isSyncFieldName(field))
      throw new RepairProblem('not_found', `No contact of conflict ${eventId} in this account.`);
    await recordDecision(db, contact, contact.link.qboCustomerId, field, { side: choice, value });
    await queueContacts(deps, connection, [contact.crmContactId]);
  }
  const resolved = await markConflictResolved(
    db,
    event._id,
    { choice, appliedValue: value },
    deps.now(),
    (deps.retention ?? defaultRetention).syncEventDays,
  );
  if (!resolved) throw new RepairProblem('conflict_resolved', 'already resolved');
  return resolved;
}
