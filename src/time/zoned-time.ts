/**
 * Instants in a company's time zone, as QBO writes them. QBO stamps MetaData in the company's local offset and
 * judges dates ("today", "overdue") on the company's calendar; both the emulator and the sync engine need that.
 */
// Building an Intl.DateTimeFormat is expensive; seeding stamps tens of thousands of records.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

// Offsets only change on quarter-hour boundaries (DST rules), so one lookup serves every stamp within 15 minutes.
const quarterHourMs = 15 * 60_000;
const offsetCache = new Map<string, number>();

/** Minutes east of UTC that `timeZone` is at `date` (e.g. -420 for Pacific daylight time). */
export function offsetMinutes(date: Date, timeZone: string): number {
  const key = `${timeZone}@${Math.floor(date.getTime() / quarterHourMs)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  if (offsetCache.size > 10_000) offsetCache.clear();
  const offset = computeOffsetMinutes(date, timeZone);
  offsetCache.set(key, offset);
  return offset;
}

function computeOffsetMinutes(date: Date, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(date);
  const get = (type: string): number => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
}

/**
 * Formats an instant the way QBO does, in the company's local offset: `2015-07-23T11:07:55-07:00` for MetaData
 * timestamps, and with milliseconds (`2015-07-23T11:07:55.772-07:00`) for a response's top-level `time`.
 */
export function formatQboDateTime(date: Date, timeZone: string, options: { millis?: boolean } = {}): string {
  const offset = offsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60_000).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const body = options.millis ? local.slice(0, 23) : local.slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${body}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The company-local calendar date (`yyyy-MM-dd`) of an instant: QBO's TxnDate, DueDate and "today". */
export function formatQboDate(date: Date, timeZone: string): string {
  return formatQboDateTime(date, timeZone).slice(0, 10);
}

/** Whether this runtime knows an IANA zone by that name. */
export function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
