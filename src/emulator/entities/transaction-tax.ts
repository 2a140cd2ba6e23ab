import type { Company, QboRecord } from '../company';
import { countryProfiles } from '../countries';
import { fault } from '../faults';
import { isObject, money, optionalEnum, optionalNumber, optionalRef, resolveRef, type Ref } from './fields';
import {
  computeTax,
  prorateTax,
  salesRates,
  usLineTaxCodes,
  type TaxableAmount,
  type TaxResult,
} from './tax';
import type { Draft, Input } from './types';

const lineTaxElement = 'Line.SalesItemLineDetail.TaxCodeRef';
const globalTaxCalculations = ['TaxExcluded', 'TaxInclusive', 'NotApplicable'] as const;
type GlobalTaxCalculation = (typeof globalTaxCalculations)[number];

/** How a sales form of this company is taxed, read once from the request before its lines. */
export interface TaxMode {
  model: 'sales-tax' | 'per-line';
  /** Per-line companies only; "Not applicable to US companies". */
  calculation?: GlobalTaxCalculation;
}

export function taxMode(company: Company, fields: Input): TaxMode {
  const { taxModel } = countryProfiles[company.settings.country];
  if (taxModel === 'sales-tax') return { model: 'sales-tax' }; // US clients send GlobalTaxCalculation anyway: ignored
  const calculation = optionalEnum(fields, 'GlobalTaxCalculation', globalTaxCalculations) ?? 'TaxExcluded';
  return { model: 'per-line', calculation };
}

function checkedTaxCode(company: Company, ref: Ref, element: string): QboRecord {
  const code = resolveRef(company, 'TaxCode', ref, element);
  if (salesRates(company, code).length === 0) {
    // A purchase-only code on a sale: what QBO answers when it cannot tax a line with the code it was given.
    throw fault.businessValidation(
      "We're sorry, QuickBooks encountered an error while calculating tax. Try reselecting the tax rate or reentering the product/service item and saving the form again.",
      element,
    );
  }
  return code;
}

/**
 * The `TaxCodeRef` a sales line keeps. US lines are TAX or NON (NON when absent). Elsewhere each line needs a tax
 * code of the company's that applies to sales, unless tax is NotApplicable.
 */
export function lineTaxCode(company: Company, detail: Input, mode: TaxMode): Ref | undefined {
  const ref = optionalRef(detail, 'TaxCodeRef');
  if (mode.model === 'sales-tax') {
    if (!ref) return { value: 'NON' };
    const value = ref.value.toUpperCase();
    if (!(usLineTaxCodes as readonly string[]).includes(value)) throw fault.invalidReference(lineTaxElement);
    return { value };
  }
  if (!ref) {
    if (mode.calculation === 'NotApplicable') return undefined;
    const { taxName } = countryProfiles[company.settings.country];
    throw fault.businessValidation(`Make sure all your transactions have a ${taxName} rate before you save.`);
  }
  return { value: checkedTaxCode(company, ref, lineTaxElement).Id };
}

/** A sales line as tax sees it: its amount and the tax code it kept. */
export interface TaxedLine {
  amount: number;
  taxCode: Ref | undefined;
}

export interface TransactionTax {
  TxnTaxDetail: Draft;
  GlobalTaxCalculation?: GlobalTaxCalculation;
  totalTax: number;
  /** Line amounts already include tax, so the total does not add it. */
  inclusive: boolean;
}

/**
 * `TxnTaxDetail` as QBO computes it. US: the lines marked TAX are taxed at the rates of `TxnTaxCodeRef` (automated
 * sales tax picks the company's code when none is sent), and a `TotalTax` the client sets is honoured and prorated.
 * Elsewhere: each line at the rates of its own code, excluding or including tax as `GlobalTaxCalculation` says.
 */
export function transactionTax(
  company: Company,
  fields: Input,
  mode: TaxMode,
  lines: TaxedLine[],
  totals: { subtotal: number; discount: number; applyTaxAfterDiscount: boolean },
): TransactionTax {
  const sent = isObject(fields.TxnTaxDetail) ? fields.TxnTaxDetail : {};
  if (mode.model === 'sales-tax') {
    const taxable = lines.filter((line) => line.taxCode?.value === 'TAX');
    const sentCode = optionalRef(sent, 'TxnTaxCodeRef');
    const code = sentCode
      ? checkedTaxCode(company, sentCode, 'TxnTaxDetail.TxnTaxCodeRef')
      : taxable.length > 0
        ? automatedSalesTaxCode(company)
        : undefined;
    if (!code) return { TxnTaxDetail: { TotalTax: 0 }, totalTax: 0, inclusive: false };
    const rates = salesRates(company, code);
    let result: TaxResult = computeTax({
      ...totals,
      inclusive: false,
      lines: taxable.map((line): TaxableAmount => ({ amount: line.amount, rates })),
    });
    const override = optionalNumber(sent, 'TotalTax');
    if (override !== undefined && override > 0 && money(override) !== result.totalTax) {
      result = prorateTax(result, override);
    }
    return {
      TxnTaxDetail: {
        TxnTaxCodeRef: { value: code.Id },
        TotalTax: result.totalTax,
        TaxLine: result.taxLines,
      },
      totalTax: result.totalTax,
      inclusive: false,
    };
  }
  const calculation = mode.calculation ?? 'TaxExcluded';
  if (calculation === 'NotApplicable') {
    return {
      TxnTaxDetail: { TotalTax: 0 },
      GlobalTaxCalculation: calculation,
      totalTax: 0,
      inclusive: false,
    };
  }
  const inclusive = calculation === 'TaxInclusive';
  const result = computeTax({
    ...totals,
    inclusive,
    lines: lines.map((line) => ({
      amount: line.amount,
      rates: line.taxCode ? salesRates(company, company.get('TaxCode', line.taxCode.value)!) : [],
    })),
  });
  return {
    TxnTaxDetail: { TotalTax: result.totalTax, TaxLine: result.taxLines },
    GlobalTaxCalculation: calculation,
    totalTax: result.totalTax,
    inclusive,
  };
}

/** The tax code automated sales tax assigns: the company's first active code that taxes sales. */
function automatedSalesTaxCode(company: Company): QboRecord | undefined {
  for (const code of company.all('TaxCode')) {
    if (code.Active !== false && salesRates(company, code).length > 0) return code;
  }
  return undefined;
}
