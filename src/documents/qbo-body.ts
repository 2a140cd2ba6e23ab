import { toQboAddress } from '../sync/customer-mapping';
import { type CustomFieldValue, type DocumentKind, type DocumentRequest } from './request';
import type { DocumentPlan, PlannedLine } from './validate';

/**
 * The QBO body of a checked document (./validate.ts made the plan): sales item lines, a discount line, the tax
 * model of the company's country (US: `TxnTaxDetail.TxnTaxCodeRef` and TAX/NON lines; elsewhere per-line
 * `TaxCodeRef` and `GlobalTaxCalculation`) and the kind's own fields. Pure.
 */

const customFieldTypes = { string: 'StringType', number: 'NumberType', date: 'DateType' } as const;
const valueKeys = { string: 'StringValue', number: 'NumberValue', date: 'DateValue' } as const;
const estimateStatuses = { pending: 'Pending', accepted: 'Accepted', rejected: 'Rejected' } as const;

const ref = (value: string | undefined) => (value === undefined ? undefined : { value });

function salesLine(line: PlannedLine, itemId: string) {
  return {
    DetailType: 'SalesItemLineDetail',
    Amount: line.amount,
    ...(line.description !== undefined ? { Description: line.description } : {}),
    SalesItemLineDetail: {
      ItemRef: { value: itemId, name: line.itemName },
      Qty: line.quantity,
      UnitPrice: line.unitPrice,
      ...(line.serviceDate !== undefined ? { ServiceDate: line.serviceDate } : {}),
      ...(line.taxCodeId !== undefined ? { TaxCodeRef: { value: line.taxCodeId } } : {}),
    },
  };
}

function customField(field: CustomFieldValue) {
  return {
    DefinitionId: field.definitionId,
    Type: customFieldTypes[field.type],
    [valueKeys[field.type]]: field.value,
  };
}

/** Drops the keys whose value is undefined, so the body sends only what the request says. */
function defined<T extends Record<string, unknown>>(body: T): Partial<T> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * `itemIds` gives the QBO item of each planned line, in order: the plan's own item, or the one just created for a
 * missing product (policy `create_item`).
 */
export function qboDocumentBody(
  kind: DocumentKind,
  request: DocumentRequest,
  plan: DocumentPlan,
  qboCustomerId: string,
  itemIds: readonly string[],
): Record<string, unknown> {
  const lines: unknown[] = plan.lines.map((line, index) => salesLine(line, itemIds[index]!));
  if (plan.discount)
    lines.push({
      DetailType: 'DiscountLineDetail',
      Amount: plan.discount.amount,
      DiscountLineDetail:
        plan.discount.percent !== undefined
          ? { PercentBased: true, DiscountPercent: plan.discount.percent }
          : { PercentBased: false },
    });
  return defined({
    CustomerRef: { value: qboCustomerId },
    Line: lines,
    CurrencyRef: { value: plan.currency },
    TxnDate: request.txnDate,
    DocNumber: request.docNumber,
    PrivateNote: request.privateNote,
    CustomerMemo: request.memo === undefined ? undefined : { value: request.memo },
    ClassRef: ref(plan.classId),
    DepartmentRef: ref(plan.locationId),
    TxnTaxDetail:
      plan.txnTaxCodeId === undefined ? undefined : { TxnTaxCodeRef: { value: plan.txnTaxCodeId } },
    GlobalTaxCalculation: plan.globalTaxCalculation,
    ApplyTaxAfterDiscount: request.applyTaxAfterDiscount,
    CustomField: request.customFields?.map(customField),
    BillEmail: request.email === undefined ? undefined : { Address: request.email },
    BillAddr: request.billingAddress && toQboAddress(request.billingAddress),
    ShipAddr: request.shippingAddress && toQboAddress(request.shippingAddress),
    ...kindFields(kind, request, plan),
  });
}

function kindFields(
  kind: DocumentKind,
  request: DocumentRequest,
  plan: DocumentPlan,
): Record<string, unknown> {
  if (kind === 'invoice')
    return {
      SalesTermRef: ref(plan.termsId),
      DueDate: request.dueDate,
      AllowOnlineCreditCardPayment: request.allowOnlinePayment?.card,
      AllowOnlineACHPayment: request.allowOnlinePayment?.ach,
      LinkedTxn: request.fromEstimate && [{ TxnId: request.fromEstimate.qboId, TxnType: 'Estimate' }],
    };
  if (kind === 'estimate')
    return {
      ExpirationDate: request.expirationDate,
      TxnStatus: request.status && estimateStatuses[request.status],
      AcceptedBy: request.acceptedBy,
      AcceptedDate: request.acceptedDate,
    };
  return { PaymentMethodRef: ref(plan.paymentMethodId), PaymentRefNum: request.paymentReference };
}
