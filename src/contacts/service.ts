import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import {
  contactKey,
  contactLinkModel,
  crmContactModel,
  lastSyncEventModel,
  readMergedContact,
  recordSyncEvents,
  type ContactLinkRecord,
  type ContactSyncState,
  type SyncEventRecord,
} from '../projections/crm';
import { markCustomerLinked, qboCustomerModel, storeFields, type StoredFields } from '../projections/models';
import type { SyncFields } from '../sync/fields';
import { qboLink } from '../sync/transactions';

/**
 * Contacts as the CRM sees them: stored as sent (`PUT`), merged with QBO's changes by the sync engine, read back
 * with their link and sync state. The workflow does the QBO side; this module only stores and reads.
 */
export type SyncState = ContactSyncState | 'deleted';

export interface ContactView {
  crmContactId: string;
  connectionId: string;
  updatedAt: string;
  fields: StoredFields;
  deleted: boolean;
  quickbooks: {
    customerId: string;
    linkedBy: ContactLinkRecord['linkedBy'];
    syncedAt: string | null;
    link: string;
  } | null;
  sync: {
    state: SyncState;
    /** The last sync event for the contact: what happened, and why when it failed. */
    lastEvent: {
      kind: SyncEventRecord['kind'];
      at: string;
      fields: string[];
      detail: Record<string, unknown>;
    } | null;
  };
}

export class ContactProblem extends Error {
  constructor(
    readonly code:
      | 'no_connection'
      | 'connection_required'
      | 'connection_inactive'
      | 'stale_contact'
      | 'customer_not_found'
      | 'customer_already_linked',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ContactProblem';
  }
}

/**
 * The connection a contact request is for: the one named, or the account's only live one. An account with several
 * QuickBooks companies must say which.
 */
export async function resolveConnection(
  db: MongoConnection,
  accountId: string,
  connectionId: string | undefined,
  field: string,
): Promise<ConnectionRecord | null> {
  const connections = connectionModel(db);
  if (connectionId !== undefined) {
    // By _id alone, the one lookup FerretDB does through an index; the owner is checked here.
    const named = await connections.findById(connectionId).lean();
    return named?.accountId === accountId ? named : null;
  }
  const live = await connections
    .find({ accountId, status: { $ne: 'disconnected' } })
    .limit(2)
    .lean();
  if (live.length === 1) return live[0]!;
  if (live.length === 0)
    throw new ContactProblem('no_connection', 'this account has no connected QuickBooks company', field);
  throw new ContactProblem(
    'connection_required',
    'this account has several QuickBooks companies: name one with connectionId',
    field,
  );
}

export async function storeContact(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
  input: { fields: SyncFields; updatedAt: string; qboCustomerId?: string },
  now: Date,
): Promise<void> {
  if (connection.status === 'disconnected')
    throw new ContactProblem('connection_inactive', 'the connection is disconnected; reconnect it first');
  const _id = contactKey(connection._id, crmContactId);
  const contacts = crmContactModel(db);
  const held = await contacts.findById(_id, { updatedAt: 1 }).lean();
  // An older version arriving late must not overwrite a newer one; the same version again is a harmless retry.
  if (held && Date.parse(held.updatedAt) > Date.parse(input.updatedAt))
    throw new ContactProblem(
      'stale_contact',
      `updatedAt ${input.updatedAt} is older than the stored ${held.updatedAt}`,
      'body.updatedAt',
    );
  if (input.qboCustomerId !== undefined)
    await linkByCrm(db, connection, crmContactId, input.qboCustomerId, now);
  await contacts.updateOne(
    { _id },
    {
      $set: {
        connectionId: connection._id,
        crmContactId,
        fields: storeFields(input.fields),
        updatedAt: input.updatedAt,
        receivedAt: now,
      },
      // A PUT is a live contact again, whatever was deleted before.
      $unset: { deletedAt: 1 },
    },
    { upsert: true },
  );
}

/** The CRM adopts a QBO customer announced to it (`contact.created` without a contact id). */
async function linkByCrm(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
  qboCustomerId: string,
  now: Date,
): Promise<void> {
  const links = contactLinkModel(db);
  const _id = contactKey(connection._id, crmContactId);
  const current = await links.findById(_id).lean();
  if (current?.qboCustomerId === qboCustomerId) return;
  if (!(await qboCustomerModel(db).exists({ connectionId: connection._id, qboId: qboCustomerId })))
    throw new ContactProblem(
      'customer_not_found',
      `no QuickBooks customer ${qboCustomerId} in this company`,
      'body.qboCustomerId',
    );
  const other = await links.findOne({ connectionId: connection._id, qboCustomerId }).lean();
  if (other)
    throw new ContactProblem(
      'customer_already_linked',
      `QuickBooks customer ${qboCustomerId} is linked to contact ${other.crmContactId}`,
      'body.qboCustomerId',
    );
  // Never synced with this customer: the first merge has no base, and the more recent side wins each field.
  const link = {
    qboCustomerId,
    snapshot: {},
    qboSyncToken: '',
    linkedBy: 'crm' as const,
    syncedAt: new Date(0),
  };
  if (current) await links.updateOne({ _id }, { $set: link, $unset: { deletedAt: 1 } });
  else await links.create({ _id, connectionId: connection._id, crmContactId, ...link });
  await markCustomerLinked(db, connection._id, qboCustomerId, crmContactId);
  await recordSyncEvents(db, [
    {
      connectionId: connection._id,
      crmContactId,
      qboCustomerId,
      kind: 'linked',
      detail: { by: 'crm' },
      at: now,
    },
  ]);
}

/** Marks the contact deleted; the workflow turns its link into a tombstone. False when there is no such contact. */
export async function deleteContact(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
  now: Date,
): Promise<boolean> {
  const result = await crmContactModel(db).updateOne(
    { _id: contactKey(connection._id, crmContactId), deletedAt: { $exists: false } },
    { $set: { deletedAt: now } },
  );
  return result.matchedCount === 1;
}

export async function readContact(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
): Promise<ContactView | null> {
  const _id = contactKey(connection._id, crmContactId);
  const [merged, link, lastEvent] = await Promise.all([
    readMergedContact(db, _id),
    contactLinkModel(db).findById(_id).lean(),
    lastSyncEventModel(db).findById(_id).lean(),
  ]);
  if (!merged) return null;
  const contact = merged.record;
  return {
    crmContactId: contact.crmContactId,
    connectionId: connection._id,
    updatedAt: contact.updatedAt,
    fields: storeFields(merged.fields),
    deleted: Boolean(contact.deletedAt),
    quickbooks:
      link && !link.deletedAt
        ? {
            customerId: link.qboCustomerId,
            linkedBy: link.linkedBy,
            syncedAt: link.syncedAt.getTime() > 0 ? link.syncedAt.toISOString() : null,
            link: qboLink('Customer', link.qboCustomerId, connection.environment),
          }
        : null,
    sync: {
      state: contact.deletedAt ? 'deleted' : merged.state,
      lastEvent: lastEvent
        ? {
            kind: lastEvent.kind,
            at: lastEvent.at.toISOString(),
            fields: lastEvent.fields ?? [],
            detail: lastEvent.detail ?? {},
          }
        : null,
    },
  };
}

export interface FeedItem {
  connectionId: string;
  qboCustomerId: string;
  crmContactId: string | null;
  active: boolean;
  mergedInto: string | null;
  fields: StoredFields;
  changedAt: string;
  link: string;
}

/** QBO-side changes since a time, oldest first: the initial load after a backfill, and a backstop for webhooks. */
export async function contactFeed(
  db: MongoConnection,
  connections: readonly ConnectionRecord[],
  changedSince: Date,
  after: { at: string; id: string } | undefined,
  limit: number,
): Promise<(FeedItem & { position: { at: string; id: string } })[]> {
  const byId = new Map(connections.map((connection) => [connection._id, connection]));
  const range = after
    ? {
        $or: [
          { qboChangedAt: { $gt: new Date(after.at) } },
          { qboChangedAt: new Date(after.at), _id: { $gt: after.id } },
        ],
      }
    : {};
  const customers = await qboCustomerModel(db)
    .find({ connectionId: { $in: [...byId.keys()] }, qboChangedAt: { $gt: changedSince }, ...range })
    .sort({ qboChangedAt: 1, _id: 1 })
    .limit(limit)
    .lean();
  return customers.map((customer) => ({
    connectionId: customer.connectionId,
    qboCustomerId: customer.qboId,
    crmContactId: customer.crmContactId ?? null,
    active: customer.active,
    mergedInto: customer.mergedInto ?? null,
    fields: customer.fields,
    changedAt: customer.qboChangedAt!.toISOString(),
    link: qboLink('Customer', customer.qboId, byId.get(customer.connectionId)!.environment),
    position: { at: customer.qboChangedAt!.toISOString(), id: customer._id },
  }));
}
