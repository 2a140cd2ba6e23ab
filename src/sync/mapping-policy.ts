import { customFieldsIn, syncFieldNames, type FieldName, type SyncFieldName } from './fields';

/**
 * Per-connection, per-field sync policy: which way a field flows, and who wins when both sides changed it.
 *
 * Directions:
 * - `both` (the default): three-way merge.
 * - `qbo-to-crm`: QBO is the master; the field is never written to QBO.
 * - `crm-to-qbo`: the CRM is the master; the field is never written to the CRM.
 * - `none`: not synced at all; each side keeps its own value, and the field has no merge base, so turning it back
 *   on links it afresh (a fill, never a clear).
 *
 * Conflict policies (docs/api.md, "Conflicts"):
 * - `most_recent` (the default): the later change wins; within the skew tolerance QBO wins.
 * - `qbo_wins` / `crm_wins`: that side always wins.
 * - `manual`: the field is held, nothing is written either way, and both values wait in the conflict inbox.
 */
export const directions = ['both', 'qbo-to-crm', 'crm-to-qbo', 'none'] as const;
export type Direction = (typeof directions)[number];

export const conflictPolicies = ['most_recent', 'qbo_wins', 'crm_wins', 'manual'] as const;
export type ConflictPolicy = (typeof conflictPolicies)[number];

/** Only overrides are stored; a field that is not listed is `both`. Custom fields are named `custom.<id>`. */
export type MappingPolicy = Partial<Record<FieldName, Direction>>;
/** Only overrides are stored; a field that is not listed is `most_recent`. */
export type ConflictPolicies = Partial<Record<FieldName, ConflictPolicy>>;

export type Side = 'qbo' | 'crm';

export const defaultDirection: Direction = 'both';
export const defaultConflictPolicy: ConflictPolicy = 'most_recent';
export const defaultMappingPolicy: MappingPolicy = Object.freeze({});
/** Two changes closer than this are simultaneous: clocks on two systems never agree to the second. */
export const defaultSkewToleranceSeconds = 5;

export function directionOf(field: FieldName, policy: MappingPolicy = defaultMappingPolicy): Direction {
  return policy[field] ?? defaultDirection;
}

export function conflictPolicyOf(field: FieldName, policies: ConflictPolicies = {}): ConflictPolicy {
  return policies[field] ?? defaultConflictPolicy;
}

/** Whether a field may be written to `side` under `direction`. */
export function flowsTo(side: Side, direction: Direction): boolean {
  if (direction === 'both') return true;
  return side === 'qbo' ? direction === 'crm-to-qbo' : direction === 'qbo-to-crm';
}

/** The fields that may be written to `side`, in the canonical field order. */
export function fieldsFlowingTo(side: Side, policy: MappingPolicy = defaultMappingPolicy): SyncFieldName[] {
  return syncFieldNames.filter((field) => flowsTo(side, directionOf(field, policy)));
}

export function isDirection(value: unknown): value is Direction {
  return typeof value === 'string' && (directions as readonly string[]).includes(value);
}

/** The fields whose direction goes from `none` to synced between two policies: each is linked afresh. */
export function fieldsReenabled(before: MappingPolicy, after: MappingPolicy): FieldName[] {
  return [...syncFieldNames, ...customFieldsIn(before)].filter(
    (field) => directionOf(field, before) === 'none' && directionOf(field, after) !== 'none',
  );
}
