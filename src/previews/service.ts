import type { Connection as MongoConnection } from 'mongoose';
import { loadFieldMap, loadFields, storeFieldMap, storeFields } from '../db/field-maps';
import { connectionModel, settingsOf, type ConnectionRecord } from '../db/models/connection';
import { defaultRetention, type RetentionSettings } from '../db/retention';
import { contactKey, contactModel, type ContactRecord } from '../contacts/model';
import { ContactProblem, storeContacts } from '../contacts/service';
import { countMatching } from '../db/count';
import { qboCustomerModel, qboTransactionModel } from '../projections/models';
import { toSyncFields } from '../sync/fields';
import type { ConflictPolicies, MappingPolicy } from '../sync/mapping-policy';
import {
  entryFingerprint,
  mappingEffects,
  planContacts,
  planOutcomes,
  type FieldEffect,
  type MappingEffects,
  type PlanContact,
  type PlanCustomer,
  type PlanEntry,
  type PlanOutcome,
  type PlanSettings,
} from './plan';
import { allEntries, newPreviewId, storePreview, type StoredEntry, type PreviewRecord } from './store';

/**
 * Previews from the database: gathers what a plan needs (QBO's customers as projected, the contacts stored, the
 * links), plans (./plan.ts) and stores the outcome; and, before a preview is applied, plans again from the same inputs
 * to find what changed since.
 */
export const maxPreviewContacts = 10_000;
const samplesPerOutcome = 3;
/** Contacts read per query when the plan names them. */
const readSlice = 1000;

export interface PreviewRequest {
  contacts?: PlanContact[];
  /** Plan the contacts already stored instead of sent ones. */
  source?: 'stored';
  proposal?: PlanSettings;
}

const customerProjection = {
  qboId: 1,
  fields: 1,
  fieldTimes: 1,
  lastUpdatedTime: 1,
  active: 1,
  syncToken: 1,
} as const;

/** What the plan depends on in the connection's settings, to tell whether they changed since. */
function settingsFingerprint(connection: Pick<ConnectionRecord, 'settings'>): string {
  const { mappingPolicy, conflictPolicy, customFields, skewToleranceSeconds } = settingsOf(connection);
  const sorted = (map: Partial<Record<string, string>>) => Object.fromEntries(Object.entries(map).sort());
  return JSON.stringify({
    mappingPolicy: sorted(mappingPolicy),
    conflictPolicy: sorted(conflictPolicy),
    skewToleranceSeconds,
    // Only when there is one: previews of connections mapping no custom field keep the fingerprint they had.
    ...(Object.keys(customFields).length > 0 ? { customFields: sorted(customFields) } : {}),
  });
}

interface PlanState {
  contacts: PlanContact[];
  entries: PlanEntry[];
  effects: MappingEffects;
  customerTokens: Map<string, number>;
}

async function plan(
  db: MongoConnection,
  connection: ConnectionRecord,
  request: PreviewRequest,
  now: Date,
): Promise<PlanState> {
  const connectionId = connection._id;
  const [customers, links] = await Promise.all([
    qboCustomerModel(db).find({ connectionId }, customerProjection).lean<PlanCustomer[]>(),
    contactModel(db)
      .find({ connectionId, linkKey: { $exists: true } }, { crmContactId: 1, 'link.qboCustomerId': 1 })
      .lean<Pick<ContactRecord, 'crmContactId' | 'link'>[]>(),
  ]);
  const linkedTo = new Map(links.map((contact) => [contact.link!.qboCustomerId, contact.crmContactId]));
  const stored = new Map<string, ContactRecord>();
  let contacts = request.contacts ?? [];
  if (request.source === 'stored') {
    const all = await contactModel(db)
      .find({ connectionId, 'crm.deletedAt': { $exists: false } })
      .sort({ _id: 1 })
      .limit(maxPreviewContacts)
      .lean<ContactRecord[]>();
    for (const contact of all) stored.set(contact.crmContactId, contact);
    contacts = all.map((contact) => ({
      crmContactId: contact.crmContactId,
      // As stored: applying stores it again unchanged (and pins it to its customer).
      fields: toSyncFields(loadFields(contact.crm.fields)),
      updatedAt: contact.crm.updatedAt,
    }));
  } else {
    for (let start = 0; start < contacts.length; start += readSlice) {
      const ids = contacts
        .slice(start, start + readSlice)
        .map((c) => contactKey(connectionId, c.crmContactId));
      for (const contact of await contactModel(db)
        .find({ _id: { $in: ids } })
        .lean<ContactRecord[]>())
        stored.set(contact.crmContactId, contact);
    }
  }
  const entries = planContacts({
    connection,
    ...(request.proposal ? { proposal: request.proposal } : {}),
    contacts,
    customers,
    linkedTo,
    stored,
    now,
  });
  let effects: MappingEffects = { fields: [], contacts: [] };
  if (request.proposal) {
    const byId = new Map(customers.map((customer) => [customer.qboId, customer]));
    const linked = await contactModel(db)
      .find({ connectionId, linkKey: { $exists: true }, 'link.deletedAt': { $exists: false } })
      .lean<ContactRecord[]>();
    effects = mappingEffects(
      linked.flatMap((contact) => {
        const customer = byId.get(contact.link!.qboCustomerId);
        return customer ? [{ contact, customer }] : [];
      }),
      connection,
      request.proposal,
      now,
    );
  }
  return {
    contacts,
    entries,
    effects,
    customerTokens: new Map(customers.map((customer) => [customer.qboId, customer.syncToken])),
  };
}

export async function createPreview(
  db: MongoConnection,
  connection: ConnectionRecord,
  request: PreviewRequest,
  now: Date,
  retention: RetentionSettings = defaultRetention,
): Promise<PreviewRecord> {
  const [planned, imported] = await Promise.all([
    plan(db, connection, request, now),
    countMatching(qboTransactionModel(db), { connectionId: connection._id }),
  ]);
  const _id = newPreviewId();
  const expiresAt = new Date(now.getTime() + retention.previewHours * 3_600_000);
  const counts = Object.fromEntries(planOutcomes.map((outcome) => [outcome, 0])) as Record<
    PlanOutcome,
    number
  >;
  const samples: PreviewRecord['samples'] = {};
  for (const entry of planned.entries) {
    counts[entry.outcome] += 1;
    const some = (samples[entry.outcome] ??= []);
    if (some.length < samplesPerOutcome) some.push(entry);
  }
  const preview: PreviewRecord = {
    _id,
    accountId: connection.accountId,
    connectionId: connection._id,
    source: request.source ?? (request.contacts ? 'body' : 'none'),
    ...(request.proposal
      ? {
          proposal: {
            ...(request.proposal.mappingPolicy
              ? { mappingPolicy: storeFieldMap(request.proposal.mappingPolicy) }
              : {}),
            ...(request.proposal.conflictPolicy
              ? { conflictPolicy: storeFieldMap(request.proposal.conflictPolicy) }
              : {}),
          },
        }
      : {}),
    settingsAt: settingsFingerprint(connection),
    counts,
    samples,
    mappingEffects: planned.effects.fields,
    ...(connection.lastPolledAt ? { qboAsOf: connection.lastPolledAt } : {}),
    transactions: {
      history: settingsOf(connection).transactionHistory,
      since: connection.backfill?.transactionsSince ?? null,
      imported,
    },
    status: 'ready',
    createdAt: now,
    expiresAt,
  };
  const entries: StoredEntry[] = planned.entries.map((entry) => {
    const input = planned.contacts[entry.index]!;
    return { entry, input: { ...input, fields: storeFields(input.fields) } };
  });
  await storePreview(db, preview, entries);
  return preview;
}

/** The proposal as the plan takes it, from its stored form. */
export function proposalOf(preview: PreviewRecord): PlanSettings | undefined {
  if (!preview.proposal) return undefined;
  const { mappingPolicy, conflictPolicy } = preview.proposal;
  return {
    ...(mappingPolicy ? { mappingPolicy: loadFieldMap(mappingPolicy) as MappingPolicy } : {}),
    ...(conflictPolicy ? { conflictPolicy: loadFieldMap(conflictPolicy) as ConflictPolicies } : {}),
  };
}

/** Something that changed since a preview and alters its plan. */
export interface PlanChange {
  /** `contacts.<crmContactId>`, `settings` or `mapping.<field>`. */
  subject: string;
  message: string;
}

export interface CheckedPreview {
  entries: PlanEntry[];
  inputs: PlanContact[];
  changes: PlanChange[];
  /**
   * The linked contacts the mapping change writes: once it is saved the sync is told of them, so it writes now what
   * the preview predicted rather than at each contact's next change.
   */
  remerged: string[];
}

const describe = (entry: PlanEntry | undefined): string =>
  !entry
    ? 'no longer planned'
    : `${entry.outcome}${entry.qboCustomerId ? ` customer ${entry.qboCustomerId}` : ''}${entry.by ? ` by ${entry.by}` : ''}`;

/**
 * Plans the preview again from its own inputs against today's data, and lists what it predicts differently: each
 * contact whose outcome, customer, evidence or first merge changed (with the versions that moved), the connection's
 * settings, and the fields a mapping change would write.
 */
export async function checkPreview(
  db: MongoConnection,
  connection: ConnectionRecord,
  preview: PreviewRecord,
  now: Date,
): Promise<CheckedPreview> {
  const stored = await allEntries(db, preview._id);
  const inputs: PlanContact[] = stored.map(({ input }) => ({
    crmContactId: input.crmContactId,
    fields: toSyncFields(loadFields(input.fields)),
    ...(input.customFields ? { customFields: input.customFields } : {}),
    updatedAt: input.updatedAt,
    ...(input.qboCustomerId ? { qboCustomerId: input.qboCustomerId } : {}),
  }));
  const proposal = proposalOf(preview);
  const changes: PlanChange[] = [];
  if (settingsFingerprint(connection) !== preview.settingsAt)
    changes.push({ subject: 'settings', message: 'the connection’s mapping or conflict policies changed' });
  const again = await plan(db, connection, { contacts: inputs, ...(proposal ? { proposal } : {}) }, now);
  stored.forEach(({ entry: before }, index) => {
    const after = again.entries[index];
    if (after && entryFingerprint(after) === entryFingerprint(before)) return;
    const moved: string[] = [];
    const customerId = before.qboCustomerId;
    const token = customerId === undefined ? undefined : again.customerTokens.get(customerId);
    if (customerId !== undefined && token !== before.customerSyncToken)
      moved.push(
        token === undefined
          ? `customer ${customerId} is gone`
          : `customer ${customerId} changed (SyncToken ${before.customerSyncToken} → ${token})`,
      );
    if (after?.contactVersion !== before.contactVersion)
      moved.push(
        `the stored contact changed (version ${before.contactVersion ?? 'none'} → ${after?.contactVersion ?? 'none'})`,
      );
    changes.push({
      subject: `contacts.${before.crmContactId}`,
      message: `planned ${describe(before)}, now ${describe(after)}${moved.length ? `: ${moved.join('; ')}` : ''}`,
    });
  });
  const effectKey = (effect: FieldEffect) => `${effect.side}:${effect.field}:${effect.records}`;
  const was = new Set(preview.mappingEffects.map(effectKey));
  const is = new Set(again.effects.fields.map(effectKey));
  for (const effect of [...preview.mappingEffects, ...again.effects.fields]) {
    const key = effectKey(effect);
    if (was.has(key) && is.has(key)) continue;
    const subject = `mapping.${effect.field}`;
    if (changes.some((change) => change.subject === subject)) continue;
    changes.push({
      subject,
      message: `the records whose ${effect.field} the mapping change writes changed since the preview`,
    });
  }
  return { entries: again.entries, inputs, changes, remerged: again.effects.contacts };
}

export interface AppliedPlan {
  /** Contacts stored (and pinned to their customer when matched): the workflow must be told of them. */
  stored: string[];
  refused: { crmContactId: string; problem: string }[];
}

/**
 * Executes a checked plan: the contacts it matches are stored pinned to their customer, those it creates are stored
 * as they are, through the same store as `POST /v1/contacts/batch`. Duplicates, failures and contacts linked already
 * are left out, for the CRM to fix and preview again. A connection that waited for a preview waits no more.
 */
export async function applyPlan(
  db: MongoConnection,
  connection: ConnectionRecord,
  checked: CheckedPreview,
  now: Date,
  retention: RetentionSettings = defaultRetention,
): Promise<AppliedPlan> {
  // From now on the contacts the CRM sends are written as they come (a connection made "preview first" waited).
  if (connection.awaitingPreview)
    await connectionModel(db).updateOne({ _id: connection._id }, { $unset: { awaitingPreview: 1 } });
  const planned = checked.entries.filter(
    (entry) => entry.outcome === 'would_match' || entry.outcome === 'would_create',
  );
  const versions = planned.map((entry) => {
    const { qboCustomerId: _sent, ...input } = checked.inputs[entry.index]!;
    return entry.outcome === 'would_match' ? { ...input, qboCustomerId: entry.qboCustomerId! } : input;
  });
  const outcomes = await storeContacts(db, connection, versions, now, retention);
  const applied: AppliedPlan = { stored: [], refused: [] };
  outcomes.forEach((outcome, position) => {
    const { crmContactId } = versions[position]!;
    if (outcome instanceof ContactProblem) applied.refused.push({ crmContactId, problem: outcome.message });
    else applied.stored.push(crmContactId);
  });
  return applied;
}
