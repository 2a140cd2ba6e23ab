/** MongoDB's duplicate-key error: a unique index (or `_id`) refused the write. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/**
 * The positions in an unordered bulk write that failed only because their key was taken; null when anything else
 * went wrong (the caller rethrows). Every other operation of the batch was applied.
 */
export function duplicateKeyIndices(error: unknown): Set<number> | null {
  if (!isDuplicateKey(error)) return null;
  const raw = (
    error as { writeErrors?: { index: number; code?: number } | { index: number; code?: number }[] }
  ).writeErrors;
  const writeErrors = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (writeErrors.some((writeError) => writeError.code !== undefined && writeError.code !== 11000))
    return null;
  return new Set(writeErrors.map((writeError) => writeError.index));
}
