import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../db/errors';
import { loadFields, storeFields, storedFieldName } from '../db/field-maps';
import {
  customFieldsIn,
  normaliseValue,
  syncFieldNames,
  type ContactFields,
  type FieldName,
} from '../sync/fields';
import {
  contactKey,
  contactModel,
  linkKeyOf,
  outcomeIsCurrent,
  type ContactLink,
  type ContactRecord,
  type LinkMethod,
  type StoredBaseEntry,
  type StoredFieldChange,
} from './model';
import { countMatching } from '../db/count';

/**
 * Every write to a contact document, for the API and the engine alike (the writers and their guards are listed in
 * ./model.ts). Each is one atomic update of the fields its writer owns.
 */

/** A PUT or delete refused because a newer version is stored. */
export class StaleContactError extends Error {
  constructor(readonly storedUpdatedAt: string) {
    super(`a newer version (updatedAt ${storedUpdatedAt}) is stored`);
    this.name = 'StaleContactError';
  }
}

/** How many times a write retries when another writer moved the contact between its read and its update. */
const maxRaces = 5;

export interface CrmVersion {
  /** Custom fields it does not name keep their stored values; null clears one. */
  fields: ContactFields;
  /** The CRM's `updatedAt` as sent. */
  updatedAt: string;
}

export interface StoredVersion {
  record: ContactRecord;
  /** False when the same version was sent again: nothing changed. */
  changed: boolean;
  /** The CRM's clock ran ahead of ours: `updatedAt` was clamped to the time we received it. */
  clamped: boolean;
}

/**
 * Stores a version of a contact as the CRM sent it. Versions are ordered by the CRM's `updatedAt`, clamped to our
 * clock plus `skewToleranceMs`, so a CRM clock running ahead can neither win every conflict nor lock out the next
 * correct one. Each field remembers the version that last changed it. The same version sent again is a no-op.
 */
export async function storeCrmVersion(
  db: Connection,
  connectionId: string,
  crmContactId: string,
  version: CrmVersion,
  now: Date,
  skewToleranceMs: number,
): Promise<StoredVersion> {
  const contacts = contactModel(db);
  const _id = contactKey(connectionId, crmContactId);
  const sent = Date.parse(version.updatedAt);
  const clamped = sent > now.getTime() + skewToleranceMs;
  let updatedAt = clamped ? now.toISOString() : version.updatedAt;
  let at = new Date(Date.parse(updatedAt));
  for (let race = 0; race < maxRaces; race += 1) {
    const held = await contacts.findById(_id, { crm: 1 }).lean<Pick<ContactRecord, 'crm'>>();
    if (!held) {
      const record = newContactRecord(connectionId, crmContactId, version, now, skewToleranceMs);
      try {
        await contacts.create(record);
        return { record, changed: true, clamped };
      } catch (error) {
        if (isDuplicateKey(error)) continue;
        throw error;
      }
    }
    const heldAt = Date.parse(held.crm.updatedAt);
    // A clamped version is still newer than the one held if its own clock says so: it is ordered after it.
    if (clamped && heldAt > at.getTime() && sent > heldAt) {
      at = new Date(heldAt);
      updatedAt = held.crm.updatedAt;
    }
    if (heldAt > at.getTime()) throw new StaleContactError(held.crm.updatedAt);
    const previous = loadFields(held.crm.fields);
    const fields: ContactFields = { ...customValues(previous), ...version.fields };
    const changedFields = [...syncFieldNames, ...customFieldsIn(fields)].filter(
      (field) => normaliseValue(field, previous[field]) !== normaliseValue(field, fields[field]),
    );
    if (heldAt === at.getTime() && changedFields.length === 0 && !held.crm.deletedAt) {
      const record = await contacts.findById(_id).lean<ContactRecord>();
      if (record) return { record, changed: false, clamped };
      continue;
    }
    const change: StoredFieldChange = { at, receivedAt: now };
    const updated = await contacts
      .findOneAndUpdate(
        { _id, 'crm.version': held.crm.version },
        {
          $set: {
            'crm.fields': storeFields(fields),
            'crm.updatedAt': updatedAt,
            'crm.receivedAt': now,
            'crm.version': held.crm.version + 1,
            ...Object.fromEntries(
              changedFields.map((field) => [`crm.fieldChanges.${storedFieldName(field)}`, change]),
            ),
            ...(clamped ? { 'crm.sentUpdatedAt': version.updatedAt } : {}),
            state: 'pending',
          },
          // A PUT is a live contact again, whatever was deleted before.
          $unset: { 'crm.deletedAt': 1, ...(clamped ? {} : { 'crm.sentUpdatedAt': 1 }) },
        },
        { new: true },
      )
      .lean<ContactRecord>();
    if (updated) return { record: updated, changed: true, clamped };
  }
  throw new Error(`contact ${_id} kept changing while it was stored; retry`);
}

/**
 * A contact's first version as `storeCrmVersion` stores it: every field set at the CRM's `updatedAt` (clamped to our
 * clock plus the tolerance). A preview merges such a record without storing it.
 */
export function newContactRecord(
  connectionId: string,
  crmContactId: string,
  version: CrmVersion,
  now: Date,
  skewToleranceMs: number,
): ContactRecord {
  const clamped = Date.parse(version.updatedAt) > now.getTime() + skewToleranceMs;
  const updatedAt = clamped ? now.toISOString() : version.updatedAt;
  const change: StoredFieldChange = { at: new Date(Date.parse(updatedAt)), receivedAt: now };
  return {
    _id: contactKey(connectionId, crmContactId),
    connectionId,
    crmContactId,
    crm: {
      fields: storeFields(version.fields),
      updatedAt,
      ...(clamped ? { sentUpdatedAt: version.updatedAt } : {}),
      receivedAt: now,
      version: 1,
      fieldChanges: Object.fromEntries(
        [...syncFieldNames, ...customFieldsIn(version.fields)].map((field) => [
          storedFieldName(field),
          change,
        ]),
      ),
    },
    sync: { version: 0, fromQbo: {} },
    state: 'pending',
    createdAt: now,
  };
}

/** Marks the contact deleted (a new version the engine turns into a tombstone link); false if there is none. */
export async function markContactDeleted(
  db: Connection,
  connectionId: string,
  crmContactId: string,
  now: Date,
): Promise<boolean> {
  const result = await contactModel(db).updateOne(
    { _id: contactKey(connectionId, crmContactId), 'crm.deletedAt': { $exists: false } },
    { $set: { 'crm.deletedAt': now, state: 'deleted' }, $inc: { 'crm.version': 1 } },
  );
  return result.matchedCount === 1;
}

export async function readContactRecord(db: Connection, _id: string): Promise<ContactRecord | null> {
  return contactModel(db).findById(_id).lean<ContactRecord>();
}

/** The contact as the CRM reads it: its latest version, with QBO's changes to that version merged in. */
export function mergedFields(contact: Pick<ContactRecord, 'crm' | 'sync'>): ContactFields {
  const fields = loadFields(contact.crm.fields);
  const fromQbo = outcomeIsCurrent(contact) ? loadFields(contact.sync.fromQbo) : {};
  return Object.fromEntries(
    [...syncFieldNames, ...customFieldsIn({ ...fields, ...fromQbo })].map((field) => [
      field,
      fromQbo[field] ?? fields[field] ?? null,
    ]),
  ) as ContactFields;
}

function customValues(fields: Record<string, string | null>): Partial<ContactFields> {
  return Object.fromEntries(customFieldsIn(fields).map((field) => [field, fields[field] ?? null]));
}

// ─── Links ────────────────────────────────────────────────────────────────────────────────────────────────────

/** A link's fields as stored, for a contact linked to `qboCustomerId` just now (no base yet: a first link). */
export function newLink(
  qboCustomerId: string,
  linkedBy: LinkMethod,
  now: Date,
  base: ContactLink['base'] = {},
): ContactLink {
  return { qboCustomerId, linkedBy, linkedAt: now, base };
}

/**
 * Links an unlinked contact (or one the CRM points at another customer: `replacing`) to a customer. False when the
 * customer is linked to another contact already (the unique `linkKey` decides, so two linkers never both win) or
 * the contact's link changed meanwhile.
 */
export async function linkContact(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  link: ContactLink,
  replacing?: string,
): Promise<boolean> {
  try {
    const result = await contactModel(db).updateOne(
      { _id: contact._id, ...(replacing ? { linkKey: replacing } : { linkKey: { $exists: false } }) },
      {
        $set: { linkKey: linkKeyOf(contact.connectionId, link.qboCustomerId), link },
        // A create that may have committed unseen now lives on the link (`link.unconfirmedWrites`), if at all.
        $unset: { unconfirmedCreate: 1 },
      },
    );
    return result.matchedCount === 1;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** The contact linked to a customer, if any. */
export async function contactLinkedTo(
  db: Connection,
  connectionId: string,
  qboCustomerId: string,
): Promise<ContactRecord | null> {
  return contactModel(db)
    .findOne({ linkKey: linkKeyOf(connectionId, qboCustomerId) })
    .lean<ContactRecord>();
}

/** The contacts linked to any of `qboCustomerIds`, by customer id. */
export async function contactsLinkedTo(
  db: Connection,
  connectionId: string,
  qboCustomerIds: readonly string[],
): Promise<Map<string, ContactRecord>> {
  if (qboCustomerIds.length === 0) return new Map();
  const found = await contactModel(db)
    .find({ linkKey: { $in: [...new Set(qboCustomerIds)].map((id) => linkKeyOf(connectionId, id)) } })
    .lean<ContactRecord[]>();
  return new Map(found.map((contact) => [contact.link!.qboCustomerId, contact]));
}

/** What the engine changes on a link after a merge; everything else on it stays as it is. */
export interface LinkUpdate {
  base?: Partial<Record<FieldName, StoredBaseEntry>>;
  /** Fields that leave the sync (policy `none`): their base goes. */
  baseRemoved?: FieldName[];
  qboSyncToken?: string;
  syncedAt?: Date;
  /** QBO's version was agreed as a whole, so whatever of ours it holds is confirmed. */
  confirmWrites?: boolean;
  held?: Partial<Record<FieldName, { qboValue: string | null; crmValue: string | null; eventId: string }>>;
  releaseHeld?: FieldName[];
  decisionsApplied?: FieldName[];
}

/** Applies a merge's outcome to the link, if the contact is still linked to `qboCustomerId`. */
export async function updateLink(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  qboCustomerId: string,
  update: LinkUpdate,
): Promise<boolean> {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, 1> = {};
  for (const [field, entry] of Object.entries(update.base ?? {}))
    $set[`link.base.${storedFieldName(field)}`] = entry;
  for (const field of update.baseRemoved ?? []) $unset[`link.base.${storedFieldName(field)}`] = 1;
  if (update.qboSyncToken !== undefined) $set['link.qboSyncToken'] = update.qboSyncToken;
  if (update.syncedAt) $set['link.syncedAt'] = update.syncedAt;
  if (update.confirmWrites) $unset['link.unconfirmedWrites'] = 1;
  for (const [field, held] of Object.entries(update.held ?? {}))
    $set[`link.held.${storedFieldName(field)}`] = held;
  for (const field of update.releaseHeld ?? []) $unset[`link.held.${storedFieldName(field)}`] = 1;
  for (const field of update.decisionsApplied ?? []) $unset[`link.decisions.${storedFieldName(field)}`] = 1;
  if (Object.keys($set).length === 0 && Object.keys($unset).length === 0) return true;
  const result = await contactModel(db).updateOne(
    { _id: contact._id, linkKey: linkKeyOf(contact.connectionId, qboCustomerId) },
    { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) },
  );
  return result.matchedCount === 1;
}

/** Bounds a link's memory of unanswered writes; a confirmed sync forgets them all. */
const maxUnconfirmedWrites = 20;

/** A write about to be sent to QBO: its values, the CRM's time of them, when it is sent, and from which version. */
export interface WriteAhead {
  fields: Partial<ContactFields>;
  at: Date;
  sentAt: Date;
  /** The receipt stamp of the CRM version the values were merged from (`BaseEntry.crmSeenAt`). */
  crmSeenAt: Date;
}

const storedWrite = (write: WriteAhead) => ({ ...write, fields: storeFields(write.fields) });

/** Notes on the link what is about to be sent to QBO, before it is sent (see `baseWithUnconfirmedWrites`). */
export async function writeAhead(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  qboCustomerId: string,
  write: WriteAhead,
): Promise<void> {
  await contactModel(db).updateOne(
    { _id: contact._id, linkKey: linkKeyOf(contact.connectionId, qboCustomerId) },
    {
      $push: {
        'link.unconfirmedWrites': {
          $each: [storedWrite(write)],
          $slice: -maxUnconfirmedWrites,
        },
      },
    },
  );
}

/** Notes on an unlinked contact the create about to be sent to QBO, before it is sent (see `unconfirmedCreate`). */
export async function createAhead(
  db: Connection,
  contact: Pick<ContactRecord, '_id'>,
  write: WriteAhead,
): Promise<void> {
  await contactModel(db).updateOne(
    { _id: contact._id, linkKey: { $exists: false } },
    {
      $set: { unconfirmedCreate: storedWrite(write) },
    },
  );
}

/** A person decided a field: the next merge applies the chosen value to both sides (and clears the decision). */
export async function recordDecision(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  qboCustomerId: string,
  field: FieldName,
  decision: { side: 'qbo' | 'crm'; value: string | null },
): Promise<boolean> {
  const stored = storedFieldName(field);
  const result = await contactModel(db).updateOne(
    { _id: contact._id, linkKey: linkKeyOf(contact.connectionId, qboCustomerId) },
    { $set: { [`link.decisions.${stored}`]: decision }, $unset: { [`link.held.${stored}`]: 1 } },
  );
  return result.matchedCount === 1;
}

/** Turns the link into a tombstone: the contact was deleted, and no sync may recreate or relink it. */
export async function tombstoneLink(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  qboCustomerId: string,
  deletedAt: Date,
): Promise<boolean> {
  const result = await contactModel(db).updateOne(
    {
      _id: contact._id,
      linkKey: linkKeyOf(contact.connectionId, qboCustomerId),
      'link.deletedAt': { $exists: false },
    },
    { $set: { 'link.deletedAt': deletedAt } },
  );
  return result.modifiedCount === 1;
}

/** Records that an undo made the linked customer inactive (`deactivated`), or active again (null). */
export async function setLinkDeactivated(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  qboCustomerId: string,
  deactivated: NonNullable<ContactLink['deactivated']> | null,
): Promise<void> {
  await contactModel(db).updateOne(
    { _id: contact._id, linkKey: linkKeyOf(contact.connectionId, qboCustomerId) },
    deactivated ? { $set: { 'link.deactivated': deactivated } } : { $unset: { 'link.deactivated': 1 } },
  );
}

/** A live contact over a tombstone: the CRM sent it again, so the link lives again. */
export async function reviveLink(db: Connection, contact: Pick<ContactRecord, '_id'>): Promise<void> {
  await contactModel(db).updateOne({ _id: contact._id }, { $unset: { 'link.deletedAt': 1 } });
}

/**
 * QBO merged the linked customer into `intoId`. The contact follows to the survivor with no base (the survivor's
 * values were never agreed), unless the survivor has a contact of its own: then this contact is unlinked.
 */
export async function moveLink(
  db: Connection,
  contact: Pick<ContactRecord, '_id' | 'connectionId'>,
  fromId: string,
  intoId: string,
  now: Date,
): Promise<'moved' | 'unlinked' | 'unchanged'> {
  const contacts = contactModel(db);
  const guard = { _id: contact._id, linkKey: linkKeyOf(contact.connectionId, fromId) };
  try {
    const moved = await contacts.updateOne(guard, {
      $set: {
        linkKey: linkKeyOf(contact.connectionId, intoId),
        'link.qboCustomerId': intoId,
        'link.base': {},
        'link.linkedAt': now,
      },
      $unset: { 'link.qboSyncToken': 1, 'link.syncedAt': 1, 'link.unconfirmedWrites': 1, 'link.held': 1 },
    });
    return moved.matchedCount === 1 ? 'moved' : 'unchanged';
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const unlinked = await contacts.updateOne(guard, { $unset: { linkKey: 1, link: 1 } });
    return unlinked.matchedCount === 1 ? 'unlinked' : 'unchanged';
  }
}

// ─── The engine's outcome ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Records the engine's outcome for the CRM version it merged: QBO's changes merged into it, and, for a push, the
 * state it ended in. False when a newer version has arrived meanwhile: the outcome is moot, and that version's own
 * push follows.
 */
export async function recordOutcome(
  db: Connection,
  contact: Pick<ContactRecord, '_id'>,
  version: number,
  outcome: { state?: 'synced' | 'rejected'; fromQbo?: Partial<ContactFields>; at: Date },
): Promise<boolean> {
  const contacts = contactModel(db);
  const fromQbo = outcome.fromQbo ?? {};
  const state = outcome.state ? { state: outcome.state, 'sync.state': outcome.state } : {};
  // The outcome adds to what is recorded for this version already.
  const sameVersion = await contacts.updateOne(
    { _id: contact._id, 'crm.version': version, 'sync.version': version },
    {
      $set: {
        ...Object.fromEntries(
          Object.entries(storeFields(fromQbo)).flatMap(([head, value]) =>
            value !== null && typeof value === 'object'
              ? Object.entries(value).map(([part, partValue]) => [`sync.fromQbo.${head}.${part}`, partValue])
              : [[`sync.fromQbo.${head}`, value]],
          ),
        ),
        'sync.at': outcome.at,
        ...state,
      },
    },
  );
  if (sameVersion.matchedCount === 1) return true;
  const newVersion = await contacts.updateOne(
    { _id: contact._id, 'crm.version': version },
    {
      $set: {
        sync: {
          version,
          fromQbo: storeFields(fromQbo),
          at: outcome.at,
          ...(outcome.state ? { state: outcome.state } : {}),
        },
        ...(outcome.state ? { state: outcome.state } : {}),
      },
    },
  );
  return newVersion.matchedCount === 1;
}

// ─── Counts ───────────────────────────────────────────────────────────────────────────────────────────────────

export type ContactCounts = Record<ContactRecord['state'], number>;

/** Contacts per state, of one connection or all: one indexed count each. */
export async function countContacts(db: Connection, connectionId?: string): Promise<ContactCounts> {
  const states = ['pending', 'synced', 'rejected', 'deleted'] as const;
  const counts = await Promise.all(
    states.map((state) =>
      countMatching(contactModel(db), { ...(connectionId ? { connectionId } : {}), state }),
    ),
  );
  return Object.fromEntries(states.map((state, index) => [state, counts[index]!])) as ContactCounts;
}

/** The CRM contact each customer is linked to (live links only: a deleted contact's tombstone does not count). */
export async function linkedContactIds(
  db: Connection,
  connectionId: string,
  qboCustomerIds: readonly string[],
): Promise<Map<string, string>> {
  const linked = await contactsLinkedTo(db, connectionId, qboCustomerIds);
  return new Map(
    [...linked]
      .filter(([, contact]) => !contact.link?.deletedAt)
      .map(([qboId, contact]) => [qboId, contact.crmContactId]),
  );
}

/**
 * Fields that come back into the sync lose their merge base on every contact: their next merge is a first link.
 * Returns the linked contacts, which the sync must now merge again.
 */
export async function forgetBase(
  db: Connection,
  connectionId: string,
  fields: readonly FieldName[],
): Promise<string[]> {
  if (fields.length === 0) return [];
  await contactModel(db).updateMany(
    { connectionId },
    { $unset: Object.fromEntries(fields.map((field) => [`link.base.${storedFieldName(field)}`, 1])) },
  );
  const linked = await contactModel(db)
    .find(
      { connectionId, linkKey: { $exists: true }, 'link.deletedAt': { $exists: false } },
      { crmContactId: 1 },
    )
    .lean<Pick<ContactRecord, 'crmContactId'>[]>();
  return linked.map((contact) => contact.crmContactId);
}

// ─── Turns ────────────────────────────────────────────────────────────────────────────────────────────────────

/** A turn outlives a merge by far (a QBO request or two); a holder that died frees it after this. */
const turnLeaseMs = 60_000;
/** How long a merge waits for the other one before its activity fails and is retried. */
const turnWaitMs = 30_000;
const turnPollMs = 20;

export class ContactBusyError extends Error {
  constructor(contactId: string) {
    super(`contact ${contactId} is being merged by another sync for over ${turnWaitMs / 1000} s`);
    this.name = 'ContactBusyError';
  }
}

/**
 * Runs one merge of the contact in its turn: the push (CRM → QBO) and the pull (QBO → CRM) of one contact run in
 * different lanes, and without turns both could decide the same field from the same base and record it twice. The
 * turn is a conditional update on the contact itself; the other merge waits a moment for it.
 */
export async function inContactTurn<T>(
  db: Connection,
  contactId: string,
  work: () => Promise<T>,
): Promise<T> {
  const contacts = contactModel(db);
  const holder = randomUUID();
  const deadline = Date.now() + turnWaitMs;
  for (;;) {
    const now = new Date();
    const taken = await contacts.updateOne(
      { _id: contactId, $or: [{ turn: { $exists: false } }, { 'turn.until': { $lte: now } }] },
      { $set: { turn: { holder, until: new Date(now.getTime() + turnLeaseMs) } } },
    );
    if (taken.matchedCount === 1) break;
    // A contact that does not exist has no turns to take: the work finds it gone.
    if (!(await contacts.exists({ _id: contactId }))) return work();
    if (Date.now() > deadline) throw new ContactBusyError(contactId);
    await setTimeout(turnPollMs);
  }
  try {
    return await work();
  } finally {
    await contacts.updateOne({ _id: contactId, 'turn.holder': holder }, { $unset: { turn: 1 } });
  }
}
