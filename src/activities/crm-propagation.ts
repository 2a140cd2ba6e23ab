import type { Connection as MongoConnection } from 'mongoose';
import { loadMappingPolicy, type ConnectionRecord } from '../db/models/connection';
import { recordAccountEvents, type EventDraft } from '../outbound/events';
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
import { customerKey, loadFields, qboCustomerModel, storeFields } from '../projections/models';
import type { QboTransactionRecord } from '../sync/transactions';
import type { Customer } from '../qbo';
import { customerToFields } from '../sync/customer-mapping';
import type { SyncFieldName, SyncFields } from '../sync/fields';
import { mergeContact } from '../sync/merge';
import { transactionView, type TransactionType } from '../sync/transactions';
import type { ProjectionContext } from '../projections/apply';

/**
 * QBO → CRM: what a change projected from QBO means for the CRM. A linked contact gets the QBO side merged in
 * (three-way, against the snapshot), with conflicts recorded; the CRM hears about it as a `contact.updated` event.
 * A customer no contact is linked to is announced as `contact.created`/`contact.updated` without a contact id,
 * for the CRM to adopt (a `PUT` naming `qboCustomerId`). Our own writes coming back change nothing, so they are
 * never announced.
 */
export interface PropagationTarget {
  db: MongoConnection;
  connection: ConnectionRecord;
  projection: ProjectionContext;
  now: Date;
  /** Live changes are announced; a backfill's are not (the CRM reads the initial load from the contacts feed). */
  announce: boolean;
}

export interface PropagationResult {
  contactsUpdated: number;
  eventsRecorded: number;
}

export async function propagateCustomers(
  target: PropagationTarget,
  changed: readonly { record: Customer; created: boolean; crmContactId?: string }[],
): Promise<PropagationResult> {
  const { db, connection, now } = target;
  if (changed.length === 0) return { contactsUpdated: 0, eventsRecorded: 0 };
  // By _id only: the projection names each linked customer's contact (FerretDB scans for anything else).
  const linked = new Map<string, { link: ContactLinkRecord; contact: MergedContact }>();
  for (const { record, crmContactId } of changed) {
    if (!crmContactId) continue;
    const found = await linkedContact(db, connection._id, record.Id, crmContactId);
    if (found) linked.set(record.Id, found);
  }
  const drafts: EventDraft[] = [];
  const syncEvents: SyncEventRecord[] = [];
  const writes: {
    contact: MergedContact;
    toCrm: Partial<SyncFields>;
    link: Parameters<typeof settleLink>[1];
  }[] = [];

  for (const { record: customer, created } of changed) {
    const qboFields = customerToFields(customer);
    const { link, contact } = linked.get(customer.Id) ?? {};
    if (!link || !contact || contact.record.deletedAt) {
      if (target.announce && !link)
        drafts.push(
          customerEvent(connection, customer, created ? 'contact.created' : 'contact.updated', {
            contact: storeFields(qboFields),
          }),
        );
      continue;
    }
    const result = mergeContact({
      base: mergeBaseOf(link, qboFields),
      qbo: qboFields,
      crm: contact.fields,
      qboUpdatedAt: customer.MetaData?.LastUpdatedTime ?? now.toISOString(),
      crmUpdatedAt: contact.record.updatedAt,
      policy: loadMappingPolicy(connection.settings?.mappingPolicy),
    });
    const written = qboChangesToContact(connection, customer, contact, result.toCrm, now);
    if (!written) continue;
    // Fields now agree on both sides; the rest of the snapshot waits for the CRM's own changes to reach QBO.
    const snapshot: SyncFields =
      link.syncedAt.getTime() > 0 ? loadFields(link.snapshot) : { ...contact.fields };
    for (const field of written.event.fields as SyncFieldName[])
      snapshot[field] = result.toCrm[field] ?? null;
    const settled = Object.keys(result.toQbo).length === 0;
    writes.push({
      contact,
      toCrm: result.toCrm,
      link: settled
        ? { _id: link._id, snapshot: result.merged, settledAt: { syncToken: customer.SyncToken, at: now } }
        : { _id: link._id, snapshot },
    });
    for (const conflict of result.conflicts)
      syncEvents.push({
        connectionId: connection._id,
        crmContactId: contact.record.crmContactId,
        qboCustomerId: customer.Id,
        kind: 'conflict',
        fields: [conflict.field],
        detail: { ...conflict },
        at: now,
      });
    syncEvents.push(written.event);
    drafts.push(written.draft);
  }
  await recordSyncEvents(db, syncEvents);
  const eventsRecorded = await record(target, drafts);
  // The contact before the link: a snapshot that holds QBO's values while the contact does not yet would make the
  // contact's older values look like CRM edits, which the next push would write back to QBO.
  for (const { contact, toCrm, link } of writes) {
    await recordContactSync(db, contact.record, { fromQbo: toCrm });
    await settleLink(db, link);
  }
  return { contactsUpdated: writes.length, eventsRecorded };
}

async function settleLink(
  db: MongoConnection,
  link: { _id: string; snapshot: SyncFields; settledAt?: { syncToken: string; at: Date } },
): Promise<void> {
  const { settledAt } = link;
  await contactLinkModel(db).updateOne(
    { _id: link._id },
    {
      $set: {
        snapshot: storeFields(link.snapshot),
        ...(settledAt ? { qboSyncToken: settledAt.syncToken, syncedAt: settledAt.at } : {}),
      },
      // Settled: QBO's version is agreed as a whole, so whatever of ours it holds is confirmed.
      ...(settledAt ? { $unset: { unconfirmedWrites: 1 } } : {}),
    },
  );
}

/**
 * What to record about QBO's side of a merge (`toCrm`) reaching the CRM's contact: the `updated_crm` sync event and
 * the `contact.updated` event for the CRM. Null when QBO changed nothing the CRM holds. Record them before the
 * contact changes: a retry after a crash in between merges to the same change, and the CRM's event is deduplicated
 * by the customer's version, whereas a change recorded first would leave the retry nothing to announce.
 */
export function qboChangesToContact(
  connection: ConnectionRecord,
  customer: Customer,
  contact: MergedContact,
  toCrm: Partial<SyncFields>,
  now: Date,
): { event: SyncEventRecord; draft: EventDraft } | null {
  const fields = Object.keys(toCrm) as SyncFieldName[];
  if (fields.length === 0) return null;
  const crmContactId = contact.record.crmContactId;
  const updatedContact: SyncFields = { ...contact.fields, ...toCrm };
  const changes = fields.map((field) => ({ field, from: contact.fields[field], to: toCrm[field] ?? null }));
  const lastUpdated = customer.MetaData?.LastUpdatedTime;
  return {
    event: {
      connectionId: connection._id,
      crmContactId,
      qboCustomerId: customer.Id,
      kind: 'updated_crm',
      fields,
      detail: { changes, qboSyncToken: customer.SyncToken },
      ...(lastUpdated ? { lagMs: Math.max(0, now.getTime() - Date.parse(lastUpdated)) } : {}),
      at: now,
    },
    draft: customerEvent(connection, customer, 'contact.updated', {
      crmContactId,
      changes,
      contact: storeFields(updatedContact),
    }),
  };
}

/** Every transaction change made in QBO becomes a `transaction.upserted` for the CRM, with its folder view. */
export async function announceTransactions(
  target: PropagationTarget,
  entity: TransactionType,
  changed: readonly { record: QboTransactionRecord }[],
): Promise<number> {
  if (!target.announce || changed.length === 0) return 0;
  const contactOf = new Map<string, string>();
  for (const customerId of new Set(changed.map(({ record }) => record.CustomerRef?.value))) {
    if (!customerId) continue;
    const customer = await qboCustomerModel(target.db)
      .findById(customerKey(target.connection._id, customerId), { crmContactId: 1 })
      .lean();
    const found =
      customer?.crmContactId &&
      (await linkedContact(target.db, target.connection._id, customerId, customer.crmContactId));
    if (found) contactOf.set(customerId, found.link.crmContactId);
  }
  const drafts = changed.map(({ record }): EventDraft => {
    const qboCustomerId = record.CustomerRef?.value;
    const crmContactId = qboCustomerId ? contactOf.get(qboCustomerId) : undefined;
    return {
      accountId: target.connection.accountId,
      connectionId: target.connection._id,
      type: 'transaction.upserted',
      dedupeKey: `${entity}:${record.Id}:${record.SyncToken ?? ''}`,
      ...(crmContactId ? { crmContactId } : {}),
      ...(qboCustomerId ? { qboCustomerId } : {}),
      data: {
        ...(crmContactId ? { crmContactId } : {}),
        ...(qboCustomerId ? { qboCustomerId } : {}),
        transaction: transactionView(entity, record, {
          today: target.projection.today,
          homeCurrency: target.projection.homeCurrency,
          environment: target.projection.environment,
        }),
      },
    };
  });
  return record(target, drafts);
}

/** The contact a QBO customer is linked to, read by `_id`; null when the link has moved on or was deleted. */
async function linkedContact(
  db: MongoConnection,
  connectionId: string,
  qboCustomerId: string,
  crmContactId: string,
): Promise<{ link: ContactLinkRecord; contact: MergedContact } | null> {
  const key = contactKey(connectionId, crmContactId);
  const link = await contactLinkModel(db).findById(key).lean<ContactLinkRecord>();
  if (!link || link.deletedAt || link.qboCustomerId !== qboCustomerId) return null;
  const contact = await readMergedContact(db, key);
  return contact ? { link, contact } : null;
}

function customerEvent(
  connection: ConnectionRecord,
  customer: Customer,
  type: 'contact.created' | 'contact.updated',
  data: Record<string, unknown>,
): EventDraft {
  const crmContactId = typeof data.crmContactId === 'string' ? data.crmContactId : undefined;
  return {
    accountId: connection.accountId,
    connectionId: connection._id,
    type,
    // One event per QBO version of the customer: replaying a page or a retried activity records nothing new.
    dedupeKey: `Customer:${customer.Id}:${customer.SyncToken}`,
    qboCustomerId: customer.Id,
    ...(crmContactId ? { crmContactId } : {}),
    data: { qboCustomerId: customer.Id, crmContactId: crmContactId ?? null, ...data },
  };
}

function record(target: PropagationTarget, drafts: EventDraft[]): Promise<number> {
  return recordAccountEvents(target.db, target.connection.accountId, drafts, target.now);
}
