import { ManualClock } from '../../../src/emulator/clock';
import { formatQboDate, formatQboDateTime, offsetMinutes } from '../../../src/time/zoned-time';

describe('QBO timestamps in the company time zone', () => {
  it('formats MetaData times without and response times with milliseconds', () => {
    const instant = new Date('2015-07-23T18:07:55.772Z');
    expect(formatQboDateTime(instant, 'America/Los_Angeles')).toBe('2015-07-23T11:07:55-07:00');
    expect(formatQboDateTime(instant, 'America/Los_Angeles', { millis: true })).toBe(
      '2015-07-23T11:07:55.772-07:00',
    );
    expect(formatQboDateTime(instant, 'Asia/Kolkata')).toBe('2015-07-23T23:37:55+05:30');
  });

  it('follows daylight saving time on both sides of the switch', () => {
    // US DST began 2026-03-08 at 02:00 local (10:00 UTC).
    expect(offsetMinutes(new Date('2026-03-08T09:59:59Z'), 'America/Los_Angeles')).toBe(-480);
    expect(offsetMinutes(new Date('2026-03-08T10:00:00Z'), 'America/Los_Angeles')).toBe(-420);
    expect(formatQboDateTime(new Date('2026-03-08T09:59:59Z'), 'America/Los_Angeles')).toBe(
      '2026-03-08T01:59:59-08:00',
    );
    expect(formatQboDateTime(new Date('2026-03-08T10:00:00Z'), 'America/Los_Angeles')).toBe(
      '2026-03-08T03:00:00-07:00',
    );
  });

  it('takes "today" as the local calendar date', () => {
    expect(formatQboDate(new Date('2026-01-15T03:00:00Z'), 'America/Los_Angeles')).toBe('2026-01-14');
    expect(formatQboDate(new Date('2026-01-15T03:00:00Z'), 'UTC')).toBe('2026-01-15');
  });

  it('moves a manual clock only when told', () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    clock.advance(90_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:01:30.000Z');
    clock.set('2026-02-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});
