import { applyRecords } from '../projections/apply';
import { customerKey, qboCustomerModel, type QboCustomerRecord } from '../projections/models';
import { QboApiError, qboQuery, requestIdFor, type Customer, type QboClient } from '../qbo';
import {
  customerToFields,
  disambiguateDisplayName,
  displayNameFor,
  fieldsToCustomerPatch,
  validateForQbo,
} from '../sync/customer-mapping';
import { settingsOf, syncedCustomFields } from '../db/models/connection';
import { customFieldProblemsForQbo, type MappedCustomField } from '../sync/custom-fields';
import {
  addressFieldParts,
  sameValue,
  syncFieldNames,
  type FieldName,
  type ContactFields,
} from '../sync/fields';
import { directionOf, flowsTo, type MappingPolicy } from '../sync/mapping-policy';
import { createMatcher, matchKeys } from '../sync/matching';
import type { MergeResult } from '../sync/merge';
import {
  announce,
  clampedClock,
  conflictEvent,
  heldAfter,
  newConflicts,
  qboChangesToContact,
  recordHistory,
  type EngineContext,
} from './engine';
import { linkUpdateAfter, mergeStored, qboSideOf } from './merging';
import { contactMatchFields, linkCandidates } from './setup-match';
import { contactKey, type ContactRecord, type LinkMethod, type StoredBaseEntry } from './model';
import {
  contactsLinkedTo,
  createAhead,
  linkContact,
  mergedFields,
  inContactTurn,
  newLink,
  readContactRecord,
  recordOutcome,
  reviveLink,
  tombstoneLink,
  updateLink,
  writeAhead,
} from './store';

/**
 * CRM → QBO for one contact: an unlinked contact is matched to an existing customer (email, then name, by indexed
 * lookups) or created with a requestid derived from the contact, so a retried create never makes a second
 * customer; a linked one is merged field by field and written as a sparse update against the version held. Its
 * outcome is recorded on the contact for the version the CRM sent.
 */
export interface PushContext extends EngineContext {
  client: QboClient;
}

export type PushOutcome = 'created' | 'linked' | 'updated' | 'unchanged' | 'rejected' | 'deleted' | 'gone';

export interface PushResult {
  outcome: PushOutcome;
  conflicts: number;
  eventsRecorded: number;
}

/** A stale SyncToken means someone edited the customer between our read and our write: re-read, re-merge, retry. */
const maxStaleRetries = 3;

export async function pushContact(context: PushContext, crmContactId: string): Promise<PushResult> {
  const contactId = contactKey(context.connection._id, crmContactId);
  return inContactTurn(context.db, contactId, () => pushInTurn(context, contactId));
}

async function pushInTurn(context: PushContext, contactId: string): Promise<PushResult> {
  const result: PushResult = { outcome: 'unchanged', conflicts: 0, eventsRecorded: 0 };
  const contact = await readContactRecord(context.db, contactId);
  if (!contact) return { ...result, outcome: 'gone' };
  try {
    await push(context, contact, result);
  } catch (error) {
    // QBO refused this contact for good: say so on it. Throttling, outages and repeated stale SyncTokens are thrown,
    // and the push is tried again.
    if (!(error instanceof QboApiError) || error.retryable || error.kind === 'stale-object') throw error;
    await reject(context, contact, contact.link?.qboCustomerId, result, [
      { field: error.element ?? 'contact', problem: `QuickBooks refused it: ${error.message}` },
    ]);
  }
  return result;
}

async function push(context: PushContext, contact: ContactRecord, result: PushResult): Promise<void> {
  const link = contact.link;
  if (contact.crm.deletedAt) {
    result.outcome = 'deleted';
    // QBO cannot delete customers, and making one inactive would hide its open invoices: the link becomes a
    // tombstone so that no later sync recreates or relinks it.
    if (link && (await tombstoneLink(context.db, contact, link.qboCustomerId, contact.crm.deletedAt)))
      await recordHistory(context, [
        {
          connectionId: context.connection._id,
          crmContactId: contact.crmContactId,
          qboCustomerId: link.qboCustomerId,
          kind: 'contact_deleted',
          at: context.now,
        },
      ]);
    return;
  }
  if (link?.deactivated)
    return reject(context, contact, link.qboCustomerId, result, [
      {
        field: 'contact',
        problem:
          `its QuickBooks customer was made inactive by undoing its creation (sync event ` +
          `${link.deactivated.eventId}); undo that undo to sync it again`,
      },
    ]);
  if (link?.deletedAt) await reviveLink(context.db, contact);
  if (!link) {
    const linked = await linkToExisting(context, contact);
    if (!linked) return createCustomer(context, contact, result);
    result.outcome = 'linked';
    return pushLinked(context, linked, result);
  }
  return pushLinked(context, contact, result);
}

/**
 * Attempt 0 writes against the version of the customer we hold, without reading it first: when that is QBO's
 * current version, one request is enough. A 5010 (someone saved it since), a link that never synced, or an address
 * change (its unsynced parts must come from QBO) moves on to reading it, up to `maxStaleRetries` times.
 */
async function pushLinked(context: PushContext, contact: ContactRecord, result: PushResult): Promise<void> {
  const qboCustomerId = contact.link!.qboCustomerId;
  for (let attempt = 0; attempt <= maxStaleRetries; attempt += 1) {
    const held = attempt === 0 && contact.link!.syncedAt ? await heldCustomer(context, qboCustomerId) : null;
    if (attempt === 0 && !held) continue;
    const customer = held ? customerFromHeld(held) : await context.client.read('Customer', qboCustomerId);
    const projected = held ?? (await projectRead(context, customer));
    const qbo = qboSideOf(projected);
    const merge = mergeStored(contact, qbo, context.connection, context.now);
    const changed = Object.keys(merge.toQbo) as FieldName[];
    if (held && changed.some((field) => addressFieldParts(field))) continue;
    let written: Customer | null = null;
    if (changed.length > 0) {
      const mapped = syncedCustomFields(context.connection);
      const problems = problemsForQbo(merge.toQbo, mapped);
      if (problems.length > 0) return reject(context, contact, qboCustomerId, result, problems);
      const editedAt = Math.max(...changed.map((field) => merge.merged[field]?.at ?? context.now.getTime()));
      // Written ahead: if QBO commits this and the answer is lost, the retry must know the new values are ours.
      await writeAhead(context.db, contact, qboCustomerId, {
        fields: merge.toQbo,
        at: new Date(editedAt),
        sentAt: context.now,
        crmSeenAt: new Date(contact.crm.receivedAt),
      });
      const patch = {
        ...fieldsToCustomerPatch(
          merge.toQbo,
          customer,
          mapped.map((field) => field.definition),
        ),
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
      result.outcome = result.outcome === 'linked' ? 'linked' : 'updated';
    }
    await settle(context, contact, written ?? customer, qbo.fields, merge, result, written !== null);
    return;
  }
}

/**
 * Records a merge's outcome once its writes are made: history and CRM events first, then the contact, then QBO's side.
 * `customer` is QBO's version after the write; `before` what QBO held when merged (what an undo writes back).
 */
async function settle(
  context: PushContext,
  contact: ContactRecord,
  customer: Customer,
  before: ContactFields,
  merge: MergeResult,
  result: PushResult,
  wroteToQbo: boolean,
): Promise<void> {
  const qboCustomerId = customer.Id;
  const fields = mergedFields(contact);
  const toCrm = qboChangesToContact(context, customer, contact, fields, merge);
  const conflicts = newConflicts(contact, merge);
  const changed = Object.keys(merge.toQbo) as FieldName[];
  const recorded = await recordHistory(context, [
    ...(toCrm ? [toCrm.event] : []),
    ...conflicts.map((conflict) => conflictEvent(context, contact, qboCustomerId, conflict)),
    ...(changed.length > 0
      ? [
          {
            connectionId: context.connection._id,
            crmContactId: contact.crmContactId,
            qboCustomerId,
            kind: 'updated_qbo' as const,
            fields: changed,
            detail: {
              changes: changed.map((field) => ({
                field,
                from: before[field],
                to: merge.toQbo[field] ?? null,
              })),
              rules: Object.fromEntries(changed.map((field) => [field, merge.rules[field]])),
              // The customer's version our write made.
              qboSyncToken: customer.SyncToken,
              ...clampedClock(contact),
            },
            lagMs: context.now.getTime() - new Date(contact.crm.receivedAt).getTime(),
            at: context.now,
          },
        ]
      : []),
  ]);
  result.conflicts += conflicts.length;
  if (toCrm) result.eventsRecorded += await announce(context, [toCrm.draft]);
  await recordOutcome(context.db, contact, contact.crm.version, {
    state: 'synced',
    fromQbo: merge.toCrm,
    at: context.now,
  });
  await updateLink(
    context.db,
    contact,
    qboCustomerId,
    linkUpdateAfter(contact, merge, context.connection, heldAfter(contact, conflicts, recorded), {
      qboSyncToken: customer.SyncToken,
      syncedAt: context.now,
      confirmWrites: true,
    }),
  );
  if (wroteToQbo) {
    // QBO's answer is our own write: the projection takes it (with the CRM's times for what we wrote), so its
    // webhook and CDC echo find nothing new.
    const fieldTimes = Object.fromEntries(
      changed.map((field) => [field, merge.merged[field]?.at ?? context.now.getTime()]),
    );
    await applyRecords(context.projection, 'Customer', [customer], { ours: { fieldTimes, echo: true } });
  }
}

/** The linked customer as the projection holds it, for a write without a read. */
async function heldCustomer(context: PushContext, qboCustomerId: string): Promise<QboCustomerRecord | null> {
  return qboCustomerModel(context.db)
    .findById(customerKey(context.connection._id, qboCustomerId))
    .lean<QboCustomerRecord>();
}

/** Enough of a Customer to write against: its id, SyncToken and time (a sparse update needs no more). */
function customerFromHeld(held: QboCustomerRecord): Customer {
  return {
    Id: held.qboId,
    SyncToken: String(held.syncToken),
    MetaData: { LastUpdatedTime: held.lastUpdatedTime },
  } as Customer;
}

/** QBO's current version, read just now: the projection takes it, and gives back when each field was set. */
async function projectRead(context: PushContext, customer: Customer): Promise<QboCustomerRecord> {
  await applyRecords(context.projection, 'Customer', [customer]);
  const projected = await heldCustomer(context, customer.Id);
  if (!projected) throw new Error(`customer ${customer.Id} was read but not projected`);
  return projected;
}

/**
 * Setup matching: an unlinked customer with the contact's email, else its display or company name, found through
 * the projection's match keys (indexed), never by reading every customer. A key two customers share is not guessed.
 */
async function linkToExisting(context: PushContext, contact: ContactRecord): Promise<ContactRecord | null> {
  const connectionId = context.connection._id;
  const wanted = contactMatchFields(mergedFields(contact));
  const keys = matchKeys(wanted);
  if (!keys.email && keys.names.length === 0) return null;
  const found = await qboCustomerModel(context.db)
    .find(
      {
        connectionId,
        active: true,
        $or: [
          ...(keys.email ? [{ 'match.email': keys.email }] : []),
          ...(keys.names.length ? [{ 'match.names': { $in: keys.names } }] : []),
        ],
      },
      { qboId: 1, fields: 1, active: 1 },
    )
    .limit(50)
    .lean();
  const linked = await contactsLinkedTo(
    context.db,
    connectionId,
    found.map((customer) => customer.qboId),
  );
  const match = createMatcher(linkCandidates(found, linked))(wanted);
  if (match.kind !== 'matched') return null;
  return linkTo(context, contact, match.id, match.by, { by: match.by });
}

async function linkTo(
  context: PushContext,
  contact: ContactRecord,
  qboCustomerId: string,
  method: LinkMethod,
  detail: Record<string, unknown>,
  created?: { base: Record<string, StoredBaseEntry>; customer: Customer },
): Promise<ContactRecord | null> {
  // A customer we created is agreed with the contact from the start; any other link has no base yet, but a create
  // of ours that may have committed unseen (and be this very customer) counts as a write of ours on it.
  const link = created
    ? {
        ...newLink(qboCustomerId, method, context.now, created.base),
        qboSyncToken: created.customer.SyncToken,
        syncedAt: context.now,
      }
    : {
        ...newLink(qboCustomerId, method, context.now),
        ...(contact.unconfirmedCreate ? { unconfirmedWrites: [contact.unconfirmedCreate] } : {}),
      };
  // The unique link key decides between two contacts matching one customer at once.
  if (!(await linkContact(context.db, contact, link))) return null;
  await recordHistory(context, [
    {
      connectionId: context.connection._id,
      crmContactId: contact.crmContactId,
      qboCustomerId,
      kind: 'linked',
      detail,
      at: context.now,
    },
  ]);
  return readContactRecord(context.db, contact._id);
}

async function createCustomer(
  context: PushContext,
  contact: ContactRecord,
  result: PushResult,
): Promise<void> {
  const connectionId = context.connection._id;
  const { mappingPolicy } = settingsOf(context.connection);
  const crm = mergedFields(contact);
  const mapped = syncedCustomFields(context.connection);
  const problems = problemsForQbo(crm, mapped, { creating: true });
  if (problems.length > 0) return reject(context, contact, undefined, result, problems);
  const baseName = displayNameFor(crm)!;
  for (let attempt = 0; ; attempt += 1) {
    const displayName =
      attempt === 0
        ? baseName
        : disambiguateDisplayName(baseName, attempt, { email: crm.email, crmId: contact.crmContactId });
    if (displayName === null)
      return reject(context, contact, undefined, result, [
        { field: 'displayName', problem: 'the name is taken in QBO' },
      ]);
    const sent = writableToQbo({ ...crm, displayName }, mappingPolicy);
    await createAhead(context.db, contact, {
      fields: sent,
      at: new Date(contact.crm.updatedAt),
      sentAt: context.now,
      crmSeenAt: new Date(contact.crm.receivedAt),
    });
    let created: Customer;
    try {
      created = await context.client.create(
        'Customer',
        {
          ...fieldsToCustomerPatch(
            sent,
            undefined,
            mapped.map((field) => field.definition),
          ),
          DisplayName: displayName,
        } as never,
        requestIdFor(connectionId, 'Customer', contact.crmContactId, 'create', String(attempt)),
      );
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
        await projectRead(context, existing);
        const linked = await linkTo(context, contact, existing.Id, 'email', { by: 'email', after: '6240' });
        if (!linked) return;
        result.outcome = 'linked';
        return pushLinked(context, linked, result);
      }
      continue;
    }
    // What we created is agreed on both sides, as of the CRM's times.
    const base = agreedBase(contact, customerToFields(created), mappingPolicy);
    const linked = await linkTo(context, contact, created.Id, 'created', {}, { base, customer: created });
    await applyRecords(context.projection, 'Customer', [created], {
      ours: {
        fieldTimes: Object.fromEntries(
          Object.entries(base).map(([field, entry]) => [field.replace(/\//g, '.'), entry.at.getTime()]),
        ),
        echo: true,
      },
    });
    await recordHistory(context, [
      {
        connectionId,
        crmContactId: contact.crmContactId,
        qboCustomerId: created.Id,
        kind: 'created',
        detail: clampedClock(contact),
        lagMs: context.now.getTime() - new Date(contact.crm.receivedAt).getTime(),
        at: context.now,
      },
    ]);
    result.outcome = 'created';
    if (!linked) return;
    // A retried create is answered with its first answer (same requestid): a contact edited since the create was
    // first sent still differs from what QBO holds, and goes through the merge like any linked contact.
    const holds = customerToFields(created);
    const wanted: ContactFields = { ...crm, displayName };
    const behind = [...syncFieldNames, ...mapped.map((field) => field.field)].some(
      (field) =>
        flowsTo('qbo', directionOf(field, mappingPolicy)) && !sameValue(field, wanted[field], holds[field]),
    );
    if (behind) return pushLinked(context, linked, result);
    await recordOutcome(context.db, contact, contact.crm.version, { state: 'synced', at: context.now });
    return;
  }
}

/**
 * The base after creating a customer from the contact: each synced field as created, set when the CRM set it. A
 * field outside the sync has no base, so it is linked afresh when it comes back.
 */
function agreedBase(
  contact: ContactRecord,
  created: ContactFields,
  mappingPolicy: MappingPolicy,
): Record<string, StoredBaseEntry> {
  const changes = contact.crm.fieldChanges;
  const base: Record<string, StoredBaseEntry> = {};
  for (const [field, value] of Object.entries(created)) {
    if (directionOf(field as FieldName, mappingPolicy) === 'none') continue;
    const stored = field.replace(/\./g, '/');
    const at = changes[stored]?.at ?? new Date(Date.parse(contact.crm.updatedAt));
    base[stored] = {
      value: value ?? null,
      at: new Date(at),
      from: 'crm',
      agreedAt: new Date(contact.crm.receivedAt),
      crmSeenAt: new Date(contact.crm.receivedAt),
    };
  }
  return base;
}

/** QBO's own rules for the fixed fields, and the mapped custom fields' definitions, before anything is written. */
function problemsForQbo(
  fields: Partial<ContactFields>,
  mapped: readonly MappedCustomField[],
  options: { creating?: boolean } = {},
): { field: string; problem: string }[] {
  return [
    ...validateForQbo(fields, options),
    ...customFieldProblemsForQbo(fields, mapped).map(({ crmKey, problem }) => ({
      field: `customFields.${crmKey}`,
      problem,
    })),
  ];
}

async function reject(
  context: PushContext,
  contact: ContactRecord,
  qboCustomerId: string | undefined,
  result: PushResult,
  problems: { field: string; problem: string }[],
): Promise<void> {
  result.outcome = 'rejected';
  await recordHistory(context, [
    {
      connectionId: context.connection._id,
      crmContactId: contact.crmContactId,
      ...(qboCustomerId ? { qboCustomerId } : {}),
      kind: 'rejected',
      fields: problems.map((problem) => problem.field),
      detail: { problems },
      at: context.now,
    },
  ]);
  await recordOutcome(context.db, contact, contact.crm.version, { state: 'rejected', at: context.now });
}

/** A create sends only the fields that have values and flow to QBO; clearing is for updates. */
function writableToQbo(fields: ContactFields, mappingPolicy: MappingPolicy): Partial<ContactFields> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([field, value]) => value !== null && flowsTo('qbo', directionOf(field as FieldName, mappingPolicy)),
    ),
  );
}
