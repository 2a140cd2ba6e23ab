import { loadFieldMap, loadFields, storedFieldName } from '../db/field-maps';
import { settingsOf, syncedCustomFields, type ConnectionRecord } from '../db/models/connection';
import type { QboCustomerRecord } from '../projections/models';
import { customFieldsIn, syncFieldNames, type ContactFields, type FieldName } from '../sync/fields';
import {
  baseWithUnconfirmedWrites,
  mergeContact,
  type BaseEntry,
  type FieldTimes,
  type MergeBase,
  type MergeInput,
  type MergeResult,
} from '../sync/merge';
import type { ContactRecord, StoredBaseEntry } from './model';
import { directionOf } from '../sync/mapping-policy';
import type { LinkUpdate } from './store';
import { mergedFields } from './store';

/**
 * The merge of a stored contact with its customer's projection: from the documents to the pure merge's input
 * (src/sync/merge.ts), and from its result back to what the link stores. One home for both directions of the
 * translation, used by the push (CRM → QBO) and by the propagation of QBO's changes (QBO → CRM).
 */

/** QBO's side as the merge sees it: the customer's fields, the time each was set, and the record's own time. */
export interface QboSide {
  fields: ContactFields;
  fieldTimes: FieldTimes;
  lastUpdatedTime: string;
}

export function qboSideOf(
  customer: Pick<QboCustomerRecord, 'fields' | 'fieldTimes' | 'lastUpdatedTime'>,
): QboSide {
  return {
    fields: loadFields(customer.fields) as ContactFields,
    fieldTimes: loadFieldMap(customer.fieldTimes),
    lastUpdatedTime: customer.lastUpdatedTime,
  };
}

function baseOf(contact: ContactRecord): MergeBase {
  const stored = loadFieldMap<StoredBaseEntry>(contact.link?.base);
  return Object.fromEntries(
    Object.entries(stored).map(([field, entry]) => [
      field,
      {
        value: entry.value,
        at: new Date(entry.at).getTime(),
        from: entry.from,
        agreedAt: new Date(entry.agreedAt).getTime(),
        ...(entry.crmSeenAt ? { crmSeenAt: new Date(entry.crmSeenAt).getTime() } : {}),
        ...(entry.cleared ? { cleared: true } : {}),
      } satisfies BaseEntry,
    ]),
  );
}

export function mergeStored(
  contact: ContactRecord,
  qbo: QboSide,
  connection: Pick<ConnectionRecord, 'settings' | 'customFieldDefinitions'>,
  now: Date,
): MergeResult {
  const settings = settingsOf(connection);
  const crmFields = mergedFields(contact);
  const changes = loadFieldMap(contact.crm.fieldChanges);
  const crmTimes: FieldTimes = {};
  const receivedAt: FieldTimes = {};
  for (const [field, change] of Object.entries(changes)) {
    crmTimes[field as FieldName] = new Date(change.at).getTime();
    receivedAt[field as FieldName] = new Date(change.receivedAt).getTime();
  }
  // QBO's changes merged into this version count as the CRM's values, set when QBO set them and received with the
  // version: an agreement merged from this version or a later one has seen them.
  const seenAt = new Date(contact.crm.receivedAt).getTime();
  const fromQbo = contact.sync.version === contact.crm.version ? loadFields(contact.sync.fromQbo) : {};
  for (const field of Object.keys(fromQbo) as FieldName[]) {
    const at = qbo.fieldTimes[field];
    if (at !== undefined) crmTimes[field] = at;
    receivedAt[field] = seenAt;
  }
  const unconfirmed = (contact.link?.unconfirmedWrites ?? []).map((write) => ({
    fields: loadFields(write.fields),
    at: new Date(write.at).getTime(),
    sentAt: new Date(write.sentAt).getTime(),
    ...(write.crmSeenAt ? { crmSeenAt: new Date(write.crmSeenAt).getTime() } : {}),
  }));
  const decided = loadFieldMap(contact.link?.decisions) as MergeInput['decided'];
  return mergeContact({
    base: baseWithUnconfirmedWrites(baseOf(contact), unconfirmed, qbo.fields),
    qbo: { fields: qbo.fields, times: qbo.fieldTimes, updatedAt: Date.parse(qbo.lastUpdatedTime) },
    crm: {
      fields: crmFields,
      times: crmTimes,
      updatedAt: Date.parse(contact.crm.updatedAt),
      receivedAt,
      seenAt,
    },
    customFields: syncedCustomFields(connection).map((mapped) => mapped.field),
    directions: settings.mappingPolicy,
    conflicts: settings.conflictPolicy,
    decided,
    skewToleranceMs: settings.skewToleranceSeconds * 1000,
    now: now.getTime(),
  });
}

/**
 * The link's changes once both sides hold a merge's outcome: the agreed values become the base, except for fields
 * still on their way to QBO (`pendingToQbo`: their old base stays, so the push sees the CRM's change); fields that
 * left the sync or are held for a person lose theirs.
 */
export function linkUpdateAfter(
  contact: ContactRecord,
  result: MergeResult,
  connection: Pick<ConnectionRecord, 'settings'>,
  held: LinkUpdate['held'],
  extra: Pick<LinkUpdate, 'qboSyncToken' | 'syncedAt' | 'confirmWrites'>,
  pendingToQbo: readonly FieldName[] = [],
): LinkUpdate {
  const stored = contact.link?.base ?? {};
  const storedHeld = loadFieldMap(contact.link?.held);
  const { mappingPolicy } = settingsOf(connection);
  const base: LinkUpdate['base'] = {};
  for (const [field, entry] of Object.entries(result.merged) as [FieldName, BaseEntry][]) {
    if (pendingToQbo.includes(field)) continue;
    base[field] = {
      value: entry.value,
      at: new Date(entry.at),
      from: entry.from,
      agreedAt: new Date(entry.agreedAt),
      ...(entry.crmSeenAt !== undefined ? { crmSeenAt: new Date(entry.crmSeenAt) } : {}),
      ...(entry.cleared ? { cleared: true } : {}),
    };
  }
  const decided = Object.keys(loadFieldMap(contact.link?.decisions)) as FieldName[];
  return {
    base,
    baseRemoved: [...syncFieldNames, ...customFieldsIn(loadFieldMap(stored))].filter(
      (field) =>
        storedFieldName(field) in stored &&
        (directionOf(field, mappingPolicy) === 'none' || result.held.includes(field)),
    ),
    held,
    releaseHeld: (Object.keys(storedHeld) as FieldName[]).filter((field) => !result.held.includes(field)),
    decisionsApplied: decided.filter(
      (field) => !result.held.includes(field) && !pendingToQbo.includes(field),
    ),
    ...extra,
  };
}
