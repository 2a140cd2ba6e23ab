import type { Connection as MongoConnection } from 'mongoose';
import { loadFields, storeFields, type StoredFields } from '../db/field-maps';
import {
  connectionModel,
  settingsOf,
  syncedCustomFields,
  type ConnectionRecord,
} from '../db/models/connection';
import { customFieldsForCrm, customFieldsFromCrm } from '../sync/custom-fields';
import { defaultRetention, type RetentionSettings } from '../db/retention';
import { lastSyncEvent, recordSyncEvents, type SyncEventKind } from '../history/sync-events';
import { customerKey, qboCustomerModel } from '../projections/models';
import { isCustomFieldName, type SyncFields } from '../sync/fields';
import { qboLink } from '../sync/transactions';
import { contactKey, type ContactRecord, type ContactState, type LinkMethod } from './model';
import {
  contactLinkedTo,
  contactsLinkedTo,
  linkContact,
  markContactDeleted,
  mergedFields,
  newLink,
  readContactRecord,
  StaleContactError,
  storeCrmVersion,
} from './store';

/**
 * Contacts as the CRM sees them, for the API: store a version the CRM sends (and adopt a customer it names), mark
 * one deleted, read one back with QBO's changes merged in, and the feed of QBO-side changes. The workflow does the
 * QBO side (src/activities).
 */
export interface ContactView {
  crmContactId: string;
  connectionId: string;
  updatedAt: string;
  fields: StoredFields;
  /** The mapped custom fields' values, by CRM key. */
  customFields: Record<string, string | number | null>;
  deleted: boolean;
  quickbooks: {
    customerId: string;
    linkedBy: LinkMethod;
    syncedAt: string | null;
    link: string;
    /** When an undo of its creation made the customer inactive: the contact is no longer synced to it. */
    deactivatedAt: string | null;
  } | null;
  sync: {
    state: ContactState;
    /** Why a pending contact is not being written yet: its connection is paused, or awaits its preview. */
    waitingFor: 'connection_paused' | 'preview' | null;
    /** The CRM's clock ran ahead of ours: the `updatedAt` it sent, which was clamped to the time we received it. */
    clampedUpdatedAt: string | null;
    /** Fields held for a person to decide (conflict policy `manual`). */
    heldFields: string[];
    /** The last sync event for the contact: what happened, and why when it failed. */
    lastEvent: {
      kind: SyncEventKind;
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
      | 'customer_already_linked'
      | 'invalid_custom_field',
    message: string,
    readonly field?: string,
    /** For `connection_required`: the connections to choose from. */
    readonly choices?: { id: string; companyName: string | null }[],
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
  if (connectionId !== undefined) return connections.findOne({ _id: connectionId, accountId }).lean();
  const live = await connections
    .find({ accountId, status: { $ne: 'disconnected' } })
    .limit(50)
    .lean();
  if (live.length === 1) return live[0]!;
  if (live.length === 0)
    throw new ContactProblem('no_connection', 'this account has no connected QuickBooks company', field);
  throw new ContactProblem(
    'connection_required',
    'this account has several QuickBooks companies: name one with connectionId',
    field,
    live.map((connection) => ({ id: connection._id, companyName: connection.companyName ?? null })),
  );
}

/** A disconnected connection takes no contacts. */
export function assertWritable(connection: ConnectionRecord): void {
  if (connection.status === 'disconnected')
    throw new ContactProblem('connection_inactive', 'the connection is disconnected; reconnect it first');
}

/**
 * Stores the version of a contact the CRM sent. Naming `qboCustomerId` adopts that customer (announced to the CRM
 * by `contact.created`): checked before anything is stored, so a refused adoption leaves nothing behind.
 */
export async function storeContact(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
  input: ContactInput,
  now: Date,
  retention: RetentionSettings = defaultRetention,
): Promise<{ clamped: boolean }> {
  assertWritable(connection);
  // Checked against the definitions before anything is stored: QBO would refuse the value, so it never gets there.
  const custom = customFieldsFromCrm(input.customFields ?? {}, syncedCustomFields(connection));
  if (custom.problems.length > 0)
    throw new ContactProblem(
      'invalid_custom_field',
      custom.problems.map(({ crmKey, problem }) => `customFields.${crmKey}: ${problem}`).join('; '),
      `body.customFields.${custom.problems[0]!.crmKey}`,
    );
  const fields = { ...input.fields, ...custom.fields };
  const adopting = input.qboCustomerId;
  if (adopting !== undefined) await checkAdoptable(db, connection, crmContactId, adopting);
  const tolerance = settingsOf(connection).skewToleranceSeconds * 1000;
  let stored;
  try {
    stored = await storeCrmVersion(
      db,
      connection._id,
      crmContactId,
      { fields, updatedAt: input.updatedAt },
      now,
      tolerance,
    );
  } catch (error) {
    if (error instanceof StaleContactError)
      throw new ContactProblem(
        'stale_contact',
        `updatedAt ${input.updatedAt} is older than the stored ${error.storedUpdatedAt}`,
        'body.updatedAt',
      );
    throw error;
  }
  if (adopting !== undefined && stored.record.link?.qboCustomerId !== adopting) {
    const linked = await linkContact(db, stored.record, newLink(adopting, 'crm', now), stored.record.linkKey);
    if (!linked) await checkAdoptable(db, connection, crmContactId, adopting);
    await recordSyncEvents(
      db,
      [
        {
          connectionId: connection._id,
          crmContactId,
          qboCustomerId: adopting,
          kind: 'linked',
          detail: { by: 'crm' },
          at: now,
        },
      ],
      retention.syncEventDays,
    );
  }
  return { clamped: stored.clamped };
}

/** A version of a contact as the CRM sends it. */
export interface ContactInput {
  fields: SyncFields;
  /** Mapped custom field values by CRM key; keys left out keep their values. */
  customFields?: Record<string, unknown>;
  updatedAt: string;
  qboCustomerId?: string;
}

/** One contact of a batch, as `storeContact` takes it. */
export interface ContactVersion extends ContactInput {
  crmContactId: string;
}

/** Contacts of a batch stored at once: enough to keep the database busy, few enough to share it. */
const batchConcurrency = 8;

/**
 * Stores a batch of contacts through `storeContact`, each on its own: a refusal is that contact's outcome, in the
 * batch's order. Ids must be distinct (two versions of one contact would race). Anything but a refusal (the
 * database failing) fails the batch; contacts stored by then stay stored, and sending the batch again is safe.
 */
export async function storeContacts(
  db: MongoConnection,
  connection: ConnectionRecord,
  versions: readonly ContactVersion[],
  now: Date,
  retention: RetentionSettings = defaultRetention,
): Promise<({ clamped: boolean } | ContactProblem)[]> {
  const outcomes = new Array<{ clamped: boolean } | ContactProblem>(versions.length);
  let next = 0;
  const storeNext = async (): Promise<void> => {
    for (let index = next++; index < versions.length; index = next++) {
      const { crmContactId, ...version } = versions[index]!;
      try {
        outcomes[index] = await storeContact(db, connection, crmContactId, version, now, retention);
      } catch (error) {
        if (!(error instanceof ContactProblem)) throw error;
        outcomes[index] = error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(batchConcurrency, versions.length) }, storeNext));
  return outcomes;
}

async function checkAdoptable(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
  qboCustomerId: string,
): Promise<void> {
  const [customer, other] = await Promise.all([
    qboCustomerModel(db).exists({ _id: customerKey(connection._id, qboCustomerId) }),
    contactLinkedTo(db, connection._id, qboCustomerId),
  ]);
  if (!customer)
    throw new ContactProblem(
      'customer_not_found',
      `no QuickBooks customer ${qboCustomerId} in this company`,
      'body.qboCustomerId',
    );
  if (other && other.crmContactId !== crmContactId)
    throw new ContactProblem(
      'customer_already_linked',
      `QuickBooks customer ${qboCustomerId} is linked to contact ${other.crmContactId}`,
      'body.qboCustomerId',
    );
}

/** Marks the contact deleted; the workflow turns its link into a tombstone. False when there is no such contact. */
export async function deleteContact(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
  now: Date,
): Promise<boolean> {
  return markContactDeleted(db, connection._id, crmContactId, now);
}

export function contactView(
  contact: ContactRecord,
  connection: ConnectionRecord,
  lastEvent: Awaited<ReturnType<typeof lastSyncEvent>>,
): ContactView {
  const link = contact.link && !contact.link.deletedAt ? contact.link : undefined;
  const merged = mergedFields(contact);
  return {
    crmContactId: contact.crmContactId,
    connectionId: connection._id,
    updatedAt: contact.crm.updatedAt,
    fields: withoutCustomFields(storeFields(merged)),
    customFields: customFieldsForCrm(merged, syncedCustomFields(connection)),
    deleted: Boolean(contact.crm.deletedAt),
    quickbooks: link
      ? {
          customerId: link.qboCustomerId,
          linkedBy: link.linkedBy,
          syncedAt: link.syncedAt ? new Date(link.syncedAt).toISOString() : null,
          link: qboLink('Customer', link.qboCustomerId, connection.environment),
          deactivatedAt: link.deactivated ? new Date(link.deactivated.at).toISOString() : null,
        }
      : null,
    sync: {
      state: contact.state,
      waitingFor:
        contact.state !== 'pending'
          ? null
          : connection.paused
            ? 'connection_paused'
            : connection.awaitingPreview
              ? 'preview'
              : null,
      clampedUpdatedAt: contact.crm.sentUpdatedAt ?? null,
      heldFields: Object.keys(contact.link?.held ?? {}).map((field) => field.replace(/\//g, '.')),
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

export async function readContact(
  db: MongoConnection,
  connection: ConnectionRecord,
  crmContactId: string,
): Promise<ContactView | null> {
  const [contact, lastEvent] = await Promise.all([
    readContactRecord(db, contactKey(connection._id, crmContactId)),
    lastSyncEvent(db, connection._id, crmContactId),
  ]);
  return contact ? contactView(contact, connection, lastEvent) : null;
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
  const contactOf = new Map<string, string>();
  for (const connectionId of new Set(customers.map((customer) => customer.connectionId))) {
    const linked = await contactsLinkedTo(
      db,
      connectionId,
      customers
        .filter((customer) => customer.connectionId === connectionId)
        .map((customer) => customer.qboId),
    );
    for (const [qboId, contact] of linked) contactOf.set(`${connectionId}:${qboId}`, contact.crmContactId);
  }
  return customers.map((customer) => ({
    connectionId: customer.connectionId,
    qboCustomerId: customer.qboId,
    crmContactId: contactOf.get(`${customer.connectionId}:${customer.qboId}`) ?? null,
    active: customer.active,
    mergedInto: customer.mergedInto ?? null,
    fields: withoutCustomFields(customer.fields),
    changedAt: customer.qboChangedAt!.toISOString(),
    link: qboLink('Customer', customer.qboId, byId.get(customer.connectionId)!.environment),
    position: { at: customer.qboChangedAt!.toISOString(), id: customer._id },
  }));
}

/** The fixed fields of stored values: custom fields are shown by the CRM keys mapped to them, or not at all. */
function withoutCustomFields(fields: StoredFields): StoredFields {
  return storeFields(
    Object.fromEntries(Object.entries(loadFields(fields)).filter(([field]) => !isCustomFieldName(field))),
  );
}
