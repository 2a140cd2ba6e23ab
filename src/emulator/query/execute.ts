import { validationError } from './errors';
import { compileFieldReader } from './field-path';
import { sortRecords } from './order';
import { compileCondition, type RecordPredicate } from './predicate';
import { calendarDate } from './temporal';
import type { ExecuteOptions, ParsedQuery, QueryResult } from './types';

/**
 * Runs a parsed query over records in store (Id) order. One pass filters; only ORDERBY makes it hold every match,
 * and records are never copied.
 */
export function executeQuery<T extends object>(
  query: ParsedQuery,
  records: Iterable<T>,
  options: ExecuteOptions,
): QueryResult<T> {
  checkFieldsAreKnown(query, options.knownFields);
  const timeZone = options.timeZone ?? 'UTC';
  const context = { timeZone, today: calendarDate(options.now, timeZone) };
  const predicates = query.where.map((condition) => compileCondition(condition, context));
  const filtersOnActive = query.where.some((condition) => condition.field.toLowerCase() === 'active');
  if (options.activeByDefault && !filtersOnActive) predicates.push(activeOnly());
  const matches = (record: T): boolean => predicates.every((predicate) => predicate(record));

  const first = query.startPosition - 1;
  const end = first + query.maxResults;

  if (query.count || query.orderBy.length === 0) {
    // Streaming: count everything, keep only the page.
    const rows: T[] = [];
    let totalCount = 0;
    for (const record of records) {
      if (!matches(record)) continue;
      if (!query.count && totalCount >= first && totalCount < end) rows.push(record);
      totalCount += 1;
    }
    return { rows, totalCount };
  }

  const matching: T[] = [];
  for (const record of records) if (matches(record)) matching.push(record);
  return {
    rows: sortRecords(matching, query.orderBy, timeZone).slice(first, end),
    totalCount: matching.length,
  };
}

function checkFieldsAreKnown(query: ParsedQuery, knownFields: ExecuteOptions['knownFields']): void {
  if (!knownFields) return;
  for (const { field } of [...query.where, ...query.orderBy]) {
    if (!knownFields(field)) throw validationError(`property '${field}' is not queryable`);
  }
}

/** Name lists hide inactive (deleted) records; records without an Active flag stay visible. */
function activeOnly(): RecordPredicate {
  const readActive = compileFieldReader('Active');
  return (record) => readActive(record) !== false;
}
