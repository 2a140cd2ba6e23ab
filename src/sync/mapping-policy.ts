import { syncFieldNames, type SyncFieldName } from './fields';

/**
 * Per-connection field directions.
 * - `both` (the default for every field): three-way merge, QBO wins conflicts.
 * - `qbo-to-crm`: QBO is the master; the field is never written to QBO and QBO's value always reaches the CRM.
 * - `crm-to-qbo`: the CRM is the master; the field is never written to the CRM.
 * - `none`: not synced at all; each side keeps its own value.
 */
export const directions = ['both', 'qbo-to-crm', 'crm-to-qbo', 'none'] as const;
export type Direction = (typeof directions)[number];

/** Only overrides are stored; a field that is not listed is `both`. */
export type MappingPolicy = Partial<Record<SyncFieldName, Direction>>;

export type Side = 'qbo' | 'crm';

export const defaultDirection: Direction = 'both';
export const defaultMappingPolicy: MappingPolicy = Object.freeze({});

export function directionOf(field: SyncFieldName, policy: MappingPolicy = defaultMappingPolicy): Direction {
  return policy[field] ?? defaultDirection;
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
