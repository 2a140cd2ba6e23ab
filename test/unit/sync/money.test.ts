import { fromCents, roundMoney, sumCents, toCents } from '../../../src/sync/money';

describe('money in cents', () => {
  const rounding: [number, number][] = [
    [0.1 + 0.2, 30],
    [1.005, 101], // 1.005 * 100 is 100.49999999999999 in floating point
    [1.255, 126],
    [10.815, 1082],
    [-1.005, -101], // half away from zero, not towards +∞
    [-0.004, 0],
    [362.07, 36207],
    [0, 0],
  ];
  it.each(rounding)('toCents(%d) = %d', (amount, cents) => {
    expect(toCents(amount)).toBe(cents);
  });

  it('rounds amounts to cents and sums without drift', () => {
    expect(roundMoney(1.005)).toBe(1.01);
    expect(roundMoney(108.160815)).toBe(108.16);
    expect(fromCents(sumCents([0.1, 0.2]))).toBe(0.3);
    expect(fromCents(sumCents(Array.from({ length: 10 }, () => 0.1)))).toBe(1);
    expect(0.1 + 0.2).not.toBe(0.3); // the drift being avoided
  });
});
