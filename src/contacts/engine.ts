import type { Connection as MongoConnection } from 'mongoose';
import { storeFields } from '../db/field-maps';
import type { ConnectionRecord } from '../db/models/connection';
import { defaultRetention, type RetentionSettings } from '../db/retention';
import {
  recordSyncEvents,
  type StoredSyncEvent,
  type SyncEventRecord,
  type SyncChannel,
} from '../history/sync-events';
import { recordAccountEvents, type EventDraft } from '../outbound/events';
import type { ProjectionContext } from '../projections/apply';
import type { Customer } from '../qbo';
import type { FieldName, ContactFields } from '../sync/fields';
import type { FieldConflict, MergeResult } from '../sync/merge';
import { loadFieldMap } from '../db/field-maps';
import type { ContactRecord } from './model';
import type { LinkUpdate } from './store';

/** Which version of a QBO customer a change came from: what the sync events and the CRM's events name. */
export type CustomerVersion = Pick<Customer, 'Id' | 'SyncToken' | 'MetaData'>;

/**
 * What the push (./push.ts) and the propagation of QBO's changes (./pull.ts) share: the context they run in, and how
 * a merge's outcome is told to the CRM and the sync history. Both record the events before they change the contact:
 * a retry after a crash in between merges to the same outcome, and the CRM's event is deduplicated by the
 * customer's version, whereas a change recorded first would leave the retry nothing to announce.
 */
export interface EngineContext {
  db: MongoConnection;
  connection: ConnectionRecord;
  projection: ProjectionContext;
  retention?: RetentionSettings;
  /** What brought the changes merged in this context: recorded with each change, for a field's lineage. */
  channel: SyncChannel;
  now: Date;
}

export function retentionOf(context: Pick<EngineContext, 'retention'>): RetentionSettings {
  return context.retention ?? defaultRetention;
}

export async function recordHistory(
  context: EngineContext,
  events: SyncEventRecord[],
): Promise<StoredSyncEvent[]> {
  return recordSyncEvents(context.db, events, retentionOf(context).syncEventDays);
}

export async function announce(context: EngineContext, drafts: EventDraft[]): Promise<number> {
  return recordAccountEvents(
    context.db,
    context.connection.accountId,
    drafts,
    context.now,
    retentionOf(context).outboundEventDays,
  );
}

/**
 * What the history says of a contact whose CRM clock ran ahead of ours: the `updatedAt` it sent, which the sync
 * used as the time we received it.
 */
export function clampedClock(contact: ContactRecord): { crmUpdatedAtSent?: string } {
  return contact.crm.sentUpdatedAt ? { crmUpdatedAtSent: contact.crm.sentUpdatedAt } : {};
}

/** A conflict as the history records it: both values, both times, the rule and what was applied. */
export function conflictEvent(
  context: EngineContext,
  contact: ContactRecord,
  qboCustomerId: string,
  conflict: FieldConflict,
): SyncEventRecord {
  return {
    connectionId: context.connection._id,
    crmContactId: contact.crmContactId,
    qboCustomerId,
    kind: 'conflict',
    fields: [conflict.field],
    detail: { ...conflict, ...clampedClock(contact) },
    at: context.now,
  };
}

/**
 * The conflicts worth a new history record: all the decided ones, and the held ones (policy `manual`) not already
 * waiting in the inbox with the same two values.
 */
export function newConflicts(contact: ContactRecord, result: MergeResult): FieldConflict[] {
  const held = loadFieldMap(contact.link?.held);
  return result.conflicts.filter((conflict) => {
    if (conflict.applied !== null) return true;
    const waiting = held[conflict.field];
    return !waiting || waiting.qboValue !== conflict.qboValue || waiting.crmValue !== conflict.crmValue;
  });
}

/** The link's record of the fields now held for a person, with the inbox entry each waits in. */
export function heldAfter(
  contact: ContactRecord,
  conflicts: FieldConflict[],
  recorded: StoredSyncEvent[],
): LinkUpdate['held'] {
  const held: NonNullable<LinkUpdate['held']> = {};
  const stored = loadFieldMap(contact.link?.held);
  for (const conflict of conflicts) {
    if (conflict.applied !== null) continue;
    const event = recorded.find(
      (candidate) => candidate.kind === 'conflict' && candidate.fields?.[0] === conflict.field,
    );
    const eventId = event?._id.toHexString() ?? stored[conflict.field]?.eventId;
    if (eventId) held[conflict.field] = { qboValue: conflict.qboValue, crmValue: conflict.crmValue, eventId };
  }
  return held;
}

/**
 * What to record about QBO's side of a merge (`toCrm`) reaching the CRM's contact: the `updated_crm` sync event (with
 * the rule that decided each field, and how the change was seen) and the `contact.updated` event for the CRM. Null
 * when QBO changed nothing the CRM holds.
 */
export function qboChangesToContact(
  context: EngineContext,
  customer: CustomerVersion,
  contact: ContactRecord,
  fields: ContactFields,
  { toCrm, rules }: Pick<MergeResult, 'toCrm' | 'rules'>,
): { event: SyncEventRecord; draft: EventDraft } | null {
  const changed = Object.keys(toCrm) as FieldName[];
  if (changed.length === 0) return null;
  const crmContactId = contact.crmContactId;
  const updatedContact: ContactFields = { ...fields, ...toCrm };
  const changes = changed.map((field) => ({ field, from: fields[field], to: toCrm[field] ?? null }));
  const lastUpdated = customer.MetaData?.LastUpdatedTime;
  return {
    event: {
      connectionId: context.connection._id,
      crmContactId,
      qboCustomerId: customer.Id,
      kind: 'updated_crm',
      fields: changed,
      detail: {
        changes,
        rules: Object.fromEntries(changed.map((field) => [field, rules[field]])),
        qboSyncToken: customer.SyncToken,
        channel: context.channel,
      },
      ...(lastUpdated ? { lagMs: Math.max(0, context.now.getTime() - Date.parse(lastUpdated)) } : {}),
      at: context.now,
    },
    draft: customerEvent(context.connection, customer, 'contact.updated', {
      crmContactId,
      changes,
      contact: storeFields(updatedContact),
    }),
  };
}

export function customerEvent(
  connection: ConnectionRecord,
  customer: CustomerVersion,
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
