import { roundPrice, type ProductReference } from '../sync/product-mapping';
import { fromCents, roundMoney, sumCents, toCents } from '../sync/money';
import type { DocumentKind, DocumentLine, DocumentRequest, ListRef } from './request';

/**
 * A document from the CRM checked against QBO's rules before anything is sent, so that what QBO would refuse is
 * refused here first, naming the line and the reason: dates in closed books, a currency other than the customer's,
 * products QBO does not have, line amounts that are not quantity × price, and tax codes the company does not have or
 * that do not apply (US lines are taxable or not; VAT and GST lines each need a sales tax code). Pure: the company's
 * lists, the customer and what each line's product resolved to are passed in. Its output is the plan the QBO body is
 * written from (./qbo-body.ts), with the totals QBO should arrive at.
 */

export const documentProblemCodes = [
  'customer_not_found',
  'customer_not_synced',
  'product_not_found',
  'product_ambiguous',
  'product_unavailable',
  'invalid_reference',
  'invalid_tax_code',
  'tax_code_required',
  'currency_mismatch',
  'books_closed',
  'invalid_amount',
  'qbo_rejected',
  'connection_inactive',
  'estimate_not_convertible',
] as const;
export type DocumentProblemCode = (typeof documentProblemCodes)[number];

export interface DocumentProblem {
  code: DocumentProblemCode;
  /** The request field at fault, as a dotted path (`body.lines.1.taxCode`). */
  field: string;
  message: string;
}

export interface ListEntry {
  id: string;
  name: string;
  active: boolean;
}

/** The company as documents are checked against it (./company.ts reads and caches it). */
export interface CompanyLists {
  /** CompanyInfo.Country: US, GB, CA, AU… */
  country: string;
  homeCurrency: string;
  multiCurrency: boolean;
  customTxnNumbers: boolean;
  /** Preferences.AccountingInfoPrefs.BookCloseDate: nothing may be dated on or before it. */
  bookCloseDate?: string;
  taxCodes: { id: string; name: string; active: boolean; salesRateIds: string[] }[];
  taxRates: { id: string; name: string; percent: number }[];
  terms: ListEntry[];
  classes: ListEntry[];
  locations: ListEntry[];
  paymentMethods: ListEntry[];
  incomeAccounts: ListEntry[];
}

/** What a line's product resolved to (./resolve.ts): an item, one to create first, or why there is none. */
export type LineProduct =
  | {
      kind: 'item';
      qboItemId: string;
      name: string;
      unitPrice: number | null;
      taxable: boolean;
      salesTaxCodeId: string | null;
      /** Sold in place of this product, which QBO does not have (policy `default_item`). */
      standingInFor?: ProductReference;
    }
  | { kind: 'to_create'; name: string; sku: string | null }
  | { kind: 'problem'; code: DocumentProblemCode; message: string };

export interface ValidationInput {
  kind: DocumentKind;
  request: DocumentRequest;
  company: CompanyLists;
  customer: { qboCustomerId: string; currency: string };
  /** One per request line, in order. */
  products: LineProduct[];
  /** `yyyy-MM-dd` in the company's time zone. */
  today: string;
}

export interface PlannedLine {
  /** Null for a product created just before the write (policy `create_item`). */
  itemId: string | null;
  itemName: string;
  quantity: number;
  /** After the line's discount: what QBO gets as UnitPrice. */
  unitPrice: number;
  amount: number;
  description?: string;
  serviceDate?: string;
  /** US: TAX or NON. Elsewhere the tax code's Id, unless tax is NotApplicable. */
  taxCodeId?: string;
}

export interface ExpectedTotals {
  subtotal: number;
  discount: number;
  /** Null when QBO decides the rates (US automated sales tax without a code). */
  tax: number | null;
  total: number | null;
}

export interface DocumentPlan {
  lines: PlannedLine[];
  /** Off the whole document. */
  discount?: { percent?: number; amount: number };
  currency: string;
  termsId?: string;
  classId?: string;
  locationId?: string;
  paymentMethodId?: string;
  /** US: the sales tax code of the taxable lines. */
  txnTaxCodeId?: string;
  /** VAT and GST companies. */
  globalTaxCalculation?: 'TaxExcluded' | 'TaxInclusive' | 'NotApplicable';
  expected: ExpectedTotals;
}

export type ValidationResult = { ok: true; plan: DocumentPlan } | { ok: false; problems: DocumentProblem[] };

/** US companies run sales tax: lines are TAX or NON, the rates come from one code for the document. */
export function usesSalesTax(company: Pick<CompanyLists, 'country'>): boolean {
  return company.country === 'US';
}

/** What the tax on a line is called in the company's country, for messages. */
function taxName(country: string): string {
  if (country === 'GB') return 'VAT';
  if (country === 'CA') return 'GST/HST';
  return 'GST';
}

const lineField = (index: number, name: string): string => `body.lines.${index}.${name}`;

/** The problems found so far, every one of them reported, not only the first. */
class Problems {
  readonly list: DocumentProblem[] = [];

  add(code: DocumentProblemCode, field: string, message: string): void {
    this.list.push({ code, field, message });
  }

  get count(): number {
    return this.list.length;
  }
}
const money = (value: number): string => value.toFixed(2);

function findEntry<E extends ListEntry>(entries: readonly E[], ref: ListRef): E | undefined {
  if ('id' in ref) return entries.find((entry) => entry.id === ref.id && entry.active);
  const wanted = ref.name.trim().toLowerCase();
  return entries.find((entry) => entry.name.trim().toLowerCase() === wanted && entry.active);
}

const describeRef = (ref: ListRef): string => ('id' in ref ? `id ${ref.id}` : `"${ref.name}"`);

export function validateDocument(input: ValidationInput): ValidationResult {
  const { request, company, kind } = input;
  const problems = new Problems();

  const txnDate = request.txnDate ?? input.today;
  if (company.bookCloseDate !== undefined && txnDate <= company.bookCloseDate)
    problems.add(
      'books_closed',
      'body.txnDate',
      `the books are closed through ${company.bookCloseDate}: date the ${kind.replace('_', ' ')} after that ` +
        `(it is dated ${txnDate}${request.txnDate ? '' : ', today'})`,
    );

  const currency = request.currency ?? input.customer.currency;
  if (currency !== input.customer.currency)
    problems.add(
      'currency_mismatch',
      'body.currency',
      `the customer pays in ${input.customer.currency}; QuickBooks takes a document in its customer's currency only`,
    );

  const salesTax = usesSalesTax(company);
  const tax = resolveDocumentTax(input, problems);
  const lines = request.lines.map((line, index) =>
    planLine(
      line,
      index,
      input.products[index],
      { salesTax, calculation: tax.calculation, company },
      problems,
    ),
  );

  const refs = {
    termsId: request.terms && resolveRef(company.terms, request.terms, 'body.terms', 'terms', problems),
    classId: request.class && resolveRef(company.classes, request.class, 'body.class', 'class', problems),
    locationId:
      request.location &&
      resolveRef(company.locations, request.location, 'body.location', 'location', problems),
    paymentMethodId:
      request.paymentMethod &&
      resolveRef(
        company.paymentMethods,
        request.paymentMethod,
        'body.paymentMethod',
        'payment method',
        problems,
      ),
  };

  const planned = lines.filter((line): line is PlannedLine => line !== null);
  const subtotalCents = sumCents(planned.map((line) => line.amount));
  let discount: DocumentPlan['discount'];
  if (request.discount) {
    const amount =
      'percent' in request.discount
        ? roundMoney((fromCents(subtotalCents) * request.discount.percent) / 100)
        : roundMoney(request.discount.amount);
    if (toCents(amount) > subtotalCents)
      problems.add(
        'invalid_amount',
        'body.discount',
        `the discount of ${money(amount)} is more than the lines add up to (${money(fromCents(subtotalCents))})`,
      );
    discount = 'percent' in request.discount ? { percent: request.discount.percent, amount } : { amount };
  }
  if (problems.count > 0) return { ok: false, problems: problems.list };

  const plan: DocumentPlan = {
    lines: planned,
    ...(discount ? { discount } : {}),
    currency,
    ...Object.fromEntries(Object.entries(refs).filter(([, id]) => id !== undefined)),
    ...(tax.txnTaxCodeId !== undefined ? { txnTaxCodeId: tax.txnTaxCodeId } : {}),
    ...(tax.calculation !== undefined ? { globalTaxCalculation: tax.calculation } : {}),
    expected: { subtotal: 0, discount: 0, tax: null, total: null },
  };
  plan.expected = expectedTotals(plan, company, request.applyTaxAfterDiscount ?? false);
  return { ok: true, plan };
}

function resolveRef(
  entries: readonly ListEntry[],
  ref: ListRef,
  field: string,
  what: string,
  problems: Problems,
): string | undefined {
  const found = findEntry(entries, ref);
  if (!found)
    problems.add(
      'invalid_reference',
      field,
      `no active ${what} ${describeRef(ref)} in this QuickBooks company`,
    );
  return found?.id;
}

/** The document-level tax settings: US companies name a code for the taxable lines; others a calculation. */
function resolveDocumentTax(
  input: ValidationInput,
  problems: Problems,
): { txnTaxCodeId?: string; calculation?: DocumentPlan['globalTaxCalculation'] } {
  const { company, request } = input;
  if (usesSalesTax(company)) {
    if (request.tax?.calculation)
      problems.add(
        'invalid_tax_code',
        'body.tax.calculation',
        'US companies charge sales tax on top of the lines; `calculation` is for VAT and GST companies',
      );
    if (!request.tax?.code) return {};
    const code = salesTaxCode(company, request.tax.code);
    if (typeof code === 'string') {
      problems.add('invalid_tax_code', 'body.tax.code', code);
      return {};
    }
    return { txnTaxCodeId: code.id };
  }
  if (request.tax?.code)
    problems.add(
      'invalid_tax_code',
      'body.tax.code',
      `${taxName(company.country)} companies tax each line by its own code: name it on the line (\`taxCode\`)`,
    );
  return { calculation: request.tax?.calculation ?? 'TaxExcluded' };
}

/** The company's active code with sales rates named by `ref`, or why there is none. */
function salesTaxCode(company: CompanyLists, ref: ListRef): CompanyLists['taxCodes'][number] | string {
  const found = findEntry(company.taxCodes, ref);
  const usable = company.taxCodes.filter((code) => code.active && code.salesRateIds.length > 0);
  const choices = `its sales tax codes are ${usable.map((code) => code.name).join(', ') || 'none'}`;
  if (!found) {
    const usCode = 'id' in ref && ['TAX', 'NON'].includes(ref.id.toUpperCase());
    return usCode
      ? `${ref.id} is how US lines are marked taxable; this ${company.country} company needs a tax code: ${choices}`
      : `no tax code ${describeRef(ref)} in this company; ${choices}`;
  }
  if (found.salesRateIds.length === 0) return `tax code ${found.name} applies to purchases only; ${choices}`;
  return found;
}

function planLine(
  line: DocumentLine,
  index: number,
  product: LineProduct | undefined,
  tax: { salesTax: boolean; calculation: DocumentPlan['globalTaxCalculation']; company: CompanyLists },
  problems: Problems,
): PlannedLine | null {
  const where = `line ${index + 1}`;
  const before = problems.count;
  if (!product) {
    problems.add('product_not_found', lineField(index, 'product'), `${where}: its product was not looked up`);
    return null;
  }
  if (product.kind === 'problem')
    problems.add(product.code, lineField(index, 'product'), `${where}: ${product.message}`);

  const listPrice = line.unitPrice ?? (product.kind === 'item' ? product.unitPrice : null);
  let unitPrice: number | null = null;
  if (listPrice === null) {
    if (product.kind !== 'problem')
      problems.add(
        'invalid_amount',
        lineField(index, 'unitPrice'),
        `${where}: give a unitPrice; the product has no price in QuickBooks`,
      );
  } else unitPrice = discountedUnitPrice(line, listPrice, index, problems);
  const amount = unitPrice === null ? null : roundMoney(line.quantity * unitPrice);
  if (amount !== null && line.amount !== undefined && toCents(line.amount) !== toCents(amount))
    problems.add(
      'invalid_amount',
      lineField(index, 'amount'),
      `${where}: ${money(line.amount)} is not quantity ${line.quantity} × unit price ${roundPrice(unitPrice!)} = ` +
        `${money(amount)}`,
    );

  const taxCodeId = lineTaxCode(line, index, product, tax, problems);
  if (problems.count > before || product.kind === 'problem' || amount === null) return null;
  return {
    itemId: product.kind === 'item' ? product.qboItemId : null,
    itemName: product.name,
    quantity: line.quantity,
    unitPrice: unitPrice!,
    amount,
    ...lineDescription(line, listPrice!, product),
    ...(line.serviceDate !== undefined ? { serviceDate: line.serviceDate } : {}),
    ...(taxCodeId !== undefined ? { taxCodeId } : {}),
  };
}

/** A line discount becomes a lower unit price (QBO's lines have none of their own); the description says so. */
function discountedUnitPrice(
  line: DocumentLine,
  listPrice: number,
  index: number,
  problems: Problems,
): number | null {
  if (!line.discount) return roundPrice(listPrice);
  if ('percent' in line.discount) return roundPrice(listPrice * (1 - line.discount.percent / 100));
  const gross = line.quantity * listPrice;
  if (toCents(line.discount.amount) > toCents(gross)) {
    problems.add(
      'invalid_amount',
      lineField(index, 'discount'),
      `line ${index + 1}: the discount of ${money(line.discount.amount)} is more than the line (${money(gross)})`,
    );
    return null;
  }
  return roundPrice((gross - line.discount.amount) / line.quantity);
}

function lineDescription(
  line: DocumentLine,
  listPrice: number,
  product: LineProduct,
): { description?: string } {
  const parts: string[] = [];
  if (product.kind === 'item' && product.standingInFor) {
    const wanted = product.standingInFor;
    parts.push('sku' in wanted ? `${wanted.sku}` : 'name' in wanted ? wanted.name : `item ${wanted.qboId}`);
  }
  if (line.description) parts.push(line.description);
  if (line.discount)
    parts.push(
      'percent' in line.discount
        ? `${line.discount.percent}% off ${money(listPrice)}`
        : `${money(line.discount.amount)} off ${money(line.quantity * listPrice)}`,
    );
  return parts.length > 0 ? { description: parts.join(' — ') } : {};
}

function lineTaxCode(
  line: DocumentLine,
  index: number,
  product: LineProduct,
  tax: { salesTax: boolean; calculation: DocumentPlan['globalTaxCalculation']; company: CompanyLists },
  problems: Problems,
): string | undefined {
  const where = `line ${index + 1}`;
  const { company } = tax;
  if (tax.salesTax) {
    if (line.taxCode)
      problems.add(
        'invalid_tax_code',
        lineField(index, 'taxCode'),
        `${where}: US lines are taxable or not (\`taxable\`); tax codes are for VAT and GST companies`,
      );
    const taxable = line.taxable ?? (product.kind === 'item' ? product.taxable : false);
    return taxable ? 'TAX' : 'NON';
  }
  if (line.taxable !== undefined)
    problems.add(
      'invalid_tax_code',
      lineField(index, 'taxable'),
      `${where}: \`taxable\` is for US companies; name the line's ${taxName(company.country)} code (\`taxCode\`)`,
    );
  const ref: ListRef | undefined =
    line.taxCode ??
    (product.kind === 'item' && product.salesTaxCodeId ? { id: product.salesTaxCodeId } : undefined);
  if (!ref) {
    if (tax.calculation === 'NotApplicable') return undefined;
    const usable = company.taxCodes.filter((code) => code.active && code.salesRateIds.length > 0);
    problems.add(
      'tax_code_required',
      lineField(index, 'taxCode'),
      `${where}: needs a ${taxName(company.country)} code, and its product has none; one of ` +
        `${usable.map((code) => code.name).join(', ')}`,
    );
    return undefined;
  }
  const code = salesTaxCode(company, ref);
  if (typeof code === 'string') {
    problems.add('invalid_tax_code', lineField(index, 'taxCode'), `${where}: ${code}`);
    return undefined;
  }
  return code.id;
}

/**
 * The totals QBO arrives at, by its documented arithmetic: tax by rate on the net amounts each rate taxes; a
 * discount lowers every line's base in proportion when tax follows it (`ApplyTaxAfterDiscount`); tax-inclusive
 * lines hold their tax, their base being amount ÷ (1 + their combined rate).
 */
export function expectedTotals(
  plan: Pick<DocumentPlan, 'lines' | 'discount' | 'txnTaxCodeId' | 'globalTaxCalculation'>,
  company: Pick<CompanyLists, 'country' | 'taxCodes' | 'taxRates'>,
  applyTaxAfterDiscount: boolean,
): ExpectedTotals {
  const subtotal = fromCents(sumCents(plan.lines.map((line) => line.amount)));
  const discount = plan.discount?.amount ?? 0;
  const ratesOf = (codeId: string | undefined) =>
    (company.taxCodes.find((code) => code.id === codeId)?.salesRateIds ?? []).map(
      (rateId) => company.taxRates.find((rate) => rate.id === rateId) ?? { id: rateId, name: '', percent: 0 },
    );
  const keep = applyTaxAfterDiscount && subtotal !== 0 ? 1 - discount / subtotal : 1;
  const inclusive = plan.globalTaxCalculation === 'TaxInclusive';
  let taxedLines: { amount: number; rates: { id: string; percent: number }[] }[];
  if (usesSalesTax(company)) {
    const taxable = plan.lines.filter((line) => line.taxCodeId === 'TAX');
    if (taxable.length > 0 && plan.txnTaxCodeId === undefined)
      return { subtotal, discount, tax: null, total: null };
    const rates = ratesOf(plan.txnTaxCodeId);
    taxedLines = taxable.map((line) => ({ amount: line.amount, rates }));
  } else if (plan.globalTaxCalculation === 'NotApplicable') taxedLines = [];
  else taxedLines = plan.lines.map((line) => ({ amount: line.amount, rates: ratesOf(line.taxCodeId) }));
  const netByRate = new Map<string, { percent: number; net: number }>();
  for (const line of taxedLines) {
    const combined = line.rates.reduce((sum, rate) => sum + rate.percent, 0);
    const base = line.amount * keep;
    const net = inclusive ? base / (1 + combined / 100) : base;
    for (const rate of line.rates) {
      const entry = netByRate.get(rate.id) ?? { percent: rate.percent, net: 0 };
      entry.net += net;
      netByRate.set(rate.id, entry);
    }
  }
  const tax = fromCents(sumCents([...netByRate.values()].map(({ percent, net }) => (net * percent) / 100)));
  const total = fromCents(toCents(subtotal) - toCents(discount) + (inclusive ? 0 : toCents(tax)));
  return { subtotal, discount, tax, total };
}
