import { compileFieldReader } from './field-path';
import { KIND_RANK, typedValue } from './typed-value';
import type { OrderBy } from './types';

type PositionComparator = (a: number, b: number) => number;

/**
 * Sorts by each ORDERBY field in turn. Missing values come first in ASC (last in DESC), unlike kinds group by kind,
 * and ties keep input order. Returns a new array of the same record objects.
 */
export function sortRecords<T extends object>(records: T[], orderBy: OrderBy[], timeZone: string): T[] {
  const columns = orderBy.map((order) => compileSortColumn(records, order, timeZone));
  const positions = Array.from({ length: records.length }, (_, position) => position);
  positions.sort((a, b) => {
    for (const compare of columns) {
      const comparison = compare(a, b);
      if (comparison !== 0) return comparison;
    }
    return a - b;
  });
  const sorted: T[] = [];
  for (const position of positions) {
    const record = records[position];
    if (record !== undefined) sorted.push(record);
  }
  return sorted;
}

const MISSING_RANK = -1;

/** Each record's key is read and classified once, into flat arrays, so comparisons do no parsing or allocation. */
function compileSortColumn<T extends object>(
  records: T[],
  order: OrderBy,
  timeZone: string,
): PositionComparator {
  const read = compileFieldReader(order.field);
  const ranks = new Int8Array(records.length);
  const numbers = new Float64Array(records.length);
  const texts: string[] = [];
  records.forEach((record, position) => {
    const value = read(record);
    const typed = value === undefined ? undefined : typedValue(value, timeZone);
    ranks[position] = typed ? KIND_RANK[typed.kind] : MISSING_RANK;
    numbers[position] = typed?.number ?? 0;
    texts.push(typed?.kind === 'text' ? typed.text : '');
  });
  const sign = order.direction === 'DESC' ? -1 : 1;
  return (a, b) => {
    const rankA = ranks[a] ?? MISSING_RANK;
    const rankB = ranks[b] ?? MISSING_RANK;
    if (rankA !== rankB) return (rankA - rankB) * sign;
    if (rankA === MISSING_RANK) return 0;
    if (rankA !== KIND_RANK.text) return ((numbers[a] ?? 0) - (numbers[b] ?? 0)) * sign;
    const textA = texts[a] ?? '';
    const textB = texts[b] ?? '';
    return textA === textB ? 0 : (textA < textB ? -1 : 1) * sign;
  };
}
