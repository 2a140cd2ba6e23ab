import type { Connection as MongoConnection } from 'mongoose';
import { loadMappingPolicy, type ConnectionRecord } from '../db/models/connection';
import { applyRecords } from '../projections/apply';
import {
  contactKey,
  contactLinkModel,
  mergeBaseOf,
  readMergedContact,
  recordContactSync,
  recordSyncEvents,
  type ContactLinkRecord,
  type MergedContact,
  type SyncEventRecord,
} from '../projections/crm';
import {
  customerKey,
  loadFields,
  markCustomerLinked,
  qboCustomerModel,
  storeFields,
} from '../projections/models';
import { QboApiError, qboQuery, requestIdFor, type Customer, type QboClient } from '../qbo';
import {
  customerToFields,
  disambiguateDisplayName,
  displayNameFor,
  fieldsToCustomerPatch,
  validateForQbo,
} from '../sync/customer-mapping';
import { addressFieldParts, type SyncFieldName, type SyncFields } from '../sync/fields';
import { findMatch, type MatchCandidate } from '../sync/matching';
import { mergeContact, snapshotAfter } from '../sync/merge';
import { recordAccountEvents } from '../outbound/events';
import { qboChangesToContact } from './crm-propagation';
import { asActivity } from './failures';
import { projectionContext } from './projection-context';
import type { QboAccess } from './qbo-access';

/** A stale SyncToken means someone edited the customer between our read and our write: re-read, re-merge, retry. */
const maxStaleRetries = 3;

export interface PushCounts {
  created: number;
  linked: number;
  updated: number;
  unchanged: number;
  conflicts: number;
  rejected: number;
  /** Events stored for the CRM: the workflow wakes the account's webhook dispatcher. */
  eventsRecorded: number;
}

export interface PushDependencies {
  db: MongoConnection;
  qbo: QboAccess;
  now?: () => Date;
}

interface PushContext {
  deps: PushDependencies;
  connection: ConnectionRecord;
  client: QboClient;
  counts: PushCounts;
  now: Date;
}

export function createPushActivities(deps: PushDependencies) {
  const now = deps.now ?? (() => new Date());
  return {
    /**
     * Writes CRM contacts to QBO: an unlinked contact is matched to an existing customer (email, then name) or
     * created with a requestid derived from the contact, so a retried create never makes a second customer; a
     * linked one is merged field by field against the last snapshot and written as a sparse update.
     */
    async pushContacts({
      connectionId,
      crmContactIds,
    }: {
      connectionId: string;
      crmContactIds: string[];
    }): Promise<PushCounts> {
      return asActivity(async () => {
        const { connection, client } = await deps.qbo.open(connectionId);
        const context: PushContext = {
          deps,
          connection,
          client,
          counts: {
            created: 0,
            linked: 0,
            updated: 0,
            unchanged: 0,
            conflicts: 0,
            rejected: 0,
            eventsRecorded: 0,
          },
          now: now(),
        };
        for (const crmContactId of crmContactIds) {
          const contact = await readMergedContact(deps.db, contactKey(connection._id, crmContactId));
          if (!contact) continue;
          try {
            await pushContact(context, contact);
          } catch (error) {
            // QBO refused this contact for good: say so on it and go on, so one record never holds up its batch.
            // Throttling, outages and repeated stale SyncTokens are thrown, and the batch is tried again later.
            if (!(error instanceof QboApiError) || error.retryable || error.kind === 'stale-object')
              throw error;
            await reject(context, contact, undefined, [
              { field: error.element ?? 'contact', problem: `QuickBooks refused it: ${error.message}` },
            ]);
          }
        }
        return context.counts;
      });
    },
  };
}

async function pushContact(context: PushContext, contact: MergedContact): Promise<void> {
  const { db } = context.deps;
  const { crmContactId } = contact.record;
  let link: ContactLinkRecord | null = await contactLinkModel(db)
    .findById(contact.record._id)
    .lean<ContactLinkRecord>();
  if (contact.record.deletedAt) return tombstone(context, crmContactId, link, contact.record.deletedAt);
  if (link?.deletedAt) {
    // Nothing but the CRM writes contacts: a live contact over a tombstone means the CRM sent it again.
    await contactLinkModel(db).updateOne({ _id: link._id }, { $unset: { deletedAt: 1 } });
    link = { ...link, deletedAt: undefined };
  }
  const crm = contact.fields;
  if (!link) {
    link = await linkToExisting(context, crmContactId, crm);
    if (!link) return createCustomer(context, contact);
  }
  // Attempt 0 writes against the version of the customer we hold, without reading it first: when that is QBO's
  // current version, one request is enough. A 5010 (someone saved it since) or an address change (its unsynced
  // parts must come from QBO) moves on to reading it, up to `maxStaleRetries` times.
  for (let attempt = 0; attempt <= maxStaleRetries; attempt += 1) {
    const held = attempt === 0 ? await heldCustomer(context, link) : null;
    if (attempt === 0 && !held) continue;
    const customer = held?.customer ?? (await context.client.read('Customer', link.qboCustomerId));
    const qbo = held?.fields ?? customerToFields(customer);
    const result = mergeContact({
      base: mergeBaseOf(link, qbo),
      qbo,
      crm,
      qboUpdatedAt: customer.MetaData?.LastUpdatedTime ?? context.now.toISOString(),
      crmUpdatedAt: contact.record.updatedAt,
      policy: loadMappingPolicy(context.connection.settings?.mappingPolicy),
    });
    const changed = Object.keys(result.toQbo);
    if (held && changed.some((field) => addressFieldParts(field as SyncFieldName))) continue;
    let written: Customer | null = null;
    if (changed.length > 0) {
      const problems = validateForQbo(result.toQbo);
      if (problems.length > 0) return reject(context, contact, link.qboCustomerId, problems);
      // Written ahead: if QBO commits this and the answer is lost, the retry must know the new values are ours.
      link = await writeAhead(context, link, result.toQbo);
      const patch = {
        ...fieldsToCustomerPatch(result.toQbo, customer),
        Id: customer.Id,
        SyncToken: customer.SyncToken,
      };
      try {
        written = await context.client.update(
          'Customer',
          patch as never,
          // The body is part of the id: QBO answers a repeated requestid with its first answer, whatever the body.
          requestIdFor(
            context.connection._id,
            'Customer',
            customer.Id,
            'update',
            customer.SyncToken,
            JSON.stringify(patch),
          ),
        );
      } catch (error) {
        if (error instanceof QboApiError && error.kind === 'stale-object' && attempt < maxStaleRetries)
          continue;
        throw error;
      }
      context.counts.updated += 1;
    } else context.counts.unchanged += 1;

    // QBO changed fields the CRM had not touched (its webhook may never come): they go to the CRM now.
    const toCrm = qboChangesToContact(
      context.connection,
      written ?? customer,
      contact,
      result.toCrm,
      context.now,
    );
    if (toCrm) {
      await recordSyncEvents(db, [toCrm.event]);
      context.counts.eventsRecorded += await recordAccountEvents(
        db,
        context.connection.accountId,
        [toCrm.draft],
        context.now,
      );
    }
    for (const conflict of result.conflicts) {
      await event(context, {
        kind: 'conflict',
        crmContactId,
        qboCustomerId: customer.Id,
        fields: [conflict.field],
        detail: { ...conflict },
      });
    }
    context.counts.conflicts += result.conflicts.length;
    if (changed.length > 0) {
      const before = qbo;
      await event(context, {
        kind: 'updated_qbo',
        crmContactId,
        qboCustomerId: customer.Id,
        fields: changed,
        detail: {
          changes: (changed as SyncFieldName[]).map((field) => ({
            field,
            from: before[field],
            to: result.toQbo[field] ?? null,
          })),
        },
        lagMs: context.now.getTime() - contact.record.receivedAt.getTime(),
      });
    }
    // The events first (see qboChangesToContact), then the contact, then the link (see propagateCustomers).
    await recordContactSync(db, contact.record, { state: 'synced', fromQbo: result.toCrm });
    await finishSync(context, crmContactId, link, written ?? customer, snapshotAfter(result), {
      // What we hold already is that version; only QBO's own answer is news for the projection.
      project: written !== null || !held,
    });
    return;
  }
}

/** Bounds a link's memory of unanswered writes; a confirmed sync forgets them all. */
const maxUnconfirmedWrites = 20;

/** Notes on the link what is about to be sent, beside any earlier writes whose answers were lost. */
async function writeAhead(
  context: PushContext,
  link: ContactLinkRecord,
  toQbo: Partial<SyncFields>,
): Promise<ContactLinkRecord> {
  const write = storeFields(toQbo as SyncFields);
  const earlier = (link.unconfirmedWrites ?? []).filter(
    (sent) => JSON.stringify(sent) !== JSON.stringify(write),
  );
  const unconfirmedWrites = [...earlier, write].slice(-maxUnconfirmedWrites);
  await contactLinkModel(context.deps.db).updateOne({ _id: link._id }, { $set: { unconfirmedWrites } });
  return { ...link, unconfirmedWrites };
}

/**
 * The linked customer as the projection holds it, for a write without a read: its id, SyncToken and time, and its
 * synced fields. None for a link that never synced (its first merge compares times, so it wants QBO's own record).
 */
async function heldCustomer(
  context: PushContext,
  link: ContactLinkRecord,
): Promise<{ customer: Customer; fields: SyncFields } | null> {
  if (link.syncedAt.getTime() === 0) return null;
  const held = await qboCustomerModel(context.deps.db)
    .findById(customerKey(context.connection._id, link.qboCustomerId))
    .lean();
  if (!held) return null;
  return {
    customer: {
      Id: held.qboId,
      SyncToken: String(held.syncToken),
      MetaData: { LastUpdatedTime: held.lastUpdatedTime },
    } as Customer,
    fields: loadFields(held.fields),
  };
}

/**
 * The CRM deleted the contact. QBO cannot delete customers and making one inactive would hide its open invoices,
 * so the customer is left alone; the link becomes a tombstone so that no later sync recreates or relinks it.
 */
async function tombstone(
  context: PushContext,
  crmContactId: string,
  link: ContactLinkRecord | null,
  deletedAt: Date,
): Promise<void> {
  if (!link || link.deletedAt) return;
  await contactLinkModel(context.deps.db).updateOne({ _id: link._id }, { $set: { deletedAt } });
  await event(context, { kind: 'contact_deleted', crmContactId, qboCustomerId: link.qboCustomerId });
}

/** Setup matching: an existing QBO customer with the contact's email, else its display or company name. */
async function linkToExisting(
  context: PushContext,
  crmContactId: string,
  crm: SyncFields,
): Promise<ContactLinkRecord | null> {
  const { db } = context.deps;
  const connectionId = context.connection._id;
  const linked = new Set(
    (await contactLinkModel(db).find({ connectionId }, { qboCustomerId: 1 }).lean()).map(
      (link) => link.qboCustomerId,
    ),
  );
  const candidates: MatchCandidate[] = (
    await qboCustomerModel(db).find({ connectionId, active: true }, { qboId: 1, fields: 1 }).lean()
  )
    .filter((customer) => !linked.has(customer.qboId))
    .map((customer) => {
      const fields = loadFields(customer.fields);
      return {
        id: customer.qboId,
        email: fields.email,
        displayName: fields.displayName,
        companyName: fields.companyName,
      };
    });
  const match = findMatch(
    { email: crm.email, displayName: displayNameFor(crm), companyName: crm.companyName },
    candidates,
  );
  if (match.kind !== 'matched') return null;
  const link: ContactLinkRecord = {
    _id: contactKey(connectionId, crmContactId),
    connectionId,
    crmContactId,
    qboCustomerId: match.id,
    snapshot: {},
    qboSyncToken: '',
    linkedBy: match.by,
    // Epoch: "never synced", so the first merge has no base and the more recent side wins.
    syncedAt: new Date(0),
  };
  await contactLinkModel(db).create(link);
  await markCustomerLinked(db, connectionId, match.id, crmContactId);
  context.counts.linked += 1;
  await event(context, { kind: 'linked', crmContactId, qboCustomerId: match.id, detail: { by: match.by } });
  return link;
}

async function createCustomer(context: PushContext, contact: MergedContact): Promise<void> {
  const connectionId = context.connection._id;
  const { crmContactId } = contact.record;
  const crm = contact.fields;
  const problems = validateForQbo(crm, { creating: true });
  if (problems.length > 0) return reject(context, contact, undefined, problems);
  const baseName = displayNameFor(crm)!;
  for (let attempt = 0; ; attempt += 1) {
    const displayName =
      attempt === 0
        ? baseName
        : disambiguateDisplayName(baseName, attempt, { email: crm.email, crmId: crmContactId });
    if (displayName === null) {
      return reject(context, contact, undefined, [
        { field: 'displayName', problem: 'the name is taken in QBO' },
      ]);
    }
    try {
      const created = await context.client.create(
        'Customer',
        { ...fieldsToCustomerPatch(withValues({ ...crm, displayName })), DisplayName: displayName } as never,
        requestIdFor(connectionId, 'Customer', crmContactId, 'create', String(attempt)),
      );
      const link: ContactLinkRecord = {
        _id: contactKey(connectionId, crmContactId),
        connectionId,
        crmContactId,
        qboCustomerId: created.Id,
        snapshot: {},
        qboSyncToken: '',
        linkedBy: 'created',
        syncedAt: context.now,
      };
      await contactLinkModel(context.deps.db).create(link);
      await finishSync(context, crmContactId, link, created, customerToFields(created));
      context.counts.created += 1;
      await event(context, {
        kind: 'created',
        crmContactId,
        qboCustomerId: created.Id,
        lagMs: context.now.getTime() - contact.record.receivedAt.getTime(),
      });
      await recordContactSync(context.deps.db, contact.record, { state: 'synced' });
      return;
    } catch (error) {
      if (!(error instanceof QboApiError) || error.kind !== 'duplicate-name') throw error;
      // The name is taken. If it is the same person (same email), link instead of creating a copy.
      const [existing] = (
        await context.client.query(qboQuery`select * from Customer where DisplayName = ${displayName}`, {
          entity: 'Customer',
        })
      ).rows;
      const existingEmail = existing?.PrimaryEmailAddr?.Address?.toLowerCase();
      if (existing && existingEmail && existingEmail === crm.email?.toLowerCase()) {
        await contactLinkModel(context.deps.db).create({
          _id: contactKey(connectionId, crmContactId),
          connectionId,
          crmContactId,
          qboCustomerId: existing.Id,
          snapshot: {},
          qboSyncToken: '',
          linkedBy: 'email',
          syncedAt: new Date(0),
        });
        await markCustomerLinked(context.deps.db, connectionId, existing.Id, crmContactId);
        context.counts.linked += 1;
        await event(context, {
          kind: 'linked',
          crmContactId,
          qboCustomerId: existing.Id,
          detail: { by: 'email', after: '6240' },
        });
        return pushContact(context, contact);
      }
    }
  }
}

/** Stores the agreed snapshot and projects QBO's answer, so the webhook and CDC echo of our own write is a no-op. */
async function finishSync(
  context: PushContext,
  crmContactId: string,
  link: ContactLinkRecord,
  customer: Customer,
  snapshot: SyncFields,
  { project = true }: { project?: boolean } = {},
): Promise<void> {
  const { db } = context.deps;
  await contactLinkModel(db).updateOne(
    { _id: link._id },
    {
      $set: { snapshot: storeFields(snapshot), qboSyncToken: customer.SyncToken, syncedAt: context.now },
      $unset: { unconfirmedWrites: 1 },
    },
  );
  if (project)
    await applyRecords(
      projectionContext(db, context.connection, context.deps.qbo.settings.environment, context.now),
      'Customer',
      [customer],
      'crm',
    );
  await markCustomerLinked(
    db,
    context.connection._id,
    customer.Id,
    crmContactId,
    project ? customer.MetaData?.LastUpdatedTime : undefined,
  );
}

async function reject(
  context: PushContext,
  contact: MergedContact,
  qboCustomerId: string | undefined,
  problems: { field: string; problem: string }[],
): Promise<void> {
  context.counts.rejected += 1;
  await event(context, {
    kind: 'rejected',
    crmContactId: contact.record.crmContactId,
    ...(qboCustomerId ? { qboCustomerId } : {}),
    fields: problems.map((p) => p.field),
    detail: { problems },
  });
  await recordContactSync(context.deps.db, contact.record, { state: 'rejected' });
}

async function event(
  context: PushContext,
  fields: Omit<SyncEventRecord, 'connectionId' | 'at'>,
): Promise<void> {
  await recordSyncEvents(context.deps.db, [
    {
      ...fields,
      connectionId: context.connection._id,
      at: context.now,
    },
  ]);
}

/** A create sends only the fields that have values; clearing is for updates. */
function withValues(fields: SyncFields): Partial<SyncFields> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null));
}
