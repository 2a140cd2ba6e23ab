import type { QueryValue } from './types';

export type FieldReader = (record: object) => QueryValue | undefined;

interface PathSegment {
  lowerCase: string;
  /** The key as records spell it, learnt from the first record that has it: records of one entity share a shape. */
  spelling: string;
}

/**
 * Compiles a dotted, case-insensitive property path (`metadata.lastupdatedtime`) into a reader that yields the
 * comparable scalar there, or undefined when the record has none.
 */
export function compileFieldReader(path: string): FieldReader {
  const segments: PathSegment[] = path
    .split('.')
    .map((name) => ({ lowerCase: name.toLowerCase(), spelling: name }));
  return (record) => {
    let current: unknown = record;
    for (const segment of segments) {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
      current = readKey(current as Record<string, unknown>, segment);
    }
    return scalarOf(current);
  };
}

function readKey(container: Record<string, unknown>, segment: PathSegment): unknown {
  if (Object.hasOwn(container, segment.spelling)) return container[segment.spelling];
  const length = segment.lowerCase.length;
  for (const key of Object.keys(container)) {
    if (key.length === length && key.toLowerCase() === segment.lowerCase) {
      segment.spelling = key;
      return container[key];
    }
  }
  return undefined;
}

/** The keys that stand for a whole object: a reference's `value`, an email's `Address`, a phone's number. */
const SCALAR_KEYS = ['value', 'Address', 'FreeFormNumber'] as const;

function scalarOf(value: unknown): QueryValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const object = value as Record<string, unknown>;
  for (const key of SCALAR_KEYS) {
    const inner = object[key];
    if (typeof inner === 'string' || typeof inner === 'boolean' || typeof inner === 'number') return inner;
  }
  return undefined;
}
