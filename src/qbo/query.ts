/**
 * Building QBO query statements safely. QBO's query language quotes text in single quotes and escapes a quote or a
 * backslash inside it with a backslash: `'Adam\'s Candy Shop'` (facts §2; an unescaped quote is a 4000 parse
 * error, the classic customer-lookup bug). Interpolate every value through `qboQuery` and none of that can go wrong.
 */
import { QboUsageError } from './errors';

/** Escapes text for use between single quotes in a QBO query (without adding the quotes). */
export function escapeQueryString(value: string): string {
  return value.replace(/[\\']/g, (char) => `\\${char}`);
}

/** A property or entity name to splice in unquoted, e.g. `qboIdentifier('MetaData.LastUpdatedTime')`. */
export class QboIdentifier {
  constructor(readonly name: string) {
    if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/.test(name)) {
      throw new QboUsageError(`Not a QBO entity or property name: ${JSON.stringify(name)}`);
    }
  }
}

export function qboIdentifier(name: string): QboIdentifier {
  return new QboIdentifier(name);
}

export type QueryValue = string | number | bigint | boolean | Date | QboIdentifier | readonly QueryScalar[];
type QueryScalar = string | number | bigint | boolean | Date;

/**
 * Renders one interpolated value:
 * - text in single quotes, escaped. `%` is left alone: it is LIKE's only wildcard and QBO has no way to escape it,
 *   so a literal `%` in a search term matches anything there (filter the rows client-side if that matters);
 * - numbers and booleans bare; a Date as an ISO date-time in UTC, to the second, with an explicit `+00:00` offset
 *   (the form Intuit's own examples use; QBO's times have no milliseconds);
 * - an array as `('a', 'b')` for IN; a QboIdentifier as the bare name.
 */
export function formatQueryValue(value: QueryValue): string {
  if (value instanceof QboIdentifier) return value.name;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new QboUsageError('An IN list in a QBO query needs at least one value.');
    return `(${(value as readonly QueryScalar[]).map((item) => formatScalar(item)).join(', ')})`;
  }
  return formatScalar(value as QueryScalar);
}

function formatScalar(value: QueryScalar): string {
  switch (typeof value) {
    case 'string':
      return `'${escapeQueryString(value)}'`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number': {
      const text = String(value);
      if (!Number.isFinite(value) || /e/i.test(text)) {
        throw new QboUsageError(`A QBO query cannot express the number ${text}.`);
      }
      return text;
    }
    default:
      if (value instanceof Date) return `'${formatQueryDate(value)}'`;
      throw new QboUsageError(`Cannot put a ${typeof value} into a QBO query.`);
  }
}

export function formatQueryDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new QboUsageError('Cannot put an invalid Date into a QBO query.');
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

/**
 * Tagged template for QBO queries: `qboQuery\`select * from Customer where DisplayName = ${name}\``.
 * Every interpolation is a value (quoted and escaped), never raw query text; use `qboIdentifier` for names.
 */
export function qboQuery(strings: TemplateStringsArray, ...values: QueryValue[]): string {
  let statement = strings[0] ?? '';
  values.forEach((value, index) => {
    statement += formatQueryValue(value) + (strings[index + 1] ?? '');
  });
  return statement;
}

/**
 * The entity a statement reads (`select … from Customer …` → `Customer`), or undefined if it does not parse as
 * a select. FROM is the first keyword after the select list, which cannot contain quoted text.
 */
export function entityOfStatement(statement: string): string | undefined {
  return /^\s*select\s+[\s\S]*?\bfrom\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(statement)?.[1];
}

/** Fields a `select *` leaves out, which a query must name to get: an Item's Sku (facts; python-quickbooks). */
const omittedByStar: Readonly<Record<string, readonly string[]>> = { item: ['Sku'] };

/** `select * from <Entity>`, plus the fields `*` leaves out, so a query reads whole records. */
export function selectEverything(entity: string): string {
  const extra = (omittedByStar[entity.toLowerCase()] ?? []).map((field) => `, ${qboIdentifier(field).name}`);
  return `select *${extra.join('')} from ${qboIdentifier(entity).name}`;
}
