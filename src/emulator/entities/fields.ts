import type { Company, QboRecord } from '../company';
import { fault } from '../faults';
import type { Input } from './types';

export interface Ref {
  value: string;
  name?: string;
}

/** Amounts in QBO have two decimals; float sums must not leak 0.30000000000000004 into a response. */
export function money(amount: number): number {
  return Math.round(amount * 100) / 100;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalString(fields: Input, element: string, max: number): string | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fault.invalidValue(element, 'Expected a string.');
  if (value.length > max) throw fault.stringLength(element, max);
  return value;
}

export function optionalNumber(fields: Input, element: string): number | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number))
    throw fault.invalidValue(element, 'Expected a number.');
  return number;
}

/** A boolean; like Intuit's JSON reader, the strings "true" and "false" count too (and XML bodies only have text). */
export function optionalBoolean(fields: Input, element: string): boolean | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  if (typeof value !== 'boolean') throw fault.invalidValue(element, 'Expected true or false.');
  return value;
}

/** One of `allowed`; an empty string is none (python-quickbooks sends `""` for enums a client left unset). */
export function optionalEnum<T extends string>(
  fields: Input,
  element: string,
  allowed: readonly T[],
): T | undefined {
  const value = optionalString(fields, element, 100);
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) throw fault.invalidEnumeration(element, value);
  return value as T;
}

/** `yyyy-MM-dd`, as QBO's Date fields. An empty string is no date: python-quickbooks sends `""` for unset dates. */
export function optionalDate(fields: Input, element: string): string | undefined {
  const value = optionalString(fields, element, 30);
  if (value === undefined || value === '') return undefined;
  const date = value.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
    throw fault.invalidValue(element, `Invalid date: ${value}`);
  }
  return date;
}

export function optionalRef(fields: Input, element: string): Ref | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || (typeof value.value !== 'string' && typeof value.value !== 'number')) {
    throw fault.invalidValue(element, 'Expected a reference {"value": "<Id>"}.');
  }
  return { value: String(value.value) };
}

/** Resolves a reference to a record, failing as QBO does: unknown Id → 2500, inactive name → 610. */
export function resolveRef(
  company: Company,
  entity: string,
  ref: Ref,
  element: string,
  mustBeActive = true,
): QboRecord {
  const record = company.get(entity, ref.value);
  if (!record) throw fault.invalidReference(element);
  if (mustBeActive && record.Active === false) throw fault.objectNotFound(undefined, element);
  return record;
}

/** An optional reference to a record of `entity`, resolved as QBO resolves it and completed with the record's name. */
export function optionalListRef(
  company: Company,
  fields: Input,
  element: string,
  entity: string,
  nameField = 'Name',
): Ref | undefined {
  const ref = optionalRef(fields, element);
  return ref ? refTo(resolveRef(company, entity, ref, element), nameField) : undefined;
}

export function refTo(record: QboRecord, nameField: string): Ref {
  const name = record[nameField];
  return typeof name === 'string' ? { value: record.Id, name } : { value: record.Id };
}

/** `{ "Address": "…" }` with QBO's minimal check: an at sign and a dot. */
export function optionalEmail(fields: Input, element: string): { Address: string } | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fault.invalidValue(element, 'Expected {"Address": "…"}.');
  const address = optionalString(value, 'Address', 100);
  if (address === undefined || address === '') return undefined;
  if (!address.includes('@') || !address.includes('.')) throw fault.invalidEmail(`${element}.Address`);
  return { Address: address };
}

export function optionalPhone(fields: Input, element: string): { FreeFormNumber: string } | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fault.invalidValue(element, 'Expected {"FreeFormNumber": "…"}.');
  const number = optionalString(value, 'FreeFormNumber', 30);
  return number === undefined ? undefined : { FreeFormNumber: number };
}

export const addressFields = [
  'Line1',
  'Line2',
  'Line3',
  'Line4',
  'Line5',
  'City',
  'Country',
  'CountrySubDivisionCode',
  'PostalCode',
  'Lat',
  'Long',
];

/** A PhysicalAddress; QBO gives every stored address an Id of its own. */
export function optionalAddress(
  company: Company,
  fields: Input,
  element: string,
  previous: unknown,
): Record<string, string> | undefined {
  const value = fields[element];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fault.invalidValue(element, 'Expected a PhysicalAddress object.');
  const address: Record<string, string> = {};
  for (const field of addressFields) {
    const part = optionalString(value, field, field.startsWith('Line') ? 500 : 255);
    if (part !== undefined) address[field] = part;
  }
  const previousId = isObject(previous) && typeof previous.Id === 'string' ? previous.Id : undefined;
  address.Id = previousId ?? company.allocateId('PhysicalAddress');
  return address;
}

/** Drops undefined values so responses only carry fields that have values, as QBO's do. */
export function compact<T extends Record<string, unknown>>(record: T): T {
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return record;
}
