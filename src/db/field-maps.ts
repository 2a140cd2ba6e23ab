/**
 * A sync field's name may hold a '.' (`billingAddress.line1`), which a MongoDB update path would read as nesting:
 * per-field maps (policies, merge bases, change times) are stored with '/' in its place, and turned back when read.
 */
export function storeFieldMap<V>(map: Partial<Record<string, V>>): Record<string, V> {
  return Object.fromEntries(
    Object.entries(map)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => [storedFieldName(field), value as V]),
  );
}

export function loadFieldMap<V>(stored: Record<string, V> | undefined): Record<string, V> {
  return Object.fromEntries(
    Object.entries(stored ?? {}).map(([field, value]) => [field.replace(/\//g, '.'), value]),
  );
}

/** The key a field has in a stored per-field map, for update paths such as `link.base.billingAddress/line1`. */
export function storedFieldName(field: string): string {
  return field.replace(/\./g, '/');
}

/** Sync field values as MongoDB holds them: dotted names become nested objects (the API's shape too). */
export type StoredFields = Record<string, string | null | Record<string, string | null>>;

export function storeFields(fields: Partial<Record<string, string | null>>): StoredFields {
  const stored: StoredFields = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const [head, part] = name.split('.') as [string, string | undefined];
    if (part === undefined) stored[head] = value;
    else
      stored[head] = {
        ...((stored[head] as Record<string, string | null> | undefined) ?? {}),
        [part]: value,
      };
  }
  return stored;
}

export function loadFields(stored: StoredFields | undefined): Record<string, string | null> {
  const fields: Record<string, string | null> = {};
  for (const [head, value] of Object.entries(stored ?? {})) {
    if (value !== null && typeof value === 'object') {
      for (const [part, partValue] of Object.entries(value)) fields[`${head}.${part}`] = partValue;
    } else fields[head] = value;
  }
  return fields;
}
