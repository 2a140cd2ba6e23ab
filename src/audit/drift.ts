import { normaliseValue, syncFieldNames, type SyncFieldName, type SyncFields } from '../sync/fields';
import { directionOf, type MappingPolicy } from '../sync/mapping-policy';

/**
 * The drift audit's comparison of one QBO customer with what we hold of it: our projection (`qbo_customers`) and,
 * when it is linked, the contact as the CRM reads it. Values are compared as the merge compares them
 * (`normaliseValue`), and only fields that flow both ways: under a one-way direction the two sides may differ by
 * design.
 */

export const driftKinds = [
  /** Our projection holds an older version than QBO's, or none: a change the engine never saw. */
  'projection_behind',
  /** The CRM's view of a synced contact differs from QBO's customer. */
  'contact_differs',
  /** A link to a customer made inactive in QBO. */
  'link_to_inactive',
  /** A link to a customer QBO no longer returns (deleted, or merged into another). */
  'link_to_missing',
] as const;
export type DriftKind = (typeof driftKinds)[number];

export interface FieldDrift {
  field: SyncFieldName;
  qbo: string | null;
  projection: string | null;
  crm: string | null;
}

export interface CustomerAudit {
  /** Where what we hold disagrees with QBO. */
  drift: DriftKind[];
  fields: FieldDrift[];
  /** The linked contact was compared (a synced one; one with a change on its way is not). */
  compared: boolean;
  /** An active customer no contact is linked to. */
  unlinked: boolean;
}

export interface AuditedCustomer {
  qbo: { fields: SyncFields; syncToken: number; active: boolean };
  projection: { fields: SyncFields; syncToken: number } | null;
  /** The linked contact: the CRM's view, and whether the engine has settled it (else a change is in flight). */
  contact: { fields: SyncFields; settled: boolean; held: readonly SyncFieldName[] } | null;
  directions?: MappingPolicy;
}

export function auditCustomer({ qbo, projection, contact, directions }: AuditedCustomer): CustomerAudit {
  const drift: DriftKind[] = [];
  const fields: FieldDrift[] = [];
  const projectionBehind = projection === null || projection.syncToken < qbo.syncToken;
  if (projectionBehind) drift.push('projection_behind');
  const compared = contact !== null && contact.settled;
  if (contact && !qbo.active) drift.push('link_to_inactive');
  let contactDiffers = false;
  for (const field of syncFieldNames) {
    if (directionOf(field, directions) !== 'both' || contact?.held.includes(field)) continue;
    const q = normaliseValue(field, qbo.fields[field]);
    const p = projection ? normaliseValue(field, projection.fields[field]) : null;
    const c = compared ? normaliseValue(field, contact.fields[field]) : q;
    const projectionDiffers = projection !== null && p !== q;
    if (c !== q) contactDiffers = true;
    if (projectionDiffers || c !== q)
      fields.push({
        field,
        qbo: qbo.fields[field],
        projection: projection ? projection.fields[field] : null,
        crm: compared ? contact.fields[field] : null,
      });
  }
  if (contactDiffers) drift.push('contact_differs');
  return { drift, fields, compared, unlinked: contact === null && qbo.active };
}

export const transactionDriftKinds = [
  /** QBO has a transaction our copy lacks: the customer's folder is missing it. */
  'transaction_missing',
  /** Our copy holds an older version than QBO's. */
  'transaction_behind',
  /** Our copy holds a transaction QBO no longer has: deleted in QBO. */
  'transaction_deleted',
] as const;
export type TransactionDriftKind = (typeof transactionDriftKinds)[number];

/** A transaction QBO listed, against the SyncToken of our copy of it (undefined when we hold none). */
export function auditTransaction(
  qboSyncToken: number,
  heldSyncToken: number | undefined,
): TransactionDriftKind | null {
  if (heldSyncToken === undefined) return 'transaction_missing';
  return heldSyncToken < qboSyncToken ? 'transaction_behind' : null;
}
