import type { Company, QboRecord } from '../company';
import { countryProfiles } from '../countries';
import { money } from './fields';
import { insertSystemRecord, readOnlyEntity } from './system-records';

/** "Use the TaxService resource to create a tax code" (and a rate): not offered here. */
const viaTaxService = 'tax codes and rates come from the company set-up.';
export const taxAgencyEntity = readOnlyEntity(
  'TaxAgency',
  'name-list',
  ['DisplayName', 'TaxTrackedOnSales', 'TaxTrackedOnPurchases', 'TaxAgencyConfig'],
  viaTaxService,
);
export const taxRateEntity = readOnlyEntity(
  'TaxRate',
  'name-list',
  ['Name', 'Description', 'RateValue', 'AgencyRef', 'SpecialTaxType', 'DisplayType', 'Active'],
  viaTaxService,
);
export const taxCodeEntity = readOnlyEntity(
  'TaxCode',
  'name-list',
  [
    'Name',
    'Description',
    'Active',
    'Taxable',
    'TaxGroup',
    'Hidden',
    'SalesTaxRateList',
    'PurchaseTaxRateList',
    'TaxCodeConfigType',
  ],
  viaTaxService,
);

/**
 * The pseudo tax codes of US companies: a line is taxable (TAX) or not (NON). They are not records: Intuit's TaxCode
 * query returns only the company's own codes.
 */
export const usLineTaxCodes = ['TAX', 'NON'] as const;

/** Writes the country's tax agencies, rates and codes: the codes every transaction of the company refers to. */
export function writeTaxTables(company: Company): void {
  const profile = countryProfiles[company.settings.country];
  const config = profile.taxModel === 'sales-tax' ? 'SYSTEM_GENERATED' : 'USER_DEFINED';
  const agencies = profile.agencies.map((agency) =>
    insertSystemRecord(company, 'TaxAgency', {
      DisplayName: agency.DisplayName,
      TaxTrackedOnSales: true,
      TaxTrackedOnPurchases: profile.taxModel === 'per-line',
      TaxAgencyConfig: config,
    }),
  );
  const rates = profile.rates.map((rate) =>
    insertSystemRecord(company, 'TaxRate', {
      Name: rate.Name,
      Description: rate.Description,
      RateValue: rate.RateValue,
      AgencyRef: { value: agencies[rate.agency]!.Id },
      SpecialTaxType: 'NONE',
      DisplayType: 'ReadOnly',
      Active: true,
    }),
  );
  const rateList = (indexes: number[] = []) => ({
    TaxRateDetail: indexes.map((index, order) => ({
      TaxRateRef: { value: rates[index]!.Id, name: rates[index]!.Name },
      TaxTypeApplicable: 'TaxOnAmount',
      TaxOrder: order,
    })),
  });
  for (const code of profile.codes) {
    insertSystemRecord(company, 'TaxCode', {
      Name: code.Name,
      Description: code.Description,
      Active: true,
      Hidden: false,
      Taxable: true,
      TaxGroup: true,
      SalesTaxRateList: rateList(code.sales),
      PurchaseTaxRateList: rateList(code.purchases),
      TaxCodeConfigType: config,
    });
  }
}

/** One tax rate a code applies on sales, as a transaction's tax line needs it. */
export interface SalesRate {
  id: string;
  name: string;
  percent: number;
}

/** The sales rates of a tax code, in TaxOrder (empty for a code that applies to purchases only). */
export function salesRates(company: Company, code: QboRecord): SalesRate[] {
  const list = code.SalesTaxRateList as { TaxRateDetail?: { TaxRateRef: { value: string } }[] } | undefined;
  return (list?.TaxRateDetail ?? []).map((detail) => {
    const rate = company.get('TaxRate', detail.TaxRateRef.value);
    return {
      id: detail.TaxRateRef.value,
      name: typeof rate?.Name === 'string' ? rate.Name : '',
      percent: Number(rate?.RateValue ?? 0),
    };
  });
}

/** A line's share of the tax base: its amount and the rates that apply to it. */
export interface TaxableAmount {
  amount: number;
  rates: SalesRate[];
}

export interface TaxInput {
  lines: TaxableAmount[];
  /** The sum of every sales line, and the discount taken off it. */
  subtotal: number;
  discount: number;
  /** "If true, subtract the discount first and then calculate the sales tax." */
  applyTaxAfterDiscount: boolean;
  /** Line amounts include their tax (GlobalTaxCalculation TaxInclusive). */
  inclusive: boolean;
}

export interface TaxLine {
  Amount: number;
  DetailType: 'TaxLineDetail';
  TaxLineDetail: {
    TaxRateRef: { value: string; name: string };
    PercentBased: true;
    TaxPercent: number;
    NetAmountTaxable: number;
  };
}

export interface TaxResult {
  taxLines: TaxLine[];
  totalTax: number;
}

/**
 * Totals the tax of a transaction by rate, as `TxnTaxDetail.TaxLine` reports it: for each rate, the net amount it
 * taxes and the tax on it. A discount lowers every line's base in proportion when tax follows the discount. With
 * tax-inclusive amounts the net base is the amount divided by one plus the line's combined rate.
 */
export function computeTax(input: TaxInput): TaxResult {
  const keep = input.applyTaxAfterDiscount && input.subtotal !== 0 ? 1 - input.discount / input.subtotal : 1;
  const byRate = new Map<string, { rate: SalesRate; net: number }>();
  for (const line of input.lines) {
    const combined = line.rates.reduce((sum, rate) => sum + rate.percent, 0);
    const base = line.amount * keep;
    const net = input.inclusive ? base / (1 + combined / 100) : base;
    for (const rate of line.rates) {
      const entry = byRate.get(rate.id) ?? { rate, net: 0 };
      entry.net += net;
      byRate.set(rate.id, entry);
    }
  }
  const taxLines: TaxLine[] = [...byRate.values()].map(({ rate, net }) => ({
    Amount: money((net * rate.percent) / 100),
    DetailType: 'TaxLineDetail',
    TaxLineDetail: {
      TaxRateRef: { value: rate.id, name: rate.name },
      PercentBased: true,
      TaxPercent: rate.percent,
      NetAmountTaxable: money(net),
    },
  }));
  return { taxLines, totalTax: money(taxLines.reduce((sum, line) => sum + line.Amount, 0)) };
}

/**
 * Spreads a tax amount the client set over the rates, in proportion to what each would have charged: "Whenever an
 * explicit tax amount is sent in the transaction request the AST engine honors the amount and prorates it across
 * tax rates".
 */
export function prorateTax(computed: TaxResult, totalTax: number): TaxResult {
  const weights = computed.taxLines.map(
    (line) => line.TaxLineDetail.TaxPercent * line.TaxLineDetail.NetAmountTaxable,
  );
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  let left = money(totalTax);
  const taxLines = computed.taxLines.map((line, index) => {
    const last = index === computed.taxLines.length - 1;
    const share = last ? left : money(weightSum === 0 ? 0 : (totalTax * weights[index]!) / weightSum);
    left = money(left - share);
    return { ...line, Amount: share };
  });
  return { taxLines, totalTax: money(totalTax) };
}
