import { percentile } from '../../../src/health/percentiles';

describe('percentile (nearest rank)', () => {
  it('picks the sample at the rank, whatever the order given', () => {
    const samples = [900, 100, 300, 200, 500, 400, 700, 600, 800, 1000];
    expect(percentile(samples, 50)).toBe(500);
    expect(percentile(samples, 95)).toBe(1000);
    expect(percentile(samples, 0)).toBe(100);
    expect(percentile([42], 99)).toBe(42);
  });

  it('has no answer without samples, and refuses a percentile outside 0–100', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});
