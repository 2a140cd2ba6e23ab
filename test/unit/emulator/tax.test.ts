import { computeTax, prorateTax, type SalesRate } from '../../../src/emulator/entities/tax';

const gst: SalesRate = { id: '1', name: 'GST', percent: 5 };
const pst: SalesRate = { id: '4', name: 'PST BC', percent: 7 };
const vat: SalesRate = { id: '2', name: '20.0% S', percent: 20 };
const zero: SalesRate = { id: '3', name: '0.0% Z', percent: 0 };

const base = { discount: 0, applyTaxAfterDiscount: false, inclusive: false };

describe('computeTax', () => {
  it('totals the tax by rate, with the net amount each rate taxes', () => {
    const result = computeTax({
      ...base,
      subtotal: 300,
      lines: [
        { amount: 100, rates: [gst, pst] },
        { amount: 200, rates: [gst] },
      ],
    });
    expect(result.taxLines).toEqual([
      {
        Amount: 15,
        DetailType: 'TaxLineDetail',
        TaxLineDetail: {
          TaxRateRef: { value: '1', name: 'GST' },
          PercentBased: true,
          TaxPercent: 5,
          NetAmountTaxable: 300,
        },
      },
      {
        Amount: 7,
        DetailType: 'TaxLineDetail',
        TaxLineDetail: {
          TaxRateRef: { value: '4', name: 'PST BC' },
          PercentBased: true,
          TaxPercent: 7,
          NetAmountTaxable: 100,
        },
      },
    ]);
    expect(result.totalTax).toBe(22);
  });

  it('keeps zero-rated lines as a tax line of 0, and taxes nothing without lines', () => {
    const result = computeTax({ ...base, subtotal: 50, lines: [{ amount: 50, rates: [zero] }] });
    expect(result.taxLines).toHaveLength(1);
    expect(result.taxLines[0]).toMatchObject({ Amount: 0, TaxLineDetail: { NetAmountTaxable: 50 } });
    expect(computeTax({ ...base, subtotal: 0, lines: [] })).toEqual({ taxLines: [], totalTax: 0 });
  });

  it('takes the tax out of tax-inclusive amounts', () => {
    const result = computeTax({
      ...base,
      inclusive: true,
      subtotal: 120,
      lines: [{ amount: 120, rates: [vat] }],
    });
    expect(result.taxLines[0]!.TaxLineDetail.NetAmountTaxable).toBe(100);
    expect(result.totalTax).toBe(20);
  });

  it('lowers every base in proportion to the discount only when tax follows the discount', () => {
    const lines = [
      { amount: 100, rates: [vat] },
      { amount: 300, rates: [vat] },
    ];
    expect(computeTax({ ...base, subtotal: 400, discount: 40, lines }).totalTax).toBe(80);
    const after = computeTax({ ...base, subtotal: 400, discount: 40, applyTaxAfterDiscount: true, lines });
    expect(after.taxLines[0]!.TaxLineDetail.NetAmountTaxable).toBe(360);
    expect(after.totalTax).toBe(72);
  });

  it('rounds each rate to cents', () => {
    const result = computeTax({ ...base, subtotal: 33.33, lines: [{ amount: 33.33, rates: [pst] }] });
    expect(result.totalTax).toBe(2.33);
  });
});

describe('prorateTax', () => {
  it('spreads a set amount over the rates by their weight, the last taking the rounding', () => {
    const computed = computeTax({
      ...base,
      subtotal: 100,
      lines: [
        {
          amount: 100,
          rates: [
            { id: 'a', name: 'State', percent: 6 },
            { id: 'b', name: 'City', percent: 2 },
          ],
        },
      ],
    });
    expect(computed.totalTax).toBe(8);
    const prorated = prorateTax(computed, 10);
    expect(prorated.totalTax).toBe(10);
    expect(prorated.taxLines.map((line) => line.Amount)).toEqual([7.5, 2.5]);
    const odd = prorateTax(computed, 1);
    expect(odd.taxLines.map((line) => line.Amount)).toEqual([0.75, 0.25]);
    expect(
      prorateTax(computeTax({ ...base, subtotal: 1, lines: [{ amount: 1, rates: [zero] }] }), 3).totalTax,
    ).toBe(3);
  });
});
