/**
 * The syncable contact fields shared by the CRM and QBO, and how two values of a field are compared.
 *
 * The set is flat on purpose: the three-way merge, the mapping policy and conflict records all work per field,
 * and an address is eight independent fields rather than one blob (a city changed in the CRM and a postal code
 * changed in QBO are two one-sided changes, not a conflict).
 */

export const addressParts = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const;
export type AddressPart = (typeof addressParts)[number];
export const addressKinds = ['billingAddress', 'shippingAddress'] as const;
export type AddressKind = (typeof addressKinds)[number];

export const syncFieldNames = [
  'givenName',
  'middleName',
  'familyName',
  'title',
  'suffix',
  'companyName',
  'displayName',
  'email',
  'phone',
  'mobile',
  'fax',
  'website',
  'notes',
  'billingAddress.line1',
  'billingAddress.line2',
  'billingAddress.city',
  'billingAddress.region',
  'billingAddress.postalCode',
  'billingAddress.country',
  'shippingAddress.line1',
  'shippingAddress.line2',
  'shippingAddress.city',
  'shippingAddress.region',
  'shippingAddress.postalCode',
  'shippingAddress.country',
] as const;

export type SyncFieldName = (typeof syncFieldNames)[number];
/** `null` means empty: the merge never has to tell `''`, `'  '` and a missing value apart. */
export type SyncFields = Record<SyncFieldName, string | null>;

const fieldNameSet: ReadonlySet<string> = new Set(syncFieldNames);

export function isSyncFieldName(name: string): name is SyncFieldName {
  return fieldNameSet.has(name);
}

/**
 * A QBO custom field synced with a CRM contact field, named by its definition's `DefinitionId` (legacyIDV2):
 * `custom.1149601`. It goes through the merge, the policies and the history like the fixed fields; its value is a
 * string (a number's shortest form, a date's `yyyy-MM-dd`, a dropdown's option).
 */
export type CustomFieldName = `custom.${string}`;
export type FieldName = SyncFieldName | CustomFieldName;
/** A contact's synced values: the fixed fields, and the custom fields the connection maps. */
export type ContactFields = SyncFields & Partial<Record<CustomFieldName, string | null>>;

const customFieldPattern = /^custom\.[A-Za-z0-9_-]{1,64}$/;

export function customFieldName(definitionId: string): CustomFieldName {
  return `custom.${definitionId}`;
}

export function isCustomFieldName(name: string): name is CustomFieldName {
  return customFieldPattern.test(name);
}

export function isFieldName(name: string): name is FieldName {
  return isSyncFieldName(name) || isCustomFieldName(name);
}

export function definitionIdOf(field: CustomFieldName): string {
  return field.slice('custom.'.length);
}

/** The custom fields among a contact's values, in a stable order. */
export function customFieldsIn(fields: Partial<Record<string, unknown>>): CustomFieldName[] {
  return Object.keys(fields).filter(isCustomFieldName).sort();
}

/** Splits `billingAddress.city` into its address kind and part; undefined for non-address fields. */
export function addressFieldParts(field: FieldName): { kind: AddressKind; part: AddressPart } | undefined {
  const [kind, part] = field.split('.') as [string, string | undefined];
  if (part === undefined || !(addressKinds as readonly string[]).includes(kind)) return undefined;
  return { kind: kind as AddressKind, part: part as AddressPart };
}

export function emptySyncFields(): SyncFields {
  return Object.fromEntries(syncFieldNames.map((name) => [name, null])) as SyncFields;
}

/** A complete field set from a partial one; unknown keys are dropped and every value is tidied. */
export function toSyncFields(partial: Partial<Record<SyncFieldName, string | null | undefined>>): SyncFields {
  const fields = emptySyncFields();
  for (const name of syncFieldNames) fields[name] = tidyValue(partial[name]);
  return fields;
}

/**
 * The value as it is stored and written: trimmed, empty → null. Inner text is left alone so that what a user
 * typed (line breaks in notes, double spaces) survives the round trip.
 */
export function tidyValue(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * The value as it is compared: only cosmetic differences are removed, so that re-saving a contact in either app
 * never counts as a change. Notes keep their line breaks (a paragraph break is content), other fields are one line.
 */
export function normaliseValue(field: FieldName, value: string | null | undefined): string | null {
  const tidy = tidyValue(value);
  if (tidy === null) return null;
  // NFC: an "é" typed as one code point and as e + combining accent is the same text.
  const text = tidy.normalize('NFC');
  const collapsed =
    field === 'notes'
      ? text
          .replace(/\r\n?/g, '\n')
          .split('\n')
          .map((line) => line.replace(/\s+/g, ' ').trim())
          .join('\n')
          .replace(/\n{3,}/g, '\n\n')
      : text.replace(/\s+/g, ' ');
  return field === 'email' ? collapsed.toLowerCase() : collapsed;
}

export function sameValue(
  field: FieldName,
  a: string | null | undefined,
  b: string | null | undefined,
): boolean {
  return normaliseValue(field, a) === normaliseValue(field, b);
}

export function normaliseFields(fields: SyncFields): SyncFields {
  const normalised = emptySyncFields();
  for (const name of syncFieldNames) normalised[name] = normaliseValue(name, fields[name]);
  return normalised;
}

/** The fields of `next` that differ from `previous` after normalisation, with `next`'s tidied values. */
export function changedFields(previous: SyncFields, next: SyncFields): Partial<SyncFields> {
  const changed: Partial<SyncFields> = {};
  for (const name of syncFieldNames) {
    if (!sameValue(name, previous[name], next[name])) changed[name] = tidyValue(next[name]);
  }
  return changed;
}
