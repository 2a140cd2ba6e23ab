import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Types, type Connection as MongoConnection } from 'mongoose';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import {
  contactKey,
  crmContactModel,
  liveContactStates,
  readMergedContact,
  syncEventModel,
  type SyncEventRecord,
} from '../projections/crm';
import { storeFields } from '../projections/models';
import { isSyncFieldName } from '../sync/fields';
import { connectionWorkflowId } from '../temporal/connection-workflows';
import { contactsChangedSignal } from '../workflows/connection-messages';

/**
 * Repairs of a connection's sync, for the API and the ops CLI alike: contacts that failed or still wait are queued
 * again, and a conflict is decided the other way (the CRM's value is written to QuickBooks after all).
 */
export interface RepairDeps {
  db: MongoConnection;
  temporal: () => Promise<Client>;
  /** Bound on telling the connection's workflow. */
  dependencyTimeoutMs: number;
  now: () => Date;
}

export type StoredSyncEvent = SyncEventRecord & { _id: Types.ObjectId };

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
 * Queues the named contacts, or every contact of the connection that is not synced (failed or still waiting).
 * Returns the contacts queued; a named contact the connection does not have is `not_found`.
 */
export async function retryContacts(
  deps: RepairDeps,
  connection: ConnectionRecord,
  crmContactIds?: string[],
): Promise<string[]> {
  const contacts = await liveContactStates(deps.db, {
    connectionId: connection._id,
    ...(crmContactIds ? { crmContactIds } : {}),
  });
  const queued = contacts
    .filter((contact) => crmContactIds || contact.state !== 'synced')
    .map((contact) => contact.crmContactId);
  const missing = crmContactIds?.find((id) => !queued.includes(id));
  if (missing !== undefined) throw new RepairProblem('not_found', `No contact ${missing} in this account.`);
  await queueContacts(deps, connection, queued);
  return queued;
}

/**
 * Decides a conflict of one of the account's connections: `qbo` keeps QuickBooks' value (already applied), `crm`
 * makes the CRM's value the contact's newest version, which the merge then sees as one-sided and writes.
 */
export async function resolveConflict(
  deps: RepairDeps,
  accountId: string,
  eventId: string,
  choice: 'qbo' | 'crm',
): Promise<StoredSyncEvent> {
  const { db } = deps;
  const events = syncEventModel(db);
  const notFound = new RepairProblem('not_found', `No conflict ${eventId} in this account.`);
  if (!Types.ObjectId.isValid(eventId)) throw notFound;
  const event = await events.findById(eventId).lean<StoredSyncEvent>();
  // By _id alone, the one lookup FerretDB does through an index; the owner is checked here.
  const connection = event ? await connectionModel(db).findById(event.connectionId).lean() : null;
  if (!event || event.kind !== 'conflict' || connection?.accountId !== accountId) throw notFound;
  if (event.resolution)
    throw new RepairProblem('conflict_resolved', `already resolved: ${event.resolution.choice} kept`);
  const now = deps.now();
  if (choice === 'crm') {
    const field = event.fields?.[0];
    const crmValue = (event.detail as { crmValue?: string | null } | undefined)?.crmValue ?? null;
    const contact = await readMergedContact(db, contactKey(connection._id, event.crmContactId ?? ''));
    if (!contact || field === undefined || !isSyncFieldName(field))
      throw new RepairProblem('not_found', `No contact of conflict ${eventId} in this account.`);
    const fields = { ...contact.fields, [field]: crmValue };
    await crmContactModel(db).updateOne(
      { _id: contact.record._id },
      { $set: { fields: storeFields(fields), updatedAt: now.toISOString(), receivedAt: now } },
    );
    await queueContacts(deps, connection, [contact.record.crmContactId]);
  }
  const resolution = { choice, at: now };
  await events.updateOne({ _id: event._id }, { $set: { resolution } });
  return { ...event, resolution };
}
