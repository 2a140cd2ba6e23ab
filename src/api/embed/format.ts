import { markup, type SafeHtml } from '../../html/markup';

/** How the panel writes amounts, dates and times: en-US, in each amount's own currency, dates as calendar days. */

const locale = 'en-US';
const moneyFormats = new Map<string, Intl.NumberFormat | null>();

/** An amount in its currency (`€1,200.00`); a code Intl does not know still shows the amount, with the code. */
export function formatMoney(amount: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      format = null;
    }
    moneyFormats.set(currency, format);
  }
  const text = format ? format.format(amount) : `${amount.toFixed(2)} ${currency}`;
  // A true minus sign: screen readers say "minus", and it lines up with the digits.
  return text.replace(/^-/, '\u2212');
}

// Dates are calendar days in the company's zone: format them as such, never shifted by a time zone.
const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });

export function formatDay(iso: string): string {
  const day = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(day.getTime()) ? iso : dateFormat.format(day);
}

export function date(iso: string): SafeHtml {
  return markup`<time datetime="${iso}">${formatDay(iso)}</time>`;
}

const relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
const instantFormat = new Intl.DateTimeFormat(locale, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** "3 minutes ago": the panel has no script to turn an instant into the reader's zone, and a span needs none. */
export function relativeTime(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const distance = Math.abs(seconds);
  if (distance < 45) return 'just now';
  if (distance < 3600) return relativeFormat.format(Math.round(seconds / 60), 'minute');
  if (distance < 86_400) return relativeFormat.format(Math.round(seconds / 3600), 'hour');
  return relativeFormat.format(Math.round(seconds / 86_400), 'day');
}

/** An instant as a span of time from now, with the exact time (UTC) for whoever points at it. */
export function ago(at: Date, now: Date): SafeHtml {
  return markup`<time datetime="${at.toISOString()}" title="${instantFormat.format(at)}">${relativeTime(at, now)}</time>`;
}

const percentFormat = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });

export const formatPercent = (ratio: number): string => percentFormat.format(ratio);

/** A visible dash that screen readers announce as "none". */
export const none = markup`<span aria-hidden="true">—</span> <span class="sr-only">none</span>`;
