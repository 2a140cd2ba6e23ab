import { loadFields, storeFieldMap, storedFieldName } from '../db/field-maps';
import { settingsOf, syncedCustomFields, type ConnectionRecord } from '../db/models/connection';
import { mergeStored, qboSideOf } from '../contacts/merging';
import type { ContactRecord } from '../contacts/model';
import {
  contactMatchFields,
  linkCandidates,
  matchEvidence,
  type MatchEvidence,
} from '../contacts/setup-match';
import { mergedFields, newContactRecord } from '../contacts/store';
import type { QboCustomerRecord } from '../projections/models';
import {
  disambiguateDisplayName,
  displayNameFor,
  displayNameKey,
  validateForQbo,
} from '../sync/customer-mapping';
import {
  customFieldProblemsForQbo,
  customFieldsFromCrm,
  type CustomFieldProblem,
  type MappedCustomField,
} from '../sync/custom-fields';
import {
  customFieldsIn,
  syncFieldNames,
  type ContactFields,
  type FieldName,
  type SyncFields,
} from '../sync/fields';
import { fieldsReenabled, type ConflictPolicies, type MappingPolicy } from '../sync/mapping-policy';
import { createMatcher, emailMatchKey } from '../sync/matching';

/**
 * A dry run of the first sync of many contacts, and of a mapping change, computed from what we hold (the contacts and
 * QBO's customers as projected) without writing anything. It decides each contact the way the push decides it
 * (src/contacts/push.ts), through the same functions: the setup matcher over the same candidates, QBO's rules checked
 * before a create or an update, the DisplayName a create would use, and the three-way merge of a first link. The
 * custom fields the connection maps are planned with the fixed ones: checked, merged and counted the same way.
 */

export const planOutcomes = [
  'would_match',
  'would_create',
  'would_duplicate',
  'would_fail',
  'already_linked',
] as const;
export type PlanOutcome = (typeof planOutcomes)[number];

export const duplicateReasons = ['same_customer', 'ambiguous_match', 'display_name_taken'] as const;
export type DuplicateReason = (typeof duplicateReasons)[number];

/** A contact to plan: as the CRM sends it, or as it is stored. */
export interface PlanContact {
  crmContactId: string;
  fields: SyncFields;
  /** Mapped custom field values by CRM key, as sent; keys left out keep their stored values, as storing does. */
  customFields?: Record<string, unknown>;
  updatedAt: string;
  /** The customer the CRM names (adoption): matched by the CRM's word. */
  qboCustomerId?: string;
}

export type PlanCustomer = Pick<
  QboCustomerRecord,
  'qboId' | 'fields' | 'fieldTimes' | 'lastUpdatedTime' | 'active' | 'syncToken'
>;

export interface PlanProblem {
  field: string;
  problem: string;
}

export interface PlanEntry {
  /** Position in the plan (the order sent). */
  index: number;
  crmContactId: string;
  outcome: PlanOutcome;
  /** The customer matched, duplicated onto, holding the name, or already linked. */
  qboCustomerId?: string;
  by?: 'email' | 'name' | 'crm';
  evidence?: MatchEvidence;
  reason?: DuplicateReason;
  /** An ambiguous match: the customers sharing the key. */
  candidates?: string[];
  /** Another contact of this plan that takes the same customer or name. */
  otherContactId?: string;
  /** The DisplayName a create would use, or the one taken. */
  displayName?: string;
  /** For a taken name: the name the push would create the customer under instead. */
  createdAs?: string | null;
  problems?: PlanProblem[];
  /** A would-match's first merge: the fields written to each side. */
  changes?: { toQbo: FieldName[]; toCrm: FieldName[] };
  /** Versions the entry was computed from, to say what changed when it no longer holds. */
  customerSyncToken?: number;
  contactVersion?: number;
}

/** The settings a plan depends on; a proposal replaces the mapping and conflict policies. */
export interface PlanSettings {
  mappingPolicy?: MappingPolicy;
  conflictPolicy?: ConflictPolicies;
}

export interface PlanInput {
  connection: Pick<ConnectionRecord, '_id' | 'settings' | 'customFieldDefinitions'>;
  /** A proposed mapping change: planned as if saved. */
  proposal?: PlanSettings;
  contacts: readonly PlanContact[];
  customers: readonly PlanCustomer[];
  /** Every contact of the connection linked to a customer (live or a tombstone), by customer id. */
  linkedTo: ReadonlyMap<string, string>;
  /** The stored contacts among `contacts`, by CRM id. */
  stored: ReadonlyMap<string, ContactRecord>;
  now: Date;
}

/** The connection with a proposal applied to its settings, in the stored form the engine reads. */
export function withProposal<C extends Pick<ConnectionRecord, 'settings'>>(
  connection: C,
  proposal: PlanSettings | undefined,
): C {
  if (!proposal) return connection;
  const current = settingsOf(connection);
  return {
    ...connection,
    settings: {
      ...connection.settings,
      ...current,
      mappingPolicy: storeFieldMap(proposal.mappingPolicy ?? current.mappingPolicy),
      conflictPolicy: storeFieldMap(proposal.conflictPolicy ?? current.conflictPolicy),
    },
  };
}

export function planContacts(input: PlanInput): PlanEntry[] {
  const settings = withProposal(input.connection, input.proposal);
  const tolerance = settingsOf(settings).skewToleranceSeconds * 1000;
  const mapped = syncedCustomFields(settings);
  const customers = new Map(input.customers.map((customer) => [customer.qboId, customer]));
  const match = createMatcher(linkCandidates(input.customers, input.linkedTo));
  // Each customer's side, read once for the whole plan.
  const sides = new Map(input.customers.map((customer) => [customer.qboId, qboSideOf(customer)]));
  const nameHolders = new Map<string, string>();
  for (const [qboId, side] of sides)
    if (side.fields.displayName) nameHolders.set(displayNameKey(side.fields.displayName), qboId);
  /** Customers and new customers this plan has given to a contact already. */
  const claimed = new Map<string, string>();
  const newNames = new Map<string, string>();
  const newEmails = new Map<string, string>();

  return input.contacts.map((contact, index): PlanEntry => {
    const { crmContactId } = contact;
    const stored = input.stored.get(crmContactId);
    const entry: PlanEntry = {
      index,
      crmContactId,
      outcome: 'would_fail',
      ...(stored ? { contactVersion: stored.crm.version } : {}),
    };
    const onCustomer = (qboCustomerId: string): PlanEntry => {
      const syncToken = customers.get(qboCustomerId)?.syncToken;
      return {
        ...entry,
        qboCustomerId,
        ...(syncToken !== undefined ? { customerSyncToken: syncToken } : {}),
      };
    };
    const link = stored?.link;
    if (stored?.linkKey && link && !link.deletedAt)
      return { ...onCustomer(link.qboCustomerId), outcome: 'already_linked' };
    // Checked against the definitions first, as storing checks them: QBO would refuse the value.
    const custom = customFieldsFromCrm(contact.customFields ?? {}, mapped);
    if (custom.problems.length > 0) return { ...entry, problems: custom.problems.map(customProblem) };
    if (stored && Date.parse(stored.crm.updatedAt) > Date.parse(contact.updatedAt))
      return {
        ...entry,
        problems: [
          {
            field: 'updatedAt',
            problem: `older than the stored version (updatedAt ${stored.crm.updatedAt})`,
          },
        ],
      };
    const record =
      stored && stored.crm.updatedAt === contact.updatedAt
        ? stored
        : newContactRecord(
            input.connection._id,
            crmContactId,
            {
              fields: { ...storedCustomValues(stored), ...contact.fields, ...custom.fields },
              updatedAt: contact.updatedAt,
            },
            input.now,
            tolerance,
          );
    const crm = mergedFields(record);

    const matched = (qboCustomerId: string, by: NonNullable<PlanEntry['by']>): PlanEntry => {
      const other = claimed.get(qboCustomerId);
      if (other !== undefined)
        return {
          ...onCustomer(qboCustomerId),
          outcome: 'would_duplicate',
          reason: 'same_customer',
          otherContactId: other,
        };
      const side = sides.get(qboCustomerId)!;
      const merge = mergeStored(record, side, settings, input.now);
      const problems = qboProblems(merge.toQbo, mapped);
      if (problems.length > 0) return { ...onCustomer(qboCustomerId), problems };
      claimed.set(qboCustomerId, crmContactId);
      return {
        ...onCustomer(qboCustomerId),
        outcome: 'would_match',
        by,
        evidence: by === 'crm' ? { agrees: [], differs: [], confidence: 1 } : matchEvidence(crm, side.fields),
        changes: {
          toQbo: Object.keys(merge.toQbo) as FieldName[],
          toCrm: Object.keys(merge.toCrm) as FieldName[],
        },
      };
    };

    if (contact.qboCustomerId !== undefined) {
      const pinned = contact.qboCustomerId;
      if (!customers.has(pinned))
        return {
          ...entry,
          problems: [{ field: 'qboCustomerId', problem: `no QuickBooks customer ${pinned}` }],
        };
      const holder = input.linkedTo.get(pinned);
      if (holder !== undefined && holder !== crmContactId)
        return {
          ...onCustomer(pinned),
          problems: [
            { field: 'qboCustomerId', problem: `customer ${pinned} is linked to contact ${holder}` },
          ],
        };
      return matched(pinned, 'crm');
    }

    const found = match(contactMatchFields(crm));
    if (found.kind === 'matched') return matched(found.id, found.by);
    if (found.kind === 'ambiguous')
      return { ...entry, outcome: 'would_duplicate', reason: 'ambiguous_match', candidates: found.ids };

    const problems = qboProblems(crm, mapped, { creating: true });
    if (problems.length > 0) return { ...entry, problems };
    const displayName = displayNameFor(crm)!;
    const nameKey = displayNameKey(displayName);
    const emailKey = emailMatchKey(crm.email);
    const sameNew = newNames.get(nameKey) ?? (emailKey === null ? undefined : newEmails.get(emailKey));
    if (sameNew !== undefined)
      return {
        ...entry,
        outcome: 'would_duplicate',
        reason: 'same_customer',
        otherContactId: sameNew,
        displayName,
      };
    const holder = nameHolders.get(nameKey);
    if (holder !== undefined)
      return {
        ...onCustomer(holder),
        outcome: 'would_duplicate',
        reason: 'display_name_taken',
        displayName,
        createdAs: disambiguateDisplayName(displayName, 1, { email: crm.email, crmId: crmContactId }),
      };
    newNames.set(nameKey, crmContactId);
    if (emailKey !== null) newEmails.set(emailKey, crmContactId);
    return { ...entry, outcome: 'would_create', displayName };
  });
}

/** The custom field values a stored contact holds: a version that leaves one out keeps it. */
function storedCustomValues(stored: ContactRecord | undefined): Partial<ContactFields> {
  const fields = loadFields(stored?.crm.fields);
  return Object.fromEntries(customFieldsIn(fields).map((field) => [field, fields[field] ?? null]));
}

/**
 * What the push checks before writing (QBO's rules for the fixed fields, the mapped custom fields' definitions), each
 * named as the request names it.
 */
function qboProblems(
  fields: Partial<ContactFields>,
  mapped: readonly MappedCustomField[],
  options: { creating?: boolean } = {},
): PlanProblem[] {
  return [
    ...validateForQbo(fields, options).map(({ field, problem }) => ({ field: `fields.${field}`, problem })),
    ...customFieldProblemsForQbo(fields, mapped).map(customProblem),
  ];
}

function customProblem({ crmKey, problem }: CustomFieldProblem): PlanProblem {
  return { field: `customFields.${crmKey}`, problem };
}

/** What decides whether an entry still holds: everything it predicts, not the versions it was computed from. */
export function entryFingerprint(entry: PlanEntry): string {
  const { index: _index, customerSyncToken: _token, contactVersion: _version, ...predicted } = entry;
  return JSON.stringify(predicted);
}

export interface FieldEffect {
  field: FieldName;
  /** The side that would be written. */
  side: 'qbo' | 'crm';
  records: number;
  /** Some of the contacts concerned. */
  samples: string[];
}

const effectSamples = 5;

export interface MappingEffects {
  /** Per field and side, in the fields' order (the fixed ones, then the custom ones by name). */
  fields: FieldEffect[];
  /** Every linked contact the change writes, in the order given. */
  contacts: string[];
}

/**
 * What saving a mapping change would write, beyond what the sync writes anyway: for each linked contact, the merge
 * with its customer under the proposal (fields coming back into the sync lose their base, as saving does) against the
 * merge under the current settings. Counted per field and side, mapped custom fields included.
 */
export function mappingEffects(
  linked: readonly { contact: ContactRecord; customer: PlanCustomer }[],
  connection: Pick<ConnectionRecord, 'settings' | 'customFieldDefinitions'>,
  proposal: PlanSettings,
  now: Date,
): MappingEffects {
  const proposed = withProposal(connection, proposal);
  const reenabled = fieldsReenabled(settingsOf(connection).mappingPolicy, settingsOf(proposed).mappingPolicy);
  const counts = new Map<string, FieldEffect>();
  const contacts: string[] = [];
  for (const { contact, customer } of linked) {
    const qbo = qboSideOf(customer);
    const before = mergeStored(contact, qbo, connection, now);
    const base = { ...contact.link!.base };
    for (const field of reenabled) delete base[storedFieldName(field)];
    const after = mergeStored({ ...contact, link: { ...contact.link!, base } }, qbo, proposed, now);
    let writes = false;
    for (const [side, was, will] of [
      ['qbo', before.toQbo, after.toQbo],
      ['crm', before.toCrm, after.toCrm],
    ] as const) {
      for (const field of Object.keys(will) as FieldName[]) {
        if (field in was && was[field] === will[field]) continue;
        writes = true;
        const key = `${side}:${field}`;
        const effect = counts.get(key) ?? { field, side, records: 0, samples: [] };
        effect.records += 1;
        if (effect.samples.length < effectSamples) effect.samples.push(contact.crmContactId);
        counts.set(key, effect);
      }
    }
    if (writes) contacts.push(contact.crmContactId);
  }
  return {
    fields: [...counts.values()].sort(
      (a, b) => byFieldOrder(a.field, b.field) || a.side.localeCompare(b.side),
    ),
    contacts,
  };
}

/** The fixed fields in their canonical order, then the custom fields by name. */
function byFieldOrder(a: FieldName, b: FieldName): number {
  const rank = (field: FieldName) => {
    const index = (syncFieldNames as readonly string[]).indexOf(field);
    return index === -1 ? syncFieldNames.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}
