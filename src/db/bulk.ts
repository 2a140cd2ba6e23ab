/**
 * The positions of an unordered `insertMany` that failed only because their `_id` was taken; null when anything
 * else went wrong (the caller rethrows). Every other document of the batch was inserted.
 */
export function duplicateKeyIndices(error: unknown): Set<number> | null {
  if ((error as { code?: unknown }).code !== 11000) return null;
  const raw = (
    error as { writeErrors?: { index: number; code?: number } | { index: number; code?: number }[] }
  ).writeErrors;
  const writeErrors = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (writeErrors.some((writeError) => writeError.code !== undefined && writeError.code !== 11000))
    return null;
  return new Set(writeErrors.map((writeError) => writeError.index));
}
