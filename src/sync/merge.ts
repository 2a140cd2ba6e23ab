import {
  normaliseValue,
  syncFieldNames,
  tidyValue,
  type ContactFields,
  type CustomFieldName,
  type FieldName,
} from './fields';
import {
  conflictPolicyOf,
  directionOf,
  type ConflictPolicies,
  type ConflictPolicy,
  type MappingPolicy,
} from './mapping-policy';

/**
 * Field-level three-way merge of a CRM contact and its QBO customer (DESIGN.md, product rule 2: "the most recent
 * update is retained; if there's a conflict between changes, QuickBooks Online data takes priority"). Each field is
 * decided on its own, from the value both sides last agreed on (the base) and each side's value with the time it
 * was set there:
 *
 * - Changed on one side only: that side wins, unless its edit is older than the value it would overwrite, which
 *   the other side set (a CRM version sent before the CRM saw QBO's change). Within the skew tolerance of each
 *   other the two are simultaneous, and QBO wins.
 * - Changed on both sides: the field's policy decides; by default the more recent change, and QBO within the
 *   tolerance.
 * - The CRM "changed" a field only if it sent a value other than the base after the base was agreed: a CRM that
 *   has not caught up with a change yet is brought up to date, not treated as editing it back.
 * - An empty value replaces a filled one only as a clear (someone emptied a field the base had filled, or the
 *   agreed value is such a clear); otherwise the filled value wins. At a first link (no base) an empty side is
 *   filled from the other, and two different values go to the more recent.
 *
 * Decided this way the outcome does not depend on which of two changes is seen first (a property test shows it).
 * The policy can make one side always win or hold the field for a person (`manual`); a direction other than `both`
 * stops a field flowing one way, or at all (then it keeps no base, and coming back is a first link). Our own writes
 * echo back equal to the base and so never count as changes.
 */

/** Milliseconds since the epoch, per field. */
export type FieldTimes = Partial<Record<FieldName, number>>;

/** One field's agreed value, and where it came from. */
export interface BaseEntry {
  value: string | null;
  /** When the agreed value was set, on the clock of the side that set it. */
  at: number;
  /** Which side set it; `both` when the two already agreed. */
  from: 'qbo' | 'crm' | 'both';
  /** When we recorded the agreement, on our clock. */
  agreedAt: number;
  /**
   * When we received the latest CRM version the agreement was merged from (the API's stamp). A CRM value received
   * later is the CRM's change even if it arrived before `agreedAt`: the merge read the contact before it was stored.
   */
  crmSeenAt?: number;
  /** An empty value someone cleared (as opposed to a field nobody ever filled). */
  cleared?: boolean;
}

export type MergeBase = Partial<Record<FieldName, BaseEntry>>;

export interface MergeSide {
  fields: ContactFields;
  /** When each field's current value was set on this side; a missing entry falls back to `updatedAt`. */
  times: FieldTimes;
  /** The record's own time (QBO `LastUpdatedTime`, the CRM's `updatedAt`). */
  updatedAt: number;
}

export interface MergeInput {
  base: MergeBase;
  qbo: MergeSide;
  crm: MergeSide & {
    /** When we received the CRM version that set each field's value (our clock). */
    receivedAt?: FieldTimes;
    /** When we received the CRM version merged here, its latest (the stamp `receivedAt` entries share). */
    seenAt?: number;
  };
  /** The custom fields the connection maps: merged after the fixed ones, by the same rules. */
  customFields?: readonly CustomFieldName[];
  directions?: MappingPolicy;
  conflicts?: ConflictPolicies;
  /** Fields a person decided (from the conflict inbox): the value they chose is applied to both sides. */
  decided?: Partial<Record<FieldName, { side: 'qbo' | 'crm'; value: string | null }>>;
  skewToleranceMs: number;
  /** Our clock: when this merge's outcome is agreed. */
  now: number;
}

/** Why a field took the value it did. */
export const mergeRules = [
  'one_side_changed',
  'older_than_base',
  'most_recent',
  'tie_qbo_wins',
  'qbo_wins',
  'crm_wins',
  'manual',
  'fill',
  'catch_up',
  'direction',
  'person',
] as const;
export type MergeRule = (typeof mergeRules)[number];

/** A field where the two sides held different values and one of them was not applied (or both were held). */
export interface FieldConflict {
  field: FieldName;
  qboValue: string | null;
  crmValue: string | null;
  baseValue: string | null;
  qboChangedAt: string;
  crmChangedAt: string;
  rule: MergeRule;
  /** The side whose value was applied; null while a person has to decide (`manual`). */
  applied: 'qbo' | 'crm' | null;
  appliedValue: string | null;
}

export interface MergeResult {
  /** The next base: what both sides hold once `toQbo` and `toCrm` are written (held and unsynced fields omitted). */
  merged: MergeBase;
  /** Fields QBO must receive (tidied values; null means clear). */
  toQbo: Partial<ContactFields>;
  toCrm: Partial<ContactFields>;
  conflicts: FieldConflict[];
  /** Fields a person has to decide (`manual`): nothing was written for them. */
  held: FieldName[];
  /** The rule that decided each field whose value differed between the sides. */
  rules: Partial<Record<FieldName, MergeRule>>;
}

type Winner = 'qbo' | 'crm';

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '');

export function mergeContact(input: MergeInput): MergeResult {
  const result: MergeResult = { merged: {}, toQbo: {}, toCrm: {}, conflicts: [], held: [], rules: {} };
  for (const field of [...syncFieldNames, ...(input.customFields ?? [])]) decideField(field, input, result);
  return result;
}

interface Decision {
  winner: Winner;
  rule: MergeRule;
  /** The losing side had a value of its own worth recording (a person's edit that was not applied). */
  contested: boolean;
}

function decideField(field: FieldName, input: MergeInput, result: MergeResult): void {
  const direction = directionOf(field, input.directions);
  // Not synced: each side keeps its own value, and no base is kept, so coming back is a first link.
  if (direction === 'none') return;

  const qboValue = tidyValue(input.qbo.fields[field]);
  const crmValue = tidyValue(input.crm.fields[field]);
  const q = normaliseValue(field, qboValue);
  const c = normaliseValue(field, crmValue);
  const qboAt = input.qbo.times[field] ?? input.qbo.updatedAt;
  const crmAt = input.crm.times[field] ?? input.crm.updatedAt;
  const base = input.base[field];
  const b = base ? normaliseValue(field, base.value) : undefined;

  const decidedBy = input.decided?.[field];
  if (decidedBy) {
    const value = tidyValue(decidedBy.value);
    const v = normaliseValue(field, value);
    result.rules[field] = 'person';
    result.merged[field] = agreed(field, value, input.now, decidedBy.side, input, base);
    // QBO refuses to clear DisplayName: a person's empty choice for it reaches the CRM only.
    if (q !== v && !(field === 'displayName' && v === null)) result.toQbo[field] = value;
    if (c !== v) result.toCrm[field] = value;
    return;
  }

  if (q === c) {
    // Two sides that already agree at a first link agree as one: neither's record time is a change of this field
    // (a customer made from the contact, or matched to it, carries its own creation time on every field).
    const from = !base || qboAt === crmAt ? 'both' : qboAt > crmAt ? 'qbo' : 'crm';
    result.merged[field] = agreed(field, qboValue, Math.max(qboAt, crmAt), from, input, base);
    return;
  }

  const policy: ConflictPolicy = conflictPolicyOf(field, input.conflicts);
  const tolerance = input.skewToleranceMs;
  let decision: Decision;
  if (direction !== 'both') {
    decision = { winner: direction === 'qbo-to-crm' ? 'qbo' : 'crm', rule: 'direction', contested: false };
  } else if (!base) {
    decision =
      q === null || c === null
        ? { winner: q === null ? 'crm' : 'qbo', rule: 'fill', contested: false }
        : { ...byPolicy(policy, qboAt, crmAt, tolerance), contested: true };
  } else {
    const qboChanged = q !== b;
    const receivedAt = input.crm.receivedAt?.[field];
    // A CRM value other than the base counts as a change only if the CRM sent it after the agreement.
    const crmChanged =
      c !== b && (receivedAt === undefined || receivedAt > (base.crmSeenAt ?? base.agreedAt));
    if (qboChanged && crmChanged)
      decision = { ...byPolicy(policy, qboAt, crmAt, tolerance), contested: true };
    else if (qboChanged) decision = oneSided('qbo', qboAt, base, tolerance);
    else if (crmChanged) decision = oneSided('crm', crmAt, base, tolerance);
    else decision = { winner: 'qbo', rule: 'catch_up', contested: false };
  }

  // An empty value wins over a filled one only as a clear; otherwise the filled value stands (or, against the
  // field's direction, nothing is written).
  const winning = decision.winner === 'qbo' ? q : c;
  const losing = decision.winner === 'qbo' ? c : q;
  if (winning === null && losing !== null && !isClear(winning, b, base)) {
    if (direction !== 'both') return;
    decision = { winner: decision.winner === 'qbo' ? 'crm' : 'qbo', rule: 'fill', contested: false };
  }

  if (decision.rule === 'manual') {
    result.held.push(field);
    result.rules[field] = 'manual';
    result.conflicts.push(
      conflictOf(field, input, { qboValue, crmValue, qboAt, crmAt }, 'manual', null, null),
    );
    return;
  }

  // QBO refuses to clear DisplayName: an empty CRM value can never win it; QBO's name goes back to the CRM.
  if (field === 'displayName' && decision.winner === 'crm' && c === null)
    decision = { ...decision, winner: 'qbo' };

  const { winner, rule } = decision;
  const value = winner === 'qbo' ? qboValue : crmValue;
  result.rules[field] = rule;
  result.merged[field] = agreed(field, value, winner === 'qbo' ? qboAt : crmAt, winner, input, base);
  if (winner === 'qbo') result.toCrm[field] = value;
  else result.toQbo[field] = value;
  if (decision.contested)
    result.conflicts.push(
      conflictOf(field, input, { qboValue, crmValue, qboAt, crmAt }, rule, winner, value),
    );
}

/**
 * Only `side` changed the field: it wins, unless the base it would overwrite was set by the other side later than
 * this edit (or at the same moment, within the tolerance, when the other side is QBO).
 */
function oneSided(side: Winner, at: number, base: BaseEntry, toleranceMs: number): Decision {
  const other: Winner = side === 'qbo' ? 'crm' : 'qbo';
  if (base.from !== other) return { winner: side, rule: 'one_side_changed', contested: false };
  if (at < base.at - toleranceMs)
    return { winner: other, rule: 'older_than_base', contested: side === 'crm' };
  if (at <= base.at + toleranceMs)
    return side === 'qbo'
      ? { winner: 'qbo', rule: 'tie_qbo_wins', contested: false }
      : { winner: 'qbo', rule: 'tie_qbo_wins', contested: true };
  return { winner: side, rule: 'one_side_changed', contested: false };
}

/** An empty value is a clear when it empties a filled base, or when it is the agreed value and that was a clear. */
function isClear(value: string | null, b: string | null | undefined, base: BaseEntry | undefined): boolean {
  if (value !== null || !base) return false;
  return b !== null || base.cleared === true;
}

/** Who wins when both sides hold values of their own, under the field's conflict policy. */
function byPolicy(
  policy: ConflictPolicy,
  qboAt: number,
  crmAt: number,
  toleranceMs: number,
): { winner: Winner; rule: MergeRule } {
  switch (policy) {
    case 'qbo_wins':
      return { winner: 'qbo', rule: 'qbo_wins' };
    case 'crm_wins':
      return { winner: 'crm', rule: 'crm_wins' };
    case 'manual':
      return { winner: 'qbo', rule: 'manual' };
    case 'most_recent':
      if (Math.abs(qboAt - crmAt) <= toleranceMs) return { winner: 'qbo', rule: 'tie_qbo_wins' };
      return { winner: crmAt > qboAt ? 'crm' : 'qbo', rule: 'most_recent' };
  }
}

/** The base entry for a value both sides hold from now on. */
function agreed(
  field: FieldName,
  value: string | null,
  at: number,
  from: BaseEntry['from'],
  { now, crm }: Pick<MergeInput, 'now' | 'crm'>,
  previous: BaseEntry | undefined,
): BaseEntry {
  // The same value again keeps its origin: re-agreeing it does not make it newer, or anyone else's.
  if (previous && normaliseValue(field, previous.value) === normaliseValue(field, value)) return previous;
  const wasFilled = previous !== undefined && normaliseValue(field, previous.value) !== null;
  const cleared = normaliseValue(field, value) === null && (wasFilled || previous?.cleared === true);
  return {
    value,
    at,
    from,
    agreedAt: now,
    ...(crm.seenAt !== undefined ? { crmSeenAt: crm.seenAt } : {}),
    ...(cleared ? { cleared: true } : {}),
  };
}

function conflictOf(
  field: FieldName,
  input: MergeInput,
  values: { qboValue: string | null; crmValue: string | null; qboAt: number; crmAt: number },
  rule: MergeRule,
  applied: Winner | null,
  appliedValue: string | null,
): FieldConflict {
  return {
    field,
    qboValue: values.qboValue,
    crmValue: values.crmValue,
    baseValue: input.base[field]?.value ?? null,
    qboChangedAt: iso(values.qboAt),
    crmChangedAt: iso(values.crmAt),
    rule,
    applied,
    appliedValue,
  };
}

/**
 * The base to merge against when writes of ours may have committed unseen (QBO took them, their answers were lost):
 * a field QBO now holds exactly as one of them sent it was agreed by both sides, so it is not a QBO edit. Without
 * this a newer CRM edit of the same field looks like a conflict, and QBO, holding our older value, wins it. Every
 * write since the last confirmed sync counts, oldest first: a retry that sends a newer value does not make the
 * older one, which QBO may be holding, any less ours.
 */
export function baseWithUnconfirmedWrites(
  base: MergeBase,
  sent: readonly { fields: Partial<ContactFields>; at: number; sentAt: number; crmSeenAt?: number }[],
  qbo: ContactFields,
): MergeBase {
  const adjusted = { ...base };
  for (const write of sent)
    for (const field of Object.keys(write.fields) as FieldName[]) {
      const value = write.fields[field] ?? null;
      if (normaliseValue(field, tidyValue(qbo[field])) === normaliseValue(field, value))
        adjusted[field] = {
          value,
          at: write.at,
          from: 'crm',
          agreedAt: write.sentAt,
          ...(write.crmSeenAt !== undefined ? { crmSeenAt: write.crmSeenAt } : {}),
        };
    }
  return adjusted;
}
