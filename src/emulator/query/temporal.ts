/**
 * Dates and date-times in query values and records, turned into instants (epoch ms) so that
 * `'2015-12-23T10:00:00-07:00'` and `"2015-12-23T12:00:00-05:00"` are equal. A bare date means midnight, and an
 * offset-less time means wall-clock time, in the company's time zone (UTC unless the caller says otherwise).
 */
import { formatQboDate, offsetMinutes } from '../../time/zoned-time';

const TEMPORAL =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Records repeat the same dates and timestamps across requests, so parses are kept per zone; cleared when full. */
const MAX_CACHED_INSTANTS = 100_000;
const cachedInstantsByZone = new Map<string, Map<string, number | null>>();

/** The instant `text` names, or undefined when it is not an ISO date or date-time. */
export function instantOf(text: string, timeZone: string): number | undefined {
  // Cheap shape check first: most strings compared here are names, not dates.
  if (text.length < 10 || text.charCodeAt(4) !== 45 /* - */) return undefined;
  let cache = cachedInstantsByZone.get(timeZone);
  if (!cache) {
    cache = new Map();
    cachedInstantsByZone.set(timeZone, cache);
  }
  let instant = cache.get(text);
  if (instant === undefined) {
    instant = parseInstant(text, timeZone) ?? null;
    if (cache.size >= MAX_CACHED_INSTANTS) cache.clear();
    cache.set(text, instant);
  }
  return instant ?? undefined;
}

function parseInstant(text: string, timeZone: string): number | undefined {
  const match = TEMPORAL.exec(text);
  if (!match) return undefined;
  const field = (group: number): number => Number(match[group] ?? 0);
  const [y, mo, d, h, mi, s] = [field(1), field(2), field(3), field(4), field(5), field(6)] as const;
  const fraction = match[7] ?? '';
  const offset = match[8];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) return undefined;
  const wallClock = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)));
  if (offset === undefined) return wallClockToInstant(wallClock, timeZone);
  if (offset === 'Z') return wallClock;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return wallClock - sign * minutes * 60_000;
}

/** `yyyy-MM-dd` of `now` in `timeZone`: the value of CURRENT_DATE. */
export function calendarDate(now: Date, timeZone: string): string {
  return formatQboDate(now, timeZone);
}

function wallClockToInstant(wallClock: number, timeZone: string): number {
  if (timeZone === 'UTC') return wallClock;
  // Two passes settle on the right offset except inside a DST gap, where any nearby instant will do.
  const guess = wallClock - offsetMs(wallClock, timeZone);
  return wallClock - offsetMs(guess, timeZone);
}

function offsetMs(instant: number, timeZone: string): number {
  return offsetMinutes(new Date(instant), timeZone) * 60_000;
}
