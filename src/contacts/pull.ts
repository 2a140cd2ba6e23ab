import { customerKey, qboCustomerModel, type QboCustomerRecord } from '../projections/models';
import type { Customer } from '../qbo';
import { customerToFields } from '../sync/customer-mapping';
import { storeFields } from '../db/field-maps';
import type { SyncFieldName } from '../sync/fields';
import {
  announce,
  conflictEvent,
  customerEvent,
  heldAfter,
  newConflicts,
  qboChangesToContact,
  recordHistory,
  type CustomerVersion,
  type EngineContext,
} from './engine';
import { linkUpdateAfter, mergeStored, qboSideOf } from './merging';
import type { ContactRecord } from './model';
import type { EventDraft } from '../outbound/events';
import { transactionView, type QboTransactionRecord, type TransactionType } from '../sync/transactions';
import {
  contactsLinkedTo,
  linkedContactIds,
  mergedFields,
  inContactTurn,
  readContactRecord,
  recordOutcome,
  updateLink,
} from './store';

/**
 * QBO → CRM: what customers changed in QBO (already in the projection) mean for the CRM. A linked contact gets QBO's
 * side merged in, field by field, with conflicts recorded, and the CRM hears about it as `contact.updated`. A
 * customer no contact is linked to is announced as `contact.created`/`contact.updated` without a contact id, for
 * the CRM to adopt. Our own writes coming back change nothing, so they are never announced.
 */
export interface PullResult {
  contactsUpdated: number;
  /** Fields both sides changed, recorded as conflicts. */
  conflicts: number;
  eventsRecorded: number;
}

/** How often a merge is redone when the CRM sends a newer version of the contact while it is recorded. */
const maxVersionRaces = 3;

export interface PullOptions {
  announceChanges: boolean;
  /**
   * Leave the linked customers to the caller, which pulls each on its own (`pullCustomerById`, in the connection
   * workflow's QBO → CRM lane): their ids come back in `toPull` instead of being merged here.
   */
  handOff?: boolean;
}

export async function pullCustomerChanges(
  context: EngineContext,
  changed: readonly { record: Customer; created: boolean }[],
  { announceChanges, handOff = false }: PullOptions,
): Promise<PullResult & { toPull: string[] }> {
  const result: PullResult = emptyPull();
  const toPull: string[] = [];
  if (changed.length === 0) return { ...result, toPull };
  const linked = await contactsLinkedTo(
    context.db,
    context.connection._id,
    changed.map(({ record }) => record.Id),
  );
  const unlinked = [];
  for (const { record: customer, created } of changed) {
    const contact = linked.get(customer.Id);
    if (!contact) {
      if (announceChanges)
        unlinked.push(
          customerEvent(context.connection, customer, created ? 'contact.created' : 'contact.updated', {
            contact: storeFields(customerToFields(customer)),
          }),
        );
      continue;
    }
    if (contact.crm.deletedAt || contact.link?.deletedAt) continue;
    if (handOff) toPull.push(customer.Id);
    else addPull(result, await pullLinkedCustomer(context, contact._id, customer.Id, customer.SyncToken));
  }
  result.eventsRecorded += await announce(context, unlinked);
  return { ...result, toPull };
}

/**
 * QBO → CRM for one customer, by id, as the connection workflow's lane pulls it: our copy of it as it stands now
 * (the newest version, however many changes led to it) merged into the contact linked to it. Nothing when no live
 * contact is linked to it.
 */
export async function pullCustomerById(context: EngineContext, qboCustomerId: string): Promise<PullResult> {
  const contact = (await contactsLinkedTo(context.db, context.connection._id, [qboCustomerId])).get(
    qboCustomerId,
  );
  return contact ? pullLinkedCustomer(context, contact._id, qboCustomerId) : emptyPull();
}

/**
 * The one merge of a customer into its linked contact, in the contact's turn (a push of the same contact waits, or
 * is waited for), whichever path found the change. With `onlyVersion` (a page of changes), only that version of
 * the customer is merged.
 */
async function pullLinkedCustomer(
  context: EngineContext,
  contactId: string,
  qboCustomerId: string,
  onlyVersion?: string,
): Promise<PullResult> {
  const result = emptyPull();
  const merged = await inContactTurn(context.db, contactId, async () => {
    // Read in the turn: a push that held it may have moved the contact on, and our copy of the customer with it.
    const [current, held] = await Promise.all([
      readContactRecord(context.db, contactId),
      qboCustomerModel(context.db)
        .findById(customerKey(context.connection._id, qboCustomerId))
        .lean<QboCustomerRecord>(),
    ]);
    if (!current || current.crm.deletedAt) return false;
    if (current.link?.qboCustomerId !== qboCustomerId || current.link.deletedAt) return false;
    // A newer version in our copy came from a write of ours (its push settled the contact) or from another
    // change (whose own pull merges it): merging this older one now would take our own write for QBO's edit.
    if (!held || (onlyVersion !== undefined && String(held.syncToken) !== String(onlyVersion))) return false;
    return mergeIntoContact(context, current, versionOf(held), held, result);
  });
  if (merged) result.contactsUpdated += 1;
  return result;
}

function emptyPull(): PullResult {
  return { contactsUpdated: 0, conflicts: 0, eventsRecorded: 0 };
}

function addPull(total: PullResult, one: PullResult): void {
  total.contactsUpdated += one.contactsUpdated;
  total.conflicts += one.conflicts;
  total.eventsRecorded += one.eventsRecorded;
}

/** The version of the customer our copy holds, as the sync events and `contact.updated` name it. */
function versionOf(held: QboCustomerRecord): CustomerVersion {
  return {
    Id: held.qboId,
    SyncToken: String(held.syncToken),
    MetaData: { LastUpdatedTime: held.lastUpdatedTime },
  };
}

/**
 * Of customers our projection already holds as they are, those whose linked contact has not merged that version: a
 * run that stored the projection and died before merging (a killed worker) leaves them so, and its retry finds the
 * records unchanged. Pulling them again is safe, since a merge with nothing new changes nothing.
 */
export async function customersBehindTheirContacts(
  context: EngineContext,
  customers: readonly Customer[],
): Promise<{ record: Customer; created: false }[]> {
  if (customers.length === 0) return [];
  const linked = await contactsLinkedTo(
    context.db,
    context.connection._id,
    customers.map((customer) => customer.Id),
  );
  return customers
    .filter((customer) => {
      const link = linked.get(customer.Id)?.link;
      return link && !link.deletedAt && link.qboSyncToken !== customer.SyncToken;
    })
    .map((record) => ({ record, created: false }));
}

/** Merges QBO's version into the contact; true when the CRM's side changed. */
async function mergeIntoContact(
  context: EngineContext,
  first: ContactRecord,
  customer: CustomerVersion,
  held: QboCustomerRecord,
  result: PullResult,
): Promise<boolean> {
  let contact: ContactRecord | null = first;
  for (let race = 0; contact && race < maxVersionRaces; race += 1) {
    const merge = mergeStored(contact, qboSideOf(held), context.connection, context.now);
    const toCrm = qboChangesToContact(context, customer, contact, mergedFields(contact), merge);
    const conflicts = newConflicts(contact, merge);
    if (!toCrm && conflicts.length === 0 && Object.keys(merge.toQbo).length === 0) return false;
    const recorded = await recordHistory(context, [
      ...(toCrm ? [toCrm.event] : []),
      ...conflicts.map((conflict) => conflictEvent(context, contact!, customer.Id, conflict)),
    ]);
    if (toCrm) result.eventsRecorded += await announce(context, [toCrm.draft]);
    // The contact first, then the link: a base that holds QBO's values while the contact does not yet would make the
    // contact's older values look like CRM edits, which the next push would write back.
    const landed = await recordOutcome(context.db, contact, contact.crm.version, {
      fromQbo: merge.toCrm,
      at: context.now,
    });
    if (!landed) {
      contact = await readContactRecord(context.db, contact._id);
      continue;
    }
    result.conflicts += conflicts.length;
    // Fields the CRM changed wait for its push to reach QBO: their base stays until then.
    const pendingToQbo = Object.keys(merge.toQbo) as SyncFieldName[];
    await updateLink(
      context.db,
      contact,
      customer.Id,
      linkUpdateAfter(
        contact,
        merge,
        context.connection,
        heldAfter(contact, conflicts, recorded),
        pendingToQbo.length === 0
          ? { qboSyncToken: customer.SyncToken, syncedAt: context.now, confirmWrites: true }
          : {},
        pendingToQbo,
      ),
    );
    return toCrm !== null;
  }
  return false;
}

/** Every transaction change made in QBO becomes a `transaction.upserted` for the CRM, with its folder view. */
export async function announceTransactions(
  context: EngineContext,
  entity: TransactionType,
  changed: readonly { record: QboTransactionRecord }[],
): Promise<number> {
  if (changed.length === 0) return 0;
  const customerIds = changed.flatMap(({ record }) => record.CustomerRef?.value ?? []);
  const contactOf = await linkedContactIds(context.db, context.connection._id, customerIds);
  const drafts = changed.map(({ record }): EventDraft => {
    const qboCustomerId = record.CustomerRef?.value;
    const crmContactId = qboCustomerId ? contactOf.get(qboCustomerId) : undefined;
    return {
      accountId: context.connection.accountId,
      connectionId: context.connection._id,
      type: 'transaction.upserted',
      dedupeKey: `${entity}:${record.Id}:${record.SyncToken ?? ''}`,
      ...(crmContactId ? { crmContactId } : {}),
      ...(qboCustomerId ? { qboCustomerId } : {}),
      data: {
        ...(crmContactId ? { crmContactId } : {}),
        ...(qboCustomerId ? { qboCustomerId } : {}),
        transaction: transactionView(entity, record, {
          today: context.projection.today,
          homeCurrency: context.projection.homeCurrency,
          environment: context.projection.environment,
        }),
      },
    };
  });
  return announce(context, drafts);
}
