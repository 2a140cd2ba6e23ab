import { formatQboDate } from './zoned-time';

/**
 * A QuickBooks company's time zone: the calendar its "today" is judged on (overdue invoices, expired estimates,
 * follow-up days and quiet hours). QBO exposes no time zone, so it is inferred from the company's address when the
 * company is connected (`infer-company-zone.ts`); `basis` says from what.
 */
export const timeZoneBases = ['city', 'region', 'country', 'default'] as const;
export type TimeZoneBasis = (typeof timeZoneBases)[number];

export interface CompanyTimeZone {
  /** An IANA zone, such as `America/New_York`. */
  name: string;
  /**
   * `city`: the zone of the company address's city; `region`: of its state or province (the zone most of its people
   * live in); `country`: of its country, likewise; `default`: nothing to go on, so Pacific time, QBO's home.
   */
  basis: TimeZoneBasis;
}

export const defaultCompanyTimeZone: CompanyTimeZone = { name: 'America/Los_Angeles', basis: 'default' };

/** The zone a connection judges dates in: the one recorded at connect, else the default. */
export function companyTimeZone(connection: { timeZone?: CompanyTimeZone | null }): CompanyTimeZone {
  return connection.timeZone?.name ? connection.timeZone : defaultCompanyTimeZone;
}

/** The company's calendar date (`yyyy-MM-dd`) at an instant: what "today" means for its books. */
export function companyToday(at: Date, connection: { timeZone?: CompanyTimeZone | null }): string {
  return formatQboDate(at, companyTimeZone(connection).name);
}
