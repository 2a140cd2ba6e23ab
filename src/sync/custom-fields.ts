import { customFieldName, definitionIdOf, isCustomFieldName, type CustomFieldName } from './fields';

/**
 * QBO's enhanced custom fields on customers: the company's definitions (read through the App Foundations GraphQL
 * API), each value as the merge holds it (a string), and the typed `CustomField` entries QBO reads and writes.
 */

export const customFieldTypes = ['string', 'number', 'date', 'dropdown'] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];

export interface CustomFieldDefinition {
  /** The `legacyIDV2`: what a record's `CustomField.DefinitionId` names. */
  id: string;
  label: string;
  type: CustomFieldType;
  /** A dropdown's active options, in order; empty for other types. */
  options: string[];
}

/** QBO takes at most 100 characters in a string custom field. */
const maxStringLength = 100;

// --- values ---

/** A number's one spelling: `10`, `10.0` and `1e1` are the same value. */
function canonicalNumber(value: number): string {
  return String(value);
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

export type CheckedValue = { ok: true; value: string | null } | { ok: false; problem: string };

/**
 * A value the CRM sent for a custom field, checked against its definition as QBO would check it: a number (or a
 * numeric string) for a number field, a `yyyy-MM-dd` date, one of a dropdown's options, text of at most 100
 * characters. Null, absent or blank is empty.
 */
export function checkCustomValue(definition: CustomFieldDefinition, value: unknown): CheckedValue {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === ''))
    return { ok: true, value: null };
  const label = `"${definition.label}"`;
  const shown = JSON.stringify(value);
  switch (definition.type) {
    case 'number': {
      const number =
        typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
      if (!Number.isFinite(number))
        return { ok: false, problem: `${label} is a number field in QuickBooks; ${shown} is not a number` };
      return { ok: true, value: canonicalNumber(number) };
    }
    case 'date':
      if (typeof value !== 'string' || !isCalendarDate(value.trim()))
        return {
          ok: false,
          problem: `${label} is a date field in QuickBooks; ${shown} is not a yyyy-MM-dd date`,
        };
      return { ok: true, value: value.trim() };
    case 'dropdown':
      if (typeof value !== 'string' || !definition.options.includes(value.trim()))
        return {
          ok: false,
          problem:
            `${shown} is not an option of the QuickBooks dropdown ${label}; ` +
            `the options are ${definition.options.map((option) => JSON.stringify(option)).join(', ')}`,
        };
      return { ok: true, value: value.trim() };
    case 'string':
      if (typeof value !== 'string')
        return { ok: false, problem: `${label} is a text field; ${shown} is not text` };
      if (value.trim().length > maxStringLength)
        return {
          ok: false,
          problem: `${label} takes at most ${maxStringLength} characters in QuickBooks (it has ${value.trim().length})`,
        };
      return { ok: true, value: value.trim() };
  }
}

/** A stored value as the CRM reads it: a number field's value is a JSON number. */
export function customValueForCrm(
  definition: CustomFieldDefinition | undefined,
  value: string | null,
): string | number | null {
  if (value === null) return null;
  if (definition?.type === 'number') {
    const number = Number(value);
    return Number.isFinite(number) ? number : value;
  }
  return value;
}

// --- QBO's CustomField entries ---

function member(entry: unknown, key: string): unknown {
  return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[key] : undefined;
}

/**
 * The custom field values a QBO record holds (read with `include=enhancedAllCustomFields`), as the merge holds
 * them. Entries that are not custom field values are ignored: QBO data from the wire is not trusted.
 */
export function customFieldValuesOf(entries: unknown): Partial<Record<CustomFieldName, string>> {
  const values: Partial<Record<CustomFieldName, string>> = {};
  if (!Array.isArray(entries)) return values;
  for (const entry of entries) {
    const id = member(entry, 'DefinitionId');
    if ((typeof id !== 'string' && typeof id !== 'number') || id === '') continue;
    const number = member(entry, 'NumberValue');
    const date = member(entry, 'DateValue');
    const text = member(entry, 'StringValue');
    const value =
      typeof number === 'number' && Number.isFinite(number)
        ? canonicalNumber(number)
        : typeof date === 'string'
          ? date.slice(0, 10)
          : typeof text === 'string'
            ? text.trim()
            : '';
    if (value !== '') values[customFieldName(String(id))] = value;
  }
  return values;
}

export interface CustomFieldEntry {
  DefinitionId: string;
  Type: 'StringType' | 'NumberType' | 'DateType';
  StringValue?: string;
  NumberValue?: number;
  DateValue?: string;
}

const entryTypes = {
  string: 'StringType',
  dropdown: 'StringType',
  number: 'NumberType',
  date: 'DateType',
} as const;

/**
 * The `CustomField` entries a write sends for changed custom fields: each typed by its definition; an entry with no
 * value clears its field (QBO keeps the fields a write does not mention). Fields without a definition are left out.
 */
export function customFieldEntries(
  changed: Partial<Record<string, string | null>>,
  definitions: readonly CustomFieldDefinition[],
): CustomFieldEntry[] {
  const entries: CustomFieldEntry[] = [];
  for (const [field, value] of Object.entries(changed)) {
    if (value === undefined || !isCustomFieldName(field)) continue;
    const definition = definitions.find((candidate) => candidate.id === definitionIdOf(field));
    if (!definition) continue;
    const entry: CustomFieldEntry = { DefinitionId: definition.id, Type: entryTypes[definition.type] };
    if (value !== null) {
      if (definition.type === 'number') entry.NumberValue = Number(value);
      else if (definition.type === 'date') entry.DateValue = value;
      else entry.StringValue = value;
    }
    entries.push(entry);
  }
  return entries;
}

// --- a connection's mapping: CRM key ↔ definition ---

/** A CRM contact field key: `tier` in `customFields.tier`. */
export const crmKeyPattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export interface MappedCustomField {
  crmKey: string;
  field: CustomFieldName;
  definition: CustomFieldDefinition;
}

/**
 * The connection's mapped custom fields whose definitions are known, in the CRM keys' order. A mapping naming a
 * definition the company no longer has (deleted, or not read yet) syncs nothing.
 */
export function mappedCustomFields(
  mapping: Readonly<Record<string, string>>,
  definitions: readonly CustomFieldDefinition[],
): MappedCustomField[] {
  return Object.entries(mapping)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([crmKey, definitionId]) => {
      const definition = definitions.find((candidate) => candidate.id === definitionId);
      return definition ? [{ crmKey, field: customFieldName(definitionId), definition }] : [];
    });
}

export interface CustomFieldProblem {
  /** The CRM key, as the request named it. */
  crmKey: string;
  problem: string;
}

/**
 * The custom field values a CRM sent (`customFields: { tier: 'Gold' }`), checked against the mapped definitions:
 * the values the contact stores, or what is wrong with each. A key the connection does not map is refused, so a
 * typo is not silently dropped.
 */
export function customFieldsFromCrm(
  sent: Readonly<Record<string, unknown>>,
  mapped: readonly MappedCustomField[],
): { fields: Partial<Record<CustomFieldName, string | null>>; problems: CustomFieldProblem[] } {
  const fields: Partial<Record<CustomFieldName, string | null>> = {};
  const problems: CustomFieldProblem[] = [];
  for (const [crmKey, value] of Object.entries(sent)) {
    const mapping = mapped.find((candidate) => candidate.crmKey === crmKey);
    if (!mapping) {
      problems.push({
        crmKey,
        problem:
          `no QuickBooks custom field is mapped to ${JSON.stringify(crmKey)} on this connection ` +
          `(mapped: ${mapped.map((candidate) => candidate.crmKey).join(', ') || 'none'})`,
      });
      continue;
    }
    const checked = checkCustomValue(mapping.definition, value);
    if (checked.ok) fields[mapping.field] = checked.value;
    else problems.push({ crmKey, problem: checked.problem });
  }
  return { fields, problems };
}

/** A contact's mapped custom field values as the CRM reads them (`customFields.tier`); unset ones are null. */
export function customFieldsForCrm(
  fields: Partial<Record<CustomFieldName, string | null>>,
  mapped: readonly MappedCustomField[],
): Record<string, string | number | null> {
  return Object.fromEntries(
    mapped.map(({ crmKey, field, definition }) => [
      crmKey,
      customValueForCrm(definition, fields[field] ?? null),
    ]),
  );
}

/**
 * The mapped custom field values about to be written to QBO that its definitions no longer take (an option removed
 * in QBO since the CRM sent the value): checked before writing, so the rejection names the field and its options.
 */
export function customFieldProblemsForQbo(
  fields: Partial<Record<string, string | null>>,
  mapped: readonly MappedCustomField[],
): CustomFieldProblem[] {
  return mapped.flatMap(({ crmKey, field, definition }) => {
    const value = fields[field];
    if (value === undefined) return [];
    const checked = checkCustomValue(definition, value);
    return checked.ok ? [] : [{ crmKey, problem: checked.problem }];
  });
}
