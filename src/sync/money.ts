/**
 * Money as integer cents. Sums of QBO amounts in floating point drift (0.1 + 0.2 = 0.30000000000000004), so
 * every total is computed in cents and converted back once.
 */

/** Rounds half away from zero, after removing the float noise of a prior multiplication (1.005 * 100). */
export function toCents(amount: number): number {
  const scaled = Number((Math.abs(amount) * 100).toPrecision(15));
  const cents = Math.round(scaled);
  // `|| 0` keeps -0 out of the results (Object.is(-0, 0) is false, and JSON would still say 0).
  return amount < 0 ? -cents || 0 : cents;
}

export function fromCents(cents: number): number {
  return cents / 100;
}

/** An amount rounded to cents. */
export function roundMoney(amount: number): number {
  return fromCents(toCents(amount));
}

export function sumCents(amounts: Iterable<number>): number {
  let total = 0;
  for (const amount of amounts) total += toCents(amount);
  return total;
}
