import { tidyValue, type SyncFields } from './fields';

/**
 * Linking existing CRM contacts to existing QBO customers at setup, so nothing is created twice. Email first, then
 * the display or company name. A key shared by two or more candidates is never guessed at: it is reported as
 * ambiguous and left for a person to link.
 */

export type MatchFields = Pick<SyncFields, 'email' | 'displayName' | 'companyName'>;
export type MatchCandidate = MatchFields & { id: string };

export type MatchResult =
  | { kind: 'matched'; id: string; by: 'email' | 'name' }
  | { kind: 'ambiguous'; by: 'email' | 'name'; ids: string[] }
  | { kind: 'none' };

export function emailMatchKey(email: string | null | undefined): string | null {
  const tidy = tidyValue(email);
  return tidy === null ? null : tidy.toLowerCase();
}

/** Legal-form words that differ between two records of the same business ("Acme Inc." vs "ACME"). */
const legalSuffixes = new Set([
  'inc',
  'incorporated',
  'llc',
  'llp',
  'lp',
  'ltd',
  'limited',
  'gmbh',
  'corp',
  'corporation',
  'co',
  'company',
  'plc',
  'pty',
  'pllc',
  'ag',
  'sa',
  'sarl',
  'bv',
  'nv',
  'oy',
  'ab',
]);

/**
 * A business or person name folded for comparison: case and accents folded, `&` read as "and", apostrophes and
 * dots dropped (Bill's = Bills, L.L.C. = LLC), other punctuation and whitespace collapsed, and trailing legal-form
 * words removed. Only trailing ones: "Co-op Company Store" keeps its words, and a name made only of such words
 * ("Company") is kept whole rather than emptied.
 */
export function nameMatchKey(name: string | null | undefined): string | null {
  const tidy = tidyValue(name);
  if (tidy === null) return null;
  const folded = tidy
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’`´.]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  const words = folded === '' ? [] : folded.split(' ');
  while (words.length > 1 && legalSuffixes.has(words.at(-1) ?? '')) words.pop();
  const key = words.join(' ');
  return key === '' ? null : key;
}

export interface MatchKeys {
  email: string | null;
  names: string[];
}

/** The keys a record can be found by: its email, and its display and company names (deduplicated). */
export function matchKeys(fields: MatchFields): MatchKeys {
  const names = [nameMatchKey(fields.displayName), nameMatchKey(fields.companyName)].filter(
    (key): key is string => key !== null,
  );
  return { email: emailMatchKey(fields.email), names: [...new Set(names)] };
}

/**
 * Indexes the candidates once and returns a matcher for many contacts (setup matches every CRM contact against
 * every QBO customer). A candidate is found by name through either its display or its company name.
 */
export function createMatcher(candidates: readonly MatchCandidate[]): (contact: MatchFields) => MatchResult {
  const byEmail = new Map<string, Set<string>>();
  const byName = new Map<string, Set<string>>();
  const add = (index: Map<string, Set<string>>, key: string, id: string): void => {
    const ids = index.get(key) ?? new Set<string>();
    ids.add(id);
    index.set(key, ids);
  };
  for (const candidate of candidates) {
    const keys = matchKeys(candidate);
    if (keys.email !== null) add(byEmail, keys.email, candidate.id);
    for (const name of keys.names) add(byName, name, candidate.id);
  }

  const decide = (ids: Set<string>, by: 'email' | 'name'): MatchResult => {
    const sorted = [...ids].sort();
    const [only] = sorted;
    return sorted.length === 1 && only !== undefined
      ? { kind: 'matched', id: only, by }
      : { kind: 'ambiguous', by, ids: sorted };
  };

  return (contact) => {
    const keys = matchKeys(contact);
    const emailIds = keys.email === null ? undefined : byEmail.get(keys.email);
    if (emailIds) return decide(emailIds, 'email');
    // The display name is the stronger signal, so it is tried before the company name.
    for (const name of keys.names) {
      const nameIds = byName.get(name);
      if (nameIds) return decide(nameIds, 'name');
    }
    return { kind: 'none' };
  };
}

export function findMatch(contact: MatchFields, candidates: readonly MatchCandidate[]): MatchResult {
  return createMatcher(candidates)(contact);
}
