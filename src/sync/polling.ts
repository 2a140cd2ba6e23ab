/**
 * How often a connection polls CDC. Intuit's webhooks are batched and often minutes late, so the poll decides
 * freshness more often than the docs admit: a company that changed lately (on either side) polls at the active
 * interval, an idle one at the idle interval. Pure, so the connection workflow and the settings share it.
 */

/** Ten seconds: 6 of the realm's 500 requests a minute, and far under Intuit's webhook delays. */
export const defaultActivePollIntervalSeconds = 10;
/** A company with a change this recent is active. */
export const activeWindowMs = 5 * 60_000;

function isActive(lastActiveAt: number | undefined, now: number): boolean {
  return lastActiveAt !== undefined && now - lastActiveAt < activeWindowMs;
}

export function pollEverySeconds(
  settings: { pollIntervalSeconds: number; activePollIntervalSeconds: number },
  lastActiveAt: number | undefined,
  now: number,
): number {
  return isActive(lastActiveAt, now)
    ? Math.min(settings.activePollIntervalSeconds, settings.pollIntervalSeconds)
    : settings.pollIntervalSeconds;
}

/**
 * Idle companies are polled by one sweep (src/activities/idle-poll-sweep.ts) instead of each by its own workflow:
 * an idle poll that finds nothing then costs one CDC request and one database write, not two workflow tasks and an
 * activity. The sweep runs every `tickSeconds`, so it takes the idle intervals of at least `fromSeconds` (shorter
 * ones stay with the workflow's own timer, which is more punctual); a workflow still polls by itself every
 * `fallbackFactor` idle intervals, in case no sweep runs.
 */
export const idlePollSweep = { tickSeconds: 10, fromSeconds: 30, fallbackFactor: 5 } as const;

/** Whether a company's idle polls are the sweep's: it is idle now, at an interval the sweep serves. */
export function idlePollsSwept(
  settings: { pollIntervalSeconds: number; activePollIntervalSeconds: number },
  lastActiveAt: number | undefined,
  now: number,
): boolean {
  return settings.pollIntervalSeconds >= idlePollSweep.fromSeconds && !isActive(lastActiveAt, now);
}
