import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../db/claims';
import { baseWithUnconfirmedWrites, qboChangesCarriedOver } from '../sync/merge';
import type { SyncFields } from '../sync/fields';
import { loadFields, storeFields, type StoredFields } from './models';

/**
 * The CRM's side: contacts as the CRM last sent them, the sync engine's side of each contact, the link between a
 * contact and its QBO customer with the snapshot both sides agreed on (the base of the three-way merge), and the sync
 * events (changes and conflicts) that the API shows.
 *
 * A contact is two documents with one writer each: the API writes `crm_contacts` (a PUT, a delete) and the
 * connection's workflow writes `contact_sync` (QBO's changes, the push's outcome). Neither can then undo the other's
 * write: MongoDB would not, but FerretDB 1.x rewrites the whole document on every update from a read made before it,
 * and a read-merge-write in the engine takes as long as its QBO calls.
 */
export interface CrmContactRecord {
  _id: string;
  connectionId: string;
  crmContactId: string;
  fields: StoredFields;
  /** The CRM's own `updatedAt` for the contact. */
  updatedAt: string;
  /** When this version of the contact was stored: the version `contact_sync` records name. */
  receivedAt: Date;
  /** The CRM deleted the contact: a tombstone, so that no sync brings it back. */
  deletedAt?: Date;
}

export type ContactSyncState = 'pending' | 'synced' | 'rejected';

export interface ContactSyncRecord {
  _id: string;
  connectionId: string;
  crmContactId: string;
  /** The version of the contact (its `receivedAt`) this record is about; a newer PUT makes the rest moot. */
  version: Date;
  /** How that version's push ended: written to QBO, or refused by QBO's rules. Absent while it waits. */
  state?: Exclude<ContactSyncState, 'pending'>;
  /** QBO's changes merged into that version, which the CRM reads as part of the contact. */
  fromQbo: StoredFields;
}

/** How a contact came to be linked: we created the customer, matched it by email or name, or the CRM named it. */
export const linkMethods = ['created', 'email', 'name', 'crm'] as const;
export type LinkMethod = (typeof linkMethods)[number];

export interface ContactLinkRecord {
  _id: string;
  connectionId: string;
  crmContactId: string;
  qboCustomerId: string;
  /** The fields both sides held after the last successful sync. */
  snapshot: StoredFields;
  /** QBO's SyncToken after our last write: CDC and webhooks bringing back this version are our own echo. */
  qboSyncToken: string;
  /** The writes sent to QBO since the last confirmed sync, oldest first, whose answers were not seen (see `mergeBaseOf`). */
  unconfirmedWrites?: StoredFields[];
  linkedBy: LinkMethod;
  syncedAt: Date;
  /** The contact was deleted in the CRM; the QBO customer is left as it is (QBO cannot delete customers). */
  deletedAt?: Date;
}

export interface SyncEventRecord {
  connectionId: string;
  crmContactId?: string;
  qboCustomerId?: string;
  kind:
    | 'linked'
    | 'relinked'
    | 'unlinked'
    | 'created'
    | 'updated_qbo'
    | 'updated_crm'
    | 'conflict'
    | 'rejected'
    | 'contact_deleted';
  fields?: string[];
  detail?: Record<string, unknown>;
  /** For applied changes: from the change on its source side to it landing on the other (freshness). */
  lagMs?: number;
  /** For conflicts: the CRM chose to keep its own value after all. */
  resolution?: { choice: 'qbo' | 'crm'; at: Date };
  at: Date;
}

const contactSchema = new Schema<CrmContactRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    crmContactId: { type: String, required: true },
    fields: { type: Schema.Types.Mixed, required: true },
    updatedAt: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    deletedAt: Date,
  },
  { collection: 'crm_contacts', versionKey: false, minimize: false },
);

const contactSyncSchema = new Schema<ContactSyncRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    crmContactId: { type: String, required: true },
    version: { type: Date, required: true },
    state: { type: String, enum: ['synced', 'rejected'] },
    fromQbo: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'contact_sync', versionKey: false, minimize: false },
);
contactSyncSchema.index({ connectionId: 1 });

const linkSchema = new Schema<ContactLinkRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    crmContactId: { type: String, required: true },
    qboCustomerId: { type: String, required: true },
    snapshot: { type: Schema.Types.Mixed, required: true },
    qboSyncToken: { type: String, default: '' },
    unconfirmedWrites: [Schema.Types.Mixed],
    linkedBy: { type: String, enum: linkMethods, required: true },
    syncedAt: { type: Date, required: true },
    deletedAt: Date,
  },
  { collection: 'contact_links', versionKey: false, minimize: false },
);
// A QBO customer is linked to at most one contact per connection.
linkSchema.index({ connectionId: 1, qboCustomerId: 1 }, { unique: true });

const syncEventSchema = new Schema<SyncEventRecord>(
  {
    connectionId: { type: String, required: true },
    crmContactId: String,
    qboCustomerId: String,
    kind: { type: String, required: true },
    fields: [String],
    detail: Schema.Types.Mixed,
    lagMs: Number,
    resolution: { type: new Schema({ choice: String, at: Date }, { _id: false }), required: false },
    at: { type: Date, required: true },
  },
  { collection: 'sync_events', versionKey: false },
);
syncEventSchema.index({ connectionId: 1, at: -1 });
syncEventSchema.index({ connectionId: 1, crmContactId: 1, at: -1 });

/**
 * What a linked contact merges against: the snapshot both sides last agreed on, where QBO holding a value one of our
 * unconfirmed writes sent counts as agreed; null for a link that never synced (the more recent side wins each field).
 */
export function mergeBaseOf(link: ContactLinkRecord, qbo: SyncFields): SyncFields | null {
  if (link.syncedAt.getTime() === 0) return null;
  return baseWithUnconfirmedWrites(
    loadFields(link.snapshot),
    (link.unconfirmedWrites ?? []).map(loadFields),
    qbo,
  );
}

export function crmContactModel(db: Connection): Model<CrmContactRecord> {
  return (
    (db.models.CrmContact as Model<CrmContactRecord> | undefined) ?? db.model('CrmContact', contactSchema)
  );
}

export function contactSyncModel(db: Connection): Model<ContactSyncRecord> {
  return (
    (db.models.ContactSync as Model<ContactSyncRecord> | undefined) ??
    db.model('ContactSync', contactSyncSchema)
  );
}

/** A contact as the CRM reads it: its latest version, with QBO's changes to that version merged in. */
export function mergedContact(
  contact: CrmContactRecord,
  sync: ContactSyncRecord | null,
): { fields: SyncFields; state: ContactSyncState } {
  const current = isCurrent(contact, sync);
  return {
    fields: { ...loadFields(contact.fields), ...(current ? loadFields(sync.fromQbo) : {}) },
    state: (current && sync.state) || 'pending',
  };
}

/** Whether `sync` is about the contact's latest version; older ones are moot once a newer PUT lands. */
function isCurrent<Sync extends Pick<ContactSyncRecord, 'version'>>(
  contact: Pick<CrmContactRecord, 'receivedAt'>,
  sync: Sync | null | undefined,
): sync is Sync {
  return !!sync && sync.version.getTime() === contact.receivedAt.getTime();
}

/** A contact as the engine and the API read it: the stored version, and its fields with QBO's changes merged in. */
export interface MergedContact {
  record: CrmContactRecord;
  fields: SyncFields;
  state: ContactSyncState;
}

export async function readMergedContact(db: Connection, key: string): Promise<MergedContact | null> {
  const [record, sync] = await Promise.all([
    crmContactModel(db).findById(key).lean<CrmContactRecord>(),
    contactSyncModel(db).findById(key).lean<ContactSyncRecord>(),
  ]);
  return record ? { record, ...mergedContact(record, sync) } : null;
}

/** The sync state of each live contact of one connection (or all), optionally only those named. */
export async function liveContactStates(
  db: Connection,
  scope: { connectionId?: string; crmContactIds?: string[] },
): Promise<{ crmContactId: string; state: ContactSyncState }[]> {
  const byConnection = scope.connectionId === undefined ? {} : { connectionId: scope.connectionId };
  const [contacts, syncs] = await Promise.all([
    crmContactModel(db)
      .find(
        {
          ...byConnection,
          ...(scope.crmContactIds ? { crmContactId: { $in: scope.crmContactIds } } : {}),
          deletedAt: { $exists: false },
        },
        { crmContactId: 1, receivedAt: 1 },
      )
      .lean(),
    contactSyncModel(db)
      .find({ ...byConnection, state: { $exists: true } }, { version: 1, state: 1 })
      .lean(),
  ]);
  const syncById = new Map(syncs.map((sync) => [sync._id, sync]));
  return contacts.map((contact) => {
    const sync = syncById.get(contact._id);
    return {
      crmContactId: contact.crmContactId,
      state: (isCurrent(contact, sync) && sync.state) || 'pending',
    };
  });
}

/** How often a QBO change follows PUTs that keep landing while it is recorded, before the next push takes over. */
const maxCarryOvers = 3;

/**
 * Records the engine's side of the contact version it read (`seen`): the push's outcome and QBO's changes merged
 * into it. Only the connection's workflow calls this. A PUT that landed meanwhile is a newer version, sent before
 * the CRM could know those changes: they carry over to the fields it left as they were (`qboChangesCarriedOver`),
 * so its push does not take the CRM's older value for an edit. Its own outcome is still to come.
 */
export async function recordContactSync(
  db: Connection,
  seen: Pick<CrmContactRecord, '_id' | 'connectionId' | 'crmContactId' | 'receivedAt' | 'fields'>,
  change: { state?: ContactSyncRecord['state']; fromQbo?: Partial<SyncFields> },
): Promise<void> {
  const syncs = contactSyncModel(db);
  let version = seen;
  let fromQbo = change.fromQbo ?? {};
  let state = change.state;
  for (let carried = 0; ; carried += 1) {
    const held = await syncs.findById(seen._id).lean();
    const same = held?.version.getTime() === version.receivedAt.getTime();
    const resultingState = state ?? (same ? held?.state : undefined);
    await syncs.replaceOne(
      { _id: seen._id },
      {
        _id: seen._id,
        connectionId: seen.connectionId,
        crmContactId: seen.crmContactId,
        version: version.receivedAt,
        ...(resultingState ? { state: resultingState } : {}),
        fromQbo: storeFields({ ...(same && held ? loadFields(held.fromQbo) : {}), ...fromQbo } as SyncFields),
      },
      { upsert: true },
    );
    if (Object.keys(fromQbo).length === 0 || carried === maxCarryOvers) return;
    const latest = await crmContactModel(db).findById(seen._id, { receivedAt: 1, fields: 1 }).lean();
    if (!latest || latest.receivedAt.getTime() === version.receivedAt.getTime()) return;
    fromQbo = qboChangesCarriedOver(fromQbo, loadFields(version.fields), loadFields(latest.fields));
    version = { ...version, receivedAt: latest.receivedAt, fields: latest.fields };
    state = undefined;
  }
}

export function contactLinkModel(db: Connection): Model<ContactLinkRecord> {
  return (
    (db.models.ContactLink as Model<ContactLinkRecord> | undefined) ?? db.model('ContactLink', linkSchema)
  );
}

export function syncEventModel(db: Connection): Model<SyncEventRecord> {
  return (
    (db.models.SyncEvent as Model<SyncEventRecord> | undefined) ?? db.model('SyncEvent', syncEventSchema)
  );
}

/** A contact's latest sync event, kept by contact key so the contact view reads it by `_id`. */
export type LastSyncEventRecord = Pick<SyncEventRecord, 'kind' | 'at' | 'fields' | 'detail'> & {
  _id: string;
};

const lastSyncEventSchema = new Schema<LastSyncEventRecord>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
    fields: [String],
    detail: Schema.Types.Mixed,
  },
  { collection: 'contact_last_events', versionKey: false },
);

export function lastSyncEventModel(db: Connection): Model<LastSyncEventRecord> {
  return (
    (db.models.LastSyncEvent as Model<LastSyncEventRecord> | undefined) ??
    db.model('LastSyncEvent', lastSyncEventSchema)
  );
}

/**
 * Appends sync events, and keeps each contact's latest beside them: on FerretDB, finding a contact's latest event
 * in `sync_events` (which grows with every change) would read all of it.
 */
export async function recordSyncEvents(db: Connection, events: SyncEventRecord[]): Promise<void> {
  if (events.length === 0) return;
  await syncEventModel(db).insertMany(events);
  const latest = new Map<string, SyncEventRecord>();
  for (const event of events)
    if (event.crmContactId) latest.set(contactKey(event.connectionId, event.crmContactId), event);
  for (const [_id, { kind, at, fields, detail }] of latest) {
    const record = { _id, kind, at, ...(fields ? { fields } : {}), ...(detail ? { detail } : {}) };
    try {
      await lastSyncEventModel(db).replaceOne({ _id }, record, { upsert: true });
    } catch (error) {
      // Two first events of one contact at once: either is the latest.
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

export const contactKey = (connectionId: string, crmContactId: string): string =>
  `${connectionId}:${crmContactId}`;
