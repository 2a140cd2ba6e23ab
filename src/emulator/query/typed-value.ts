import { instantOf } from './temporal';
import type { QueryValue } from './types';

/**
 * A value ready to compare. QBO sends numbers as JSON numbers but Ids and query values as strings, and dates as
 * strings in several shapes, so each side is classified by its contents rather than its JSON type.
 */
export interface TypedValue {
  kind: 'boolean' | 'number' | 'instant' | 'text';
  /** 0/1, the number, or epoch ms; NaN for text. */
  number: number;
  /** Lower case: text compares case-insensitively, and mixed kinds compare as text. */
  text: string;
}

/** No leading zeros, so `'007'` stays text and keeps matching only `'007'`. */
const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

export function typedValue(value: QueryValue, timeZone: string): TypedValue {
  if (typeof value === 'number') return { kind: 'number', number: value, text: String(value) };
  if (typeof value === 'boolean') return { kind: 'boolean', number: value ? 1 : 0, text: String(value) };
  const text = value.toLowerCase();
  if (text === 'true' || text === 'false') return { kind: 'boolean', number: text === 'true' ? 1 : 0, text };
  if (CANONICAL_NUMBER.test(value)) return { kind: 'number', number: Number(value), text };
  const instant = instantOf(value, timeZone);
  if (instant !== undefined) return { kind: 'instant', number: instant, text };
  return { kind: 'text', number: Number.NaN, text };
}

export function sameValue(a: TypedValue, b: TypedValue): boolean {
  return a.kind === b.kind && (a.kind === 'text' ? a.text === b.text : a.number === b.number);
}

/** For `=`-style set membership (IN): equal keys exactly when `sameValue`. */
export function valueKey(value: TypedValue): string {
  return value.kind === 'text' ? `text:${value.text}` : `${value.kind}:${value.number}`;
}

/** WHERE ordering: like kinds by value, unlike kinds (say a DocNumber `A-17` against `'1000'`) as text. */
export function compareForFilter(a: TypedValue, b: TypedValue): number {
  if (a.kind === b.kind && a.kind !== 'text') return compareNumbers(a.number, b.number);
  return compareText(a.text, b.text);
}

/** How ORDERBY groups unlike kinds, since it needs a total order. */
export const KIND_RANK: Record<TypedValue['kind'], number> = { boolean: 0, number: 1, instant: 2, text: 3 };

const compareNumbers = (a: number, b: number): number => a - b;
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
