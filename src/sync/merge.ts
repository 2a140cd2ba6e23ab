import {
  normaliseValue,
  sameValue,
  syncFieldNames,
  tidyValue,
  type SyncFieldName,
  type SyncFields,
} from './fields';
import { directionOf, type MappingPolicy } from './mapping-policy';

/**
 * Field-level three-way merge of a CRM contact and its QBO customer against the last synced snapshot (DESIGN.md,
 * product rule 2). Each field is decided on its own:
 * - changed on one side only since `base` → taken from that side;
 * - changed on both sides to the same (normalised) value → nothing to do;
 * - changed on both sides differently → a conflict, and QBO wins;
 * - no base yet (first link) → where the values differ, the side updated more recently wins, a tie goes to QBO;
 * - the mapping policy overrides all of this for one-way and unsynced fields.
 * Echoes are suppressed by construction: once our write to QBO comes back unchanged it equals `base`, so it counts
 * as "not changed in QBO" and nothing flows back to the CRM.
 */

export interface MergeInput {
  /** The snapshot stored after the last successful sync; null when the contact has just been linked. */
  base: SyncFields | null;
  qbo: SyncFields;
  crm: SyncFields;
  /** QBO `MetaData.LastUpdatedTime` and the CRM contact's `updatedAt` (ISO 8601, offsets allowed). */
  qboUpdatedAt: string;
  crmUpdatedAt: string;
  policy?: MappingPolicy;
}

export interface FieldConflict {
  field: SyncFieldName;
  qboValue: string | null;
  crmValue: string | null;
  baseValue: string | null;
  applied: 'qbo';
}

export interface MergeResult {
  /** The contact as both sides should hold it once `toQbo` and `toCrm` are written. */
  merged: SyncFields;
  /** Fields QBO must receive (tidied values; null means clear). */
  toQbo: Partial<SyncFields>;
  toCrm: Partial<SyncFields>;
  conflicts: FieldConflict[];
}

type Winner = 'qbo' | 'crm';

/** Unparseable times sort first, so a valid time always beats them and two bad ones tie (→ QBO). */
function instant(iso: string): number {
  const parsed = Date.parse(iso);
  return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
}

export function mergeContact(input: MergeInput): MergeResult {
  const { base, qbo, crm, policy = {} } = input;
  const recentWinner: Winner = instant(input.crmUpdatedAt) > instant(input.qboUpdatedAt) ? 'crm' : 'qbo';
  const result: MergeResult = { merged: { ...qbo }, toQbo: {}, toCrm: {}, conflicts: [] };

  for (const field of syncFieldNames) {
    const qboValue = tidyValue(qbo[field]);
    const crmValue = tidyValue(crm[field]);
    const direction = directionOf(field, policy);

    if (direction === 'none') {
      // Not synced: the contact keeps the CRM's value and QBO keeps its own.
      result.merged[field] = crmValue;
      continue;
    }

    const q = normaliseValue(field, qboValue);
    const c = normaliseValue(field, crmValue);
    let winner: Winner;
    if (direction === 'qbo-to-crm') winner = 'qbo';
    else if (direction === 'crm-to-qbo') winner = 'crm';
    else if (q === c) winner = 'qbo';
    else if (base === null) winner = recentWinner;
    else {
      const b = normaliseValue(field, base[field]);
      const qboChanged = q !== b;
      const crmChanged = c !== b;
      if (crmChanged && !qboChanged) winner = 'crm';
      else if (qboChanged && !crmChanged) winner = 'qbo';
      else {
        // Both changed, to different values (equal values were handled above): QBO wins, and it is recorded.
        winner = 'qbo';
        result.conflicts.push({
          field,
          qboValue,
          crmValue,
          baseValue: tidyValue(base[field]),
          applied: 'qbo',
        });
      }
    }

    // QBO refuses to clear DisplayName, so an empty CRM value can never win; QBO's name goes back to the CRM.
    if (field === 'displayName' && winner === 'crm' && c === null && q !== null) {
      result.merged[field] = qboValue;
      if (direction === 'both') result.toCrm[field] = qboValue;
      continue;
    }

    const value = winner === 'qbo' ? qboValue : crmValue;
    result.merged[field] = value;
    if (q === c) continue;
    if (winner === 'qbo') result.toCrm[field] = value;
    else result.toQbo[field] = value;
  }
  return result;
}

/**
 * The base to merge against when writes of ours may have committed unseen (QBO took them, their answers were lost):
 * a field QBO now holds exactly as one of them sent it was agreed by both sides, so it is not a QBO edit. Without
 * this a newer CRM edit of the same field looks like a conflict, and QBO, holding our older value, wins it. Every
 * write since the last confirmed sync counts, oldest first: a retry that sends a newer value does not make the
 * older one, which QBO may be holding, any less ours.
 */
export function baseWithUnconfirmedWrites(
  base: SyncFields,
  sent: readonly Partial<SyncFields>[],
  qbo: SyncFields,
): SyncFields {
  const adjusted = { ...base };
  for (const write of sent)
    for (const field of Object.keys(write) as SyncFieldName[]) {
      const value = write[field] ?? null;
      if (normaliseValue(field, tidyValue(qbo[field])) === normaliseValue(field, value))
        adjusted[field] = value;
    }
  return adjusted;
}

/**
 * QBO's changes, merged into one version of a CRM contact, that still hold for a newer version the CRM sent
 * meanwhile: the fields the newer version left as they were. A field the CRM changed again keeps the CRM's new
 * value, which its own push then writes to QBO, as it would for any edit made after QBO's.
 */
export function qboChangesCarriedOver(
  fromQbo: Partial<SyncFields>,
  seenCrm: SyncFields,
  newerCrm: SyncFields,
): Partial<SyncFields> {
  const carried: Partial<SyncFields> = {};
  for (const field of Object.keys(fromQbo) as SyncFieldName[])
    if (sameValue(field, seenCrm[field], newerCrm[field])) carried[field] = fromQbo[field];
  return carried;
}

/**
 * The new base to store, once `toQbo` and `toCrm` have been written. Store it only after both writes succeed:
 * a stale base makes a later change look two-sided, which QBO then wins.
 */
export function snapshotAfter(result: MergeResult): SyncFields {
  return { ...result.merged };
}
