/**
 * A contact's fields side by side: what the CRM holds, what QuickBooks holds, and what the sync applied. The API
 * gives the applied (merged) fields; where an unresolved conflict stands, the two sides differ, and the conflict
 * carries both values. Everywhere else both sides hold the applied value.
 */
export interface ConflictView {
  fields: string[];
  status: string;
  at: string;
  detail: Record<string, unknown>;
}

export interface FieldSides {
  field: string;
  crm: string | null;
  qbo: string | null;
  applied: string | null;
  /** When the two sides differ: the time the conflict was recorded. */
  conflictAt: string | null;
}

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value);

/** `applied` holds the flat field names (addresses as `billingAddress.line1`, …); conflicts newest first. */
export function fieldSides(
  applied: Record<string, string | null>,
  conflicts: readonly ConflictView[],
): FieldSides[] {
  return Object.entries(applied).map(([field, value]) => {
    const open = conflicts.find(
      (conflict) => conflict.status === 'conflict' && conflict.fields.includes(field),
    );
    return {
      field,
      applied: value,
      crm: open ? text(open.detail.crmValue) : value,
      qbo: open ? text(open.detail.qboValue) : value,
      conflictAt: open?.at ?? null,
    };
  });
}

/** The API's contact fields (addresses nested) as flat field names, the names conflicts and mappings use. */
export function flattenFields(fields: Record<string, unknown>): Record<string, string | null> {
  const flat: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== null && typeof value === 'object')
      for (const [part, partValue] of Object.entries(value as Record<string, unknown>))
        flat[`${name}.${part}`] = text(partValue);
    else flat[name] = text(value);
  }
  return flat;
}
