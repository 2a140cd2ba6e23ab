import { validationError } from './errors';
import { compileFieldReader } from './field-path';
import { compareForFilter, sameValue, typedValue, valueKey, type TypedValue } from './typed-value';
import type { Condition, QueryValue } from './types';

export type RecordPredicate = (record: object) => boolean;

export interface PredicateContext {
  timeZone: string;
  /** `yyyy-MM-dd`, what CURRENT_DATE stands for. */
  today: string;
}

/** Everything about the query side is worked out here, once, so the per-record work is a read and a compare. */
export function compileCondition(condition: Condition, context: PredicateContext): RecordPredicate {
  const read = compileFieldReader(condition.field);
  const typed = (value: QueryValue): TypedValue => typedValue(value, context.timeZone);
  const recordValue = (record: object): TypedValue | undefined => {
    const value = read(record);
    return value === undefined ? undefined : typed(value);
  };

  if (condition.operator === 'IN') {
    const wanted = new Set(queryValues(condition).map((value) => valueKey(typed(value))));
    return (record) => {
      const value = recordValue(record);
      return value !== undefined && wanted.has(valueKey(value));
    };
  }

  const target = singleQueryValue(condition, context);
  if (condition.operator === 'LIKE') {
    const pattern = likePattern(String(target));
    return (record) => {
      const value = read(record);
      return value !== undefined && pattern.test(String(value));
    };
  }

  const expected = typed(target);
  if (condition.operator === '=') {
    return (record) => {
      const value = recordValue(record);
      return value !== undefined && sameValue(value, expected);
    };
  }
  const accepts = ORDERING_TESTS[condition.operator];
  return (record) => {
    const value = recordValue(record);
    return value !== undefined && accepts(compareForFilter(value, expected));
  };
}

const ORDERING_TESTS: Record<'<' | '>' | '<=' | '>=', (comparison: number) => boolean> = {
  '<': (comparison) => comparison < 0,
  '>': (comparison) => comparison > 0,
  '<=': (comparison) => comparison <= 0,
  '>=': (comparison) => comparison >= 0,
};

function queryValues(condition: Condition): QueryValue[] {
  const { value } = condition;
  if (Array.isArray(value)) return value;
  if (typeof value === 'object') throw validationError(`CURRENT_DATE is not supported in an IN list`);
  return [value];
}

function singleQueryValue(condition: Condition, context: PredicateContext): QueryValue {
  const { value } = condition;
  if (Array.isArray(value)) {
    throw validationError(`operator ${condition.operator} on ${condition.field} takes one value, not a list`);
  }
  return typeof value === 'object' ? context.today : value;
}

/** QBO's LIKE knows only `%`; every other character, `_` included, is literal. Case-insensitive like `=`. */
function likePattern(pattern: string): RegExp {
  const source = pattern
    .split('%')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'is');
}
