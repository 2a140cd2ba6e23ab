import type { Company, CustomFieldDefinition, CustomFieldEntity } from '../company';
import { fault } from '../faults';
import { isObject, optionalDate, optionalNumber, optionalString } from './fields';
import type { Draft } from './types';

/** `legacyIDV2` values are large numbers (Intuit's sample: "1149622"); the emulator counts up from here. */
const legacyIdBase = 1_149_600;

export interface NewCustomField {
  label: string;
  type: CustomFieldDefinition['type'];
  options?: string[];
  entities: CustomFieldEntity[];
  active?: boolean;
}

export function defineCustomField(company: Company, input: NewCustomField): CustomFieldDefinition {
  const label = input.label.trim();
  if (
    company.customFields.some((field) => field.active && field.label.toLowerCase() === label.toLowerCase())
  ) {
    throw new Error(`a custom field named ${label} already exists`);
  }
  const number = company.customFields.length + 1;
  const definition: CustomFieldDefinition = {
    id: `udcf_${number}`,
    legacyId: String(legacyIdBase + number),
    label,
    type: input.type,
    options: input.type === 'dropdown' ? [...(input.options ?? [])] : [],
    entities: [...new Set(input.entities)],
    active: input.active ?? true,
  };
  company.customFields.push(definition);
  return definition;
}

/** The Accounting API's `CustomField.Type` for a definition. */
function valueType(definition: CustomFieldDefinition): 'StringType' | 'NumberType' | 'DateType' {
  if (definition.type === 'number') return 'NumberType';
  if (definition.type === 'date') return 'DateType';
  return 'StringType';
}

function invalidCustomField(detail: string): never {
  // Inferred: QBO's exact fault for a mistyped custom field value is unsourced; it is a business validation.
  throw fault.businessValidation(detail, 'CustomField');
}

/** The value a write sets, checked against the definition's type and options; undefined clears the field. */
function checkedValue(definition: CustomFieldDefinition, entry: Record<string, unknown>): Draft | undefined {
  const name = definition.label;
  if (definition.type === 'number') {
    if (entry.NumberValue === undefined || entry.NumberValue === null || entry.NumberValue === '') {
      if (typeof entry.StringValue === 'string' && entry.StringValue !== '') {
        invalidCustomField(`Custom field ${name} takes a NumberValue, not a StringValue.`);
      }
      return undefined;
    }
    let number: number | undefined;
    try {
      number = optionalNumber(entry, 'NumberValue');
    } catch {
      invalidCustomField(`Custom field ${name} takes a number: ${JSON.stringify(entry.NumberValue)}.`);
    }
    return { NumberValue: number };
  }
  if (definition.type === 'date') {
    if (entry.DateValue === undefined || entry.DateValue === null || entry.DateValue === '') {
      if (typeof entry.StringValue === 'string' && entry.StringValue !== '') {
        invalidCustomField(`Custom field ${name} takes a DateValue, not a StringValue.`);
      }
      return undefined;
    }
    try {
      return { DateValue: optionalDate(entry, 'DateValue') };
    } catch {
      invalidCustomField(
        `Custom field ${name} takes a date (yyyy-MM-dd): ${JSON.stringify(entry.DateValue)}.`,
      );
    }
  }
  if (entry.NumberValue !== undefined || entry.DateValue !== undefined) {
    invalidCustomField(`Custom field ${name} takes a StringValue.`);
  }
  const text = optionalString(entry, 'StringValue', 100);
  if (text === undefined || text === '') return undefined;
  if (definition.type === 'dropdown' && !definition.options.includes(text)) {
    invalidCustomField(`${text} is not an option of the custom field ${name}.`);
  }
  return { StringValue: text };
}

/**
 * The `CustomField` values a write leaves on a record: each entry names a definition that applies to the entity
 * (by `DefinitionId`, the definition's legacyIDV2) and carries a value of its type. Definitions the request does not
 * mention keep their values; an entry without a value clears its field.
 */
export function customFieldValues(
  company: Company,
  entity: string,
  sent: unknown,
  current: unknown,
): Draft[] {
  if (!Array.isArray(sent)) return Array.isArray(current) ? (current as Draft[]) : [];
  const values = new Map<string, Draft>();
  for (const entry of Array.isArray(current) ? (current as Draft[]) : []) {
    values.set(String(entry.DefinitionId), entry);
  }
  for (const entry of Array.isArray(sent) ? (sent as unknown[]) : []) {
    if (!isObject(entry)) throw fault.invalidValue('CustomField', 'Expected a CustomField object.');
    const definitionId =
      typeof entry.DefinitionId === 'number' ? String(entry.DefinitionId) : entry.DefinitionId;
    // python-quickbooks sends `{"DefinitionId": "", "StringValue": ""}` for a blank CustomField object.
    if (definitionId === undefined || definitionId === null || definitionId === '') {
      if (entry.StringValue || entry.NumberValue !== undefined || entry.DateValue) {
        throw fault.requiredParam('CustomField.DefinitionId');
      }
      continue;
    }
    const definition = company.customFields.find((field) => field.legacyId === definitionId && field.active);
    if (!definition || !definition.entities.includes(entity as CustomFieldEntity)) {
      throw fault.invalidReference('CustomField.DefinitionId');
    }
    const value = checkedValue(definition, entry);
    if (value === undefined) values.delete(definition.legacyId);
    else {
      values.set(definition.legacyId, {
        DefinitionId: definition.legacyId,
        Name: definition.label,
        Type: valueType(definition),
        ...value,
      });
    }
  }
  return [...values.values()];
}

/** Entities whose custom fields the classic API shows without `include=enhancedAllCustomFields`. */
const classicEntities = new Set(['Invoice', 'Estimate', 'SalesReceipt', 'CreditMemo', 'RefundReceipt']);

/**
 * What a read shows of a record's custom fields. With `include=enhancedAllCustomFields`, all of them, typed.
 * Without it, as the classic API: on sales forms "only the first three String custom fields", and none on names.
 */
export function visibleCustomFields(
  company: Company,
  entity: string,
  values: Draft[],
  enhanced: boolean,
): Draft[] | undefined {
  if (enhanced) return values;
  if (!classicEntities.has(entity)) return undefined;
  const firstThree = company.customFields
    .filter(
      (field) =>
        field.active && field.type === 'string' && field.entities.includes(entity as CustomFieldEntity),
    )
    .slice(0, 3)
    .map((field) => field.legacyId);
  return values.filter((value) => firstThree.includes(String(value.DefinitionId)));
}
