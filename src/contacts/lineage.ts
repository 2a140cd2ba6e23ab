import type { Connection as MongoConnection } from 'mongoose';
import { loadFieldMap } from '../db/field-maps';
import { syncedCustomFields, type ConnectionRecord } from '../db/models/connection';
import {
  syncEventModel,
  syncChannels,
  type StoredSyncEvent,
  type SyncEventKind,
  type SyncChannel,
} from '../history/sync-events';
import type { MappedCustomField } from '../sync/custom-fields';
import { sameValue, syncFieldNames, type FieldName } from '../sync/fields';
import { mergeRules, type MergeRule } from '../sync/merge';
import type { ContactRecord, StoredBaseEntry, StoredFieldChange } from './model';
import { mergedFields } from './store';

/**
 * A contact's lineage: for each synced field and mapped custom field, where the value it holds came from. Built from what is stored: the
 * link's base (the agreed value, which side set it and when, when we agreed it), the CRM's per-field changes, and the
 * sync events the merge that agreed it recorded (its rule, the QBO version, how the change was seen).
 */

/** How a value came to be agreed: a merge rule, created from the contact, or already the same on both sides. */
export const lineageRules = [...mergeRules, 'created', 'agreed'] as const;
export type LineageRule = (typeof lineageRules)[number];

/**
 * - `synced`: both sides hold the agreed value.
 * - `pending`: the CRM sent a value not agreed yet (its push is on its way).
 * - `held`: a person has to decide between the two sides (conflict policy `manual`).
 * - `unsynced`: no agreed value: the contact is not linked yet, or the field is not synced.
 */
export const lineageStates = ['synced', 'pending', 'held', 'unsynced'] as const;
export type LineageState = (typeof lineageStates)[number];

/** How the change reached us: the CRM's PUT, or how the engine saw QBO's (see `SyncChannel`). */
export const lineageChannels = ['put', ...syncChannels] as const;
export type LineageChannel = (typeof lineageChannels)[number];

export interface FieldLineage {
  field: FieldName;
  /** A custom field's CRM key (`customFields.<crmKey>` on the contact); null for the fixed fields. */
  crmKey: string | null;
  /** The value the CRM reads (QBO's changes merged in). */
  value: string | null;
  state: LineageState;
  /** Which side set the agreed value; `both` when they already agreed. Null without an agreed value. */
  side: 'qbo' | 'crm' | 'both' | null;
  /** When that side set it (the CRM's `updatedAt` for the field, QBO's `LastUpdatedTime`). */
  setAt: string | null;
  /** When we recorded the agreement. */
  agreedAt: string | null;
  rule: LineageRule | null;
  /** The sync event of the change that agreed the value (none when it was already agreed, or has expired). */
  change: {
    eventId: string;
    kind: SyncEventKind;
    at: string;
    /** How the change reached us: the CRM's PUT, or how the engine saw QBO's. */
    channel: LineageChannel | null;
    /** QBO's SyncToken of the customer version that holds the value. */
    qboSyncToken: string | null;
    /** The conflict recorded when both sides held values of their own. */
    conflictEventId: string | null;
  } | null;
  /** The CRM's version that last changed the field: its time for the field, and when we received it. */
  crmChange: { at: string; receivedAt: string } | null;
}

/** The sync events that can agree a field's value. */
export const lineageEventKinds: readonly SyncEventKind[] = [
  'created',
  'updated_qbo',
  'updated_crm',
  'conflict',
];

type LineageContact = Pick<ContactRecord, 'crm' | 'sync' | 'link'>;

const iso = (at: Date | string | number): string => new Date(at).toISOString();

/**
 * The fixed fields, then the custom fields the connection maps: the fields the contact shows the CRM (`fields` and
 * `customFields`), since lineage explains the values the CRM reads. A custom field no longer mapped (or whose
 * definition QBO deleted) is neither shown nor synced, so its leftover base would only mislead; a mapped one the
 * contact has no value for is listed like an empty fixed field, and one mapped with direction `none` as unsynced.
 */
export function contactLineage(
  contact: LineageContact,
  events: readonly StoredSyncEvent[],
  customFields: readonly Pick<MappedCustomField, 'crmKey' | 'field'>[],
): FieldLineage[] {
  const base = loadFieldMap<StoredBaseEntry>(contact.link?.base);
  const held = loadFieldMap(contact.link?.held);
  const crmChanges = loadFieldMap<StoredFieldChange>(contact.crm.fieldChanges);
  const values = mergedFields(contact);
  // Oldest first: the change that agreed a value is the first one recorded at or after the agreement.
  const ordered = [...events].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  const fields = [
    ...syncFieldNames.map((field) => ({ field, crmKey: null })),
    ...customFields.map(({ field, crmKey }) => ({ field, crmKey })),
  ];
  return fields.map(({ field, crmKey }) => {
    const entry = base[field];
    const crmChange = crmChanges[field];
    const value = values[field];
    const lineage: FieldLineage = {
      field,
      crmKey,
      value: value ?? null,
      state: held[field] ? 'held' : !entry ? 'unsynced' : 'synced',
      side: entry?.from ?? null,
      setAt: entry ? iso(entry.at) : null,
      agreedAt: entry ? iso(entry.agreedAt) : null,
      rule: null,
      change: null,
      crmChange: crmChange ? { at: iso(crmChange.at), receivedAt: iso(crmChange.receivedAt) } : null,
    };
    if (!entry) return lineage;
    if (!sameValue(field, entry.value, value)) lineage.state = 'pending';
    const agreedAt = new Date(entry.agreedAt).getTime();
    const setting = ordered.filter(
      (event) => new Date(event.at).getTime() >= agreedAt && touches(event, field),
    );
    const first = setting[0];
    // No change recorded: both sides already held the value, or its event has expired.
    if (!first) {
      lineage.rule = entry.from === 'both' ? 'agreed' : null;
      return lineage;
    }
    // One merge records its change and its conflict at the same moment.
    const sameMerge = setting.filter(
      (event) => new Date(event.at).getTime() === new Date(first.at).getTime(),
    );
    const change = sameMerge.find((event) => event.kind !== 'conflict') ?? first;
    const conflict = sameMerge.find((event) => event.kind === 'conflict');
    lineage.rule = ruleOf(change, field) ?? (conflict ? ruleOf(conflict, field) : null);
    lineage.change = {
      eventId: change._id.toHexString(),
      kind: change.kind,
      at: iso(change.at),
      channel: channelOf(change, entry.from),
      qboSyncToken: stringOrNull(change.detail?.qboSyncToken),
      conflictEventId: conflict && conflict !== change ? conflict._id.toHexString() : null,
    };
    return lineage;
  });
}

function touches(event: StoredSyncEvent, field: FieldName): boolean {
  if (!lineageEventKinds.includes(event.kind)) return false;
  // A created customer took every field of the contact.
  return event.kind === 'created' || (event.fields ?? []).includes(field);
}

function ruleOf(event: StoredSyncEvent, field: FieldName): LineageRule | null {
  if (event.kind === 'created') return 'created';
  if (event.kind === 'conflict') return (event.detail?.rule as MergeRule | undefined) ?? null;
  const rules = event.detail?.rules as Partial<Record<FieldName, MergeRule>> | undefined;
  return rules?.[field] ?? null;
}

/** The CRM's values only ever arrive by PUT; QBO's are seen the way the event says. */
function channelOf(event: StoredSyncEvent, side: StoredBaseEntry['from']): LineageChannel | null {
  if (event.kind === 'created' || event.kind === 'updated_qbo' || side === 'crm') return 'put';
  return (stringOrNull(event.detail?.channel) as SyncChannel | null) ?? null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The contact's lineage, from its document, its sync events and its connection's custom field mapping. */
export async function loadContactLineage(
  db: MongoConnection,
  contact: ContactRecord,
  connection: Pick<ConnectionRecord, 'settings' | 'customFieldDefinitions'>,
  maxEvents = 1000,
): Promise<FieldLineage[]> {
  const events = await syncEventModel(db)
    .find({
      connectionId: contact.connectionId,
      crmContactId: contact.crmContactId,
      kind: { $in: lineageEventKinds },
    })
    .sort({ at: -1, _id: -1 })
    .limit(maxEvents)
    .lean<StoredSyncEvent[]>();
  return contactLineage(contact, events, syncedCustomFields(connection));
}
