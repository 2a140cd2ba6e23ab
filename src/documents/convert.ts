import { z } from 'zod';
import type { Estimate } from '../qbo/schemas';
import { documentFieldsSchema, type DocumentLine, type DocumentRequest } from './request';
import type { DocumentProblem } from './validate';

/**
 * An estimate turned into an invoice: the estimate's lines (all, or those chosen, with a smaller quantity for a
 * partial conversion), customer, currency, tax, class and location, linked to the estimate. The result is an
 * ordinary invoice request, checked and written like any other. Pure.
 */

const invoiceFields = documentFieldsSchema('invoice').shape;

export const conversionSchema = z
  .object({
    lines: z
      .array(
        z
          .object({
            line: z
              .number()
              .int()
              .min(1)
              .max(250)
              .describe('The estimate’s line, counting its item lines from 1.'),
            quantity: z
              .number()
              .gt(0)
              .max(1e9)
              .optional()
              .describe('Invoice part of the line only; the whole line by default.'),
          })
          .strict(),
      )
      .min(1)
      .max(250)
      .optional()
      .describe('The estimate’s lines to invoice; every line by default.'),
    txnDate: invoiceFields.txnDate,
    dueDate: invoiceFields.dueDate,
    terms: invoiceFields.terms,
    docNumber: invoiceFields.docNumber,
    memo: invoiceFields.memo,
    privateNote: invoiceFields.privateNote,
    email: invoiceFields.email,
    allowOnlinePayment: invoiceFields.allowOnlinePayment,
  })
  .strict();
export type Conversion = z.infer<typeof conversionSchema>;

/** QBO's estimate statuses that may still become an invoice. */
const convertible = new Set(['pending', 'accepted']);

export type ConversionResult =
  { ok: true; request: DocumentRequest } | { ok: false; problem: DocumentProblem };

interface EstimateLine {
  DetailType?: string;
  Description?: string;
  Amount?: number;
  SalesItemLineDetail?: {
    ItemRef?: { value?: string };
    Qty?: number;
    UnitPrice?: number;
    ServiceDate?: string;
    TaxCodeRef?: { value?: string };
  };
  DiscountLineDetail?: { PercentBased?: boolean; DiscountPercent?: number };
}

const usTaxMarks = new Set(['TAX', 'NON']);

function invoiceLine(line: EstimateLine, quantity: number | undefined): DocumentLine {
  const detail = line.SalesItemLineDetail ?? {};
  const qty = detail.Qty ?? 1;
  const taxCode = detail.TaxCodeRef?.value;
  return {
    product: { qboItemId: detail.ItemRef?.value ?? '' },
    quantity: quantity ?? qty,
    unitPrice: detail.UnitPrice ?? (line.Amount ?? 0) / qty,
    ...(line.Description !== undefined ? { description: line.Description } : {}),
    ...(detail.ServiceDate !== undefined ? { serviceDate: detail.ServiceDate } : {}),
    ...(taxCode === undefined
      ? {}
      : usTaxMarks.has(taxCode)
        ? { taxable: taxCode === 'TAX' }
        : { taxCode: { id: taxCode } }),
  };
}

export function invoiceFromEstimate(estimate: Estimate, conversion: Conversion): ConversionResult {
  const status = (estimate.TxnStatus ?? 'Pending').toLowerCase();
  if (!convertible.has(status))
    return {
      ok: false,
      problem: {
        code: 'estimate_not_convertible',
        field: 'path.qboId',
        message: `estimate ${estimate.Id} is ${status}: only a pending or accepted estimate becomes an invoice`,
      },
    };
  const itemLines = ((estimate.Line ?? []) as EstimateLine[]).filter(
    (line) => line.DetailType === 'SalesItemLineDetail',
  );
  const chosen: { line: number; quantity?: number }[] =
    conversion.lines ?? itemLines.map((_line, index) => ({ line: index + 1 }));
  const lines: DocumentLine[] = [];
  for (const [index, { line, quantity }] of chosen.entries()) {
    const found = itemLines[line - 1];
    if (!found)
      return {
        ok: false,
        problem: {
          code: 'invalid_reference',
          field: `body.lines.${index}.line`,
          message: `estimate ${estimate.Id} has ${itemLines.length} item lines; there is no line ${line}`,
        },
      };
    const estimated = found.SalesItemLineDetail?.Qty ?? 1;
    if (quantity !== undefined && quantity > estimated)
      return {
        ok: false,
        problem: {
          code: 'invalid_amount',
          field: `body.lines.${index}.quantity`,
          message: `line ${line} of the estimate is for ${estimated}; ${quantity} is more`,
        },
      };
    lines.push(invoiceLine(found, quantity));
  }
  const discount = ((estimate.Line ?? []) as EstimateLine[]).find(
    (line) => line.DetailType === 'DiscountLineDetail',
  );
  const whole = conversion.lines === undefined;
  const txnTaxCode = estimate.TxnTaxDetail?.TxnTaxCodeRef?.value;
  const ref = (value: { value?: string } | undefined) => (value?.value ? { id: value.value } : undefined);
  const request: DocumentRequest = {
    customer: { qboCustomerId: estimate.CustomerRef.value },
    lines,
    ...(estimate.CurrencyRef?.value ? { currency: estimate.CurrencyRef.value } : {}),
    ...(txnTaxCode ? { tax: { code: { id: txnTaxCode } } } : {}),
    ...(estimate.GlobalTaxCalculation
      ? {
          tax: {
            calculation: estimate.GlobalTaxCalculation as 'TaxExcluded' | 'TaxInclusive' | 'NotApplicable',
          },
        }
      : {}),
    ...(discount?.DiscountLineDetail?.PercentBased && discount.DiscountLineDetail.DiscountPercent
      ? { discount: { percent: discount.DiscountLineDetail.DiscountPercent } }
      : whole && discount?.Amount
        ? { discount: { amount: discount.Amount } }
        : {}),
    ...definedRef('class', ref((estimate as { ClassRef?: { value?: string } }).ClassRef)),
    ...definedRef('location', ref((estimate as { DepartmentRef?: { value?: string } }).DepartmentRef)),
    ...(estimate.CustomerMemo?.value && conversion.memo === undefined
      ? { memo: estimate.CustomerMemo.value }
      : {}),
    ...Object.fromEntries(
      Object.entries(conversion).filter(([key, value]) => key !== 'lines' && value !== undefined),
    ),
    fromEstimate: { qboId: estimate.Id },
  };
  return { ok: true, request };
}

function definedRef<K extends string>(
  key: K,
  value: { id: string } | undefined,
): Partial<Record<K, { id: string }>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, { id: string }>);
}
