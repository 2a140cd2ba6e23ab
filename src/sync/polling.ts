/**
 * How often a connection polls CDC. Intuit's webhooks are batched and often minutes late, so the poll decides
 * freshness more often than the docs admit: a company that changed lately (on either side) polls at the active
 * interval, an idle one at the idle interval. Pure, so the connection workflow and the settings share it.
 */

/** Ten seconds: 6 of the realm's 500 requests a minute, and far under Intuit's webhook delays. */
export const defaultActivePollIntervalSeconds = 10;
/** A company with a change this recent is active. */
export const activeWindowMs = 5 * 60_000;

export function pollEverySeconds(
  settings: { pollIntervalSeconds: number; activePollIntervalSeconds: number },
  lastActiveAt: number | undefined,
  now: number,
): number {
  const active = lastActiveAt !== undefined && now - lastActiveAt < activeWindowMs;
  return active
    ? Math.min(settings.activePollIntervalSeconds, settings.pollIntervalSeconds)
    : settings.pollIntervalSeconds;
}
