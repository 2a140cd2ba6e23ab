/** Intuit's retry intervals after a failed delivery; the last one then repeats forever. */
export const RETRY_INTERVALS_MS = [
  0,
  10_000,
  20_000,
  30_000,
  5 * 60_000,
  20 * 60_000,
  2 * 3_600_000,
  4 * 3_600_000,
  6 * 3_600_000,
] as const;

/** Unscaled wait before the next attempt, given how many attempts have failed so far (1 or more). */
export function retryDelayMs(failures: number): number {
  const index = Math.min(Math.max(failures, 1), RETRY_INTERVALS_MS.length) - 1;
  return RETRY_INTERVALS_MS[index] ?? 0;
}
