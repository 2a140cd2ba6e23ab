import { qboDocumentBody } from '../../../src/documents/qbo-body';
import type { DocumentRequest } from '../../../src/documents/request';
import {
  validateDocument,
  type CompanyLists,
  type LineProduct,
  type ValidationInput,
} from '../../../src/documents/validate';

const entries = (...names: string[]) =>
  names.map((name, index) => ({ id: String(index + 1), name, active: true }));

const ukCompany: CompanyLists = {
  country: 'GB',
  homeCurrency: 'GBP',
  multiCurrency: false,
  customTxnNumbers: false,
  bookCloseDate: '2026-03-31',
  taxCodes: [
    { id: '10', name: '20.0% S', active: true, salesRateIds: ['r20'] },
    { id: '11', name: '5.0% R', active: true, salesRateIds: ['r5'] },
  ],
  taxRates: [
    { id: 'r20', name: '20.0% S', percent: 20 },
    { id: 'r5', name: '5.0% R', percent: 5 },
  ],
  terms: entries('Net 30'),
  classes: entries('Retail'),
  locations: entries('Online'),
  paymentMethods: entries('Cash'),
  incomeAccounts: entries('Sales'),
};
const usCompany: CompanyLists = {
  ...ukCompany,
  country: 'US',
  homeCurrency: 'USD',
  bookCloseDate: undefined,
  taxCodes: [{ id: '3', name: 'California', active: true, salesRateIds: ['ca'] }],
  taxRates: [{ id: 'ca', name: 'California', percent: 7.25 }],
};

const hours: LineProduct = {
  kind: 'item',
  qboItemId: '2',
  name: 'Hours',
  unitPrice: 85,
  taxable: true,
  salesTaxCodeId: '10',
};

function input(request: Partial<DocumentRequest>, overrides: Partial<ValidationInput> = {}): ValidationInput {
  const full = {
    customer: { qboCustomerId: '7' },
    lines: [{ product: { name: 'Hours' }, quantity: 1 }],
    ...request,
  };
  return {
    kind: 'invoice',
    request: full,
    company: ukCompany,
    customer: { qboCustomerId: '7', currency: 'GBP' },
    products: full.lines.map(() => hours),
    today: '2026-05-01',
    ...overrides,
  };
}

describe('documents checked against the company before they are written', () => {
  it('refuses a date in closed books, naming the closing date', () => {
    const result = validateDocument(input({ txnDate: '2026-03-31' }));
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          code: 'books_closed',
          field: 'body.txnDate',
          message: expect.stringContaining('the books are closed through 2026-03-31'),
        },
      ],
    });
    expect(validateDocument(input({ txnDate: '2026-04-01' })).ok).toBe(true);
  });

  it('takes the product’s VAT code and price by default, and computes the tax QuickBooks will', () => {
    const result = validateDocument(
      input({
        lines: [
          { product: { name: 'Hours' }, quantity: 2 },
          { product: { name: 'Hours' }, quantity: 1, unitPrice: 100, taxCode: { name: '5.0% r' } },
        ],
      }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.plan.lines.map((line) => [line.unitPrice, line.amount, line.taxCodeId])).toEqual([
      [85, 170, '10'],
      [100, 100, '11'],
    ]);
    expect(result.plan.expected).toEqual({ subtotal: 270, discount: 0, tax: 39, total: 309 });
  });

  it('holds the tax inside tax-inclusive amounts, and lowers its base by a discount applied before tax', () => {
    const inclusive = validateDocument(
      input({
        lines: [{ product: { name: 'Hours' }, quantity: 1, unitPrice: 120 }],
        tax: { calculation: 'TaxInclusive' },
      }),
    );
    if (!inclusive.ok) throw new Error('refused');
    expect(inclusive.plan.expected).toEqual({ subtotal: 120, discount: 0, tax: 20, total: 120 });

    const discounted = validateDocument(
      input({
        lines: [{ product: { name: 'Hours' }, quantity: 1, unitPrice: 200 }],
        discount: { percent: 10 },
        applyTaxAfterDiscount: true,
      }),
    );
    if (!discounted.ok) throw new Error('refused');
    expect(discounted.plan.expected).toEqual({ subtotal: 200, discount: 20, tax: 36, total: 216 });
  });

  it('turns a line discount into a lower unit price and says so on the line', () => {
    const result = validateDocument(
      input({
        lines: [{ product: { name: 'Hours' }, quantity: 4, unitPrice: 50, discount: { amount: 20 } }],
      }),
    );
    if (!result.ok) throw new Error('refused');
    expect(result.plan.lines[0]).toMatchObject({
      unitPrice: 45,
      amount: 180,
      description: '20.00 off 200.00',
    });
  });

  it('leaves US tax to QuickBooks’ automated sales tax when no code is named: the total is then unknown', () => {
    const result = validateDocument(
      input({}, { company: usCompany, customer: { qboCustomerId: '7', currency: 'USD' } }),
    );
    if (!result.ok) throw new Error('refused');
    expect(result.plan.lines[0]!.taxCodeId).toBe('TAX');
    expect(result.plan.expected).toEqual({ subtotal: 85, discount: 0, tax: null, total: null });
  });

  it('writes the plan as QBO’s body: US lines TAX/NON and the document’s tax code; a discount line', () => {
    const result = validateDocument(
      input(
        { tax: { code: { name: 'California' } }, discount: { amount: 5 }, memo: 'Thanks' },
        { company: usCompany, customer: { qboCustomerId: '7', currency: 'USD' } },
      ),
    );
    if (!result.ok) throw new Error('refused');
    expect(qboDocumentBody('invoice', input({ memo: 'Thanks' }).request, result.plan, '7', ['2'])).toEqual({
      CustomerRef: { value: '7' },
      CurrencyRef: { value: 'USD' },
      CustomerMemo: { value: 'Thanks' },
      TxnTaxDetail: { TxnTaxCodeRef: { value: '3' } },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 85,
          SalesItemLineDetail: {
            ItemRef: { value: '2', name: 'Hours' },
            Qty: 1,
            UnitPrice: 85,
            TaxCodeRef: { value: 'TAX' },
          },
        },
        { DetailType: 'DiscountLineDetail', Amount: 5, DiscountLineDetail: { PercentBased: false } },
      ],
    });
  });
});
