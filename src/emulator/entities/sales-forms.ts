import type { Company, QboRecord } from '../company';
import { fault } from '../faults';
import { currencyRef, transactionCurrency } from './currency';
import {
  compact,
  isObject,
  money,
  optionalAddress,
  optionalBoolean,
  optionalDate,
  optionalEmail,
  optionalEnum,
  optionalListRef,
  optionalNumber,
  optionalRef,
  optionalString,
  refTo,
  resolveRef,
  type Ref,
} from './fields';
import { customFieldValues } from './custom-fields';
import { inventoryKnocks } from './inventory';
import { estimateKnocks, linkedTransactions } from './linked-transactions';
import { lineTaxCode, taxMode, transactionTax, type TaxedLine, type TaxMode } from './transaction-tax';
import type { Draft, EntityDefinition, Input, RuleContext } from './types';

/**
 * Invoice, Estimate, SalesReceipt, CreditMemo and RefundReceipt share one shape in QBO ("same shape as an
 * Invoice"): lines of items, a customer, a currency and amounts the server totals. Each kind adds a few fields.
 */
interface FormBasics {
  customer: QboRecord;
  total: number;
  txnDate: string;
  /** Home-currency units per transaction-currency unit (1 when single-currency). */
  rate: number;
}

interface SalesFormKind {
  name: string;
  extraWritable: string[];
  /** Fields specific to this kind, validated and completed. */
  extra(fields: Input, context: RuleContext, form: FormBasics): Draft;
}

const emailStatuses = ['NotSet', 'NeedToSend', 'EmailSent'] as const;
const printStatuses = ['NotSet', 'NeedToPrint', 'PrintComplete'] as const;
const lineTypes = [
  'SalesItemLineDetail',
  'DescriptionOnly',
  'DiscountLineDetail',
  'SubTotalLineDetail',
  'GroupLineDetail',
];

const commonWritable = [
  'DocNumber',
  'TxnDate',
  'CustomerRef',
  'CurrencyRef',
  'ExchangeRate',
  'Line',
  'BillEmail',
  'BillEmailCc',
  'BillEmailBcc',
  'BillAddr',
  'ShipAddr',
  'CustomerMemo',
  'PrivateNote',
  'EmailStatus',
  'PrintStatus',
  'CustomField',
  'ClassRef',
  'DepartmentRef',
  'TxnTaxDetail',
  'ApplyTaxAfterDiscount',
  'GlobalTaxCalculation',
  'ShipDate',
  'TrackingNum',
  'ShipMethodRef',
  'ShipFromAddr',
  'FreeFormAddress',
  'LinkedTxn',
];
/** Read-only or system fields clients echo back (python-quickbooks sends several of them on every create). */
const commonComputed = [
  'EInvoiceStatus',
  'RecurDataRef',
  'TaxExemptionRef',
  'LastModifiedByRef',
  'Tag',
  'TxnSource',
  'TotalAmt',
  'HomeTotalAmt',
  'Balance',
  'HomeBalance',
  'RemainingCredit',
  'Deposit',
  'DeliveryInfo',
  'InvoiceLink',
];

interface BuiltLines {
  lines: Record<string, unknown>[];
  /** The sales lines as tax sees them. */
  taxed: TaxedLine[];
  subtotal: number;
  discount: number;
}

/**
 * Line Ids persist across updates, as QBO's do: a sent line whose Id matches a current line keeps it, a new line gets
 * the next free Id. LineNum is the line's position.
 */
function lineIdAllocator(previous: unknown): (sent: unknown) => string {
  const existing = new Set(
    (Array.isArray(previous) ? (previous as unknown[]) : [])
      .map((line) => (isObject(line) && typeof line.Id === 'string' ? line.Id : undefined))
      .filter((id): id is string => id !== undefined),
  );
  let highest = Math.max(0, ...[...existing].map(Number).filter(Number.isFinite));
  const used = new Set<string>();
  return (sent) => {
    const id = typeof sent === 'string' || typeof sent === 'number' ? String(sent) : undefined;
    if (id !== undefined && existing.has(id) && !used.has(id)) {
      used.add(id);
      return id;
    }
    highest += 1;
    return String(highest);
  };
}

/**
 * Validates the lines, checks Amount = Qty × UnitPrice, resolves items, classes and tax codes, and adds the subtotal
 * line QBO always returns.
 */
function buildLines(company: Company, input: unknown, previous: unknown, mode: TaxMode): BuiltLines {
  if (!Array.isArray(input) || input.length === 0) throw fault.requiredParam('Line');
  const lines: Record<string, unknown>[] = [];
  const taxed: TaxedLine[] = [];
  const nextId = lineIdAllocator(previous);
  let subtotal = 0;
  let discount = 0;
  let lineNumber = 0;
  for (const [index, raw] of input.entries()) {
    if (!isObject(raw)) throw fault.invalidValue(`Line[${index}]`, 'Expected a line object.');
    const detailType = optionalString(raw, 'DetailType', 50);
    if (!detailType) throw fault.requiredParam('Line.DetailType');
    if (!lineTypes.includes(detailType)) throw fault.invalidEnumeration('Line.DetailType', detailType);
    if (detailType === 'SubTotalLineDetail') continue; // recomputed below
    const description = optionalString(raw, 'Description', 4000);
    if (detailType === 'DescriptionOnly') {
      lines.push(
        compact({
          Id: nextId(raw.Id),
          LineNum: ++lineNumber,
          Description: description,
          DetailType: detailType,
          DescriptionLineDetail: {},
        }),
      );
      continue;
    }
    if (detailType === 'DiscountLineDetail') {
      const detail = isObject(raw.DiscountLineDetail) ? raw.DiscountLineDetail : {};
      const percentBased = optionalBoolean(detail, 'PercentBased') ?? false;
      const percent = optionalNumber(detail, 'DiscountPercent');
      const amount =
        percentBased && percent !== undefined
          ? money((subtotal * percent) / 100)
          : optionalNumber(raw, 'Amount');
      if (amount === undefined) throw fault.requiredParam('Line.Amount');
      discount += amount;
      // Intuit's samples show discount lines without an Id or LineNum.
      lines.push(
        compact({
          Amount: money(amount),
          DetailType: detailType,
          DiscountLineDetail: compact({
            PercentBased: percentBased,
            DiscountPercent: percent,
            DiscountAccountRef: optionalListRef(
              company,
              detail,
              'DiscountAccountRef',
              'Account',
              'FullyQualifiedName',
            ),
          }),
        }),
      );
      continue;
    }
    const detail = isObject(raw[detailType]) ? (raw[detailType] as Input) : {};
    const amount = optionalNumber(raw, 'Amount');
    if (amount === undefined) throw fault.requiredParam('Line.Amount');
    // python-quickbooks sends Qty and UnitPrice of 0 when the client set neither: no price to check against.
    const qty = optionalNumber(detail, 'Qty') || undefined;
    const unitPrice = optionalNumber(detail, 'UnitPrice') || undefined;
    if (qty !== undefined && unitPrice !== undefined && money(qty * unitPrice) !== money(amount)) {
      throw fault.amountCalculation('Line.Amount', amount);
    }
    const itemRef = optionalRef(detail, 'ItemRef') ?? { value: '1' }; // QBO falls back to the "Services" item
    const item = resolveRef(company, 'Item', itemRef, 'Line.SalesItemLineDetail.ItemRef');
    const taxCode = lineTaxCode(company, detail, mode);
    subtotal += amount;
    taxed.push({ amount, taxCode });
    lines.push(
      compact({
        Id: nextId(raw.Id),
        LineNum: ++lineNumber,
        Description: description,
        Amount: money(amount),
        DetailType: detailType,
        [detailType]: compact({
          ItemRef: refTo(item, 'Name'),
          ClassRef: optionalListRef(company, detail, 'ClassRef', 'Class', 'FullyQualifiedName'),
          Qty: qty,
          UnitPrice: unitPrice,
          ServiceDate: optionalDate(detail, 'ServiceDate'),
          ItemAccountRef:
            optionalListRef(company, detail, 'ItemAccountRef', 'Account') ??
            (item.IncomeAccountRef as Draft | undefined),
          TaxCodeRef: taxCode,
          TaxInclusiveAmt: mode.calculation === 'TaxInclusive' ? money(amount) : undefined,
        }),
      }),
    );
  }
  lines.push({ Amount: money(subtotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
  return { lines, taxed, subtotal: money(subtotal), discount: money(discount) };
}

export function resolveCustomer(company: Company, fields: Input): QboRecord {
  const ref: Ref | undefined = optionalRef(fields, 'CustomerRef');
  if (!ref) throw fault.requiredParam('CustomerRef');
  return resolveRef(company, 'Customer', ref, 'CustomerRef');
}

/** What a payment or credit has already settled on this record: the part of its total no longer open. */
export function settledAmount(record: QboRecord | undefined): number {
  if (!record) return 0;
  return money(Number(record.TotalAmt ?? 0) - Number(record.Balance ?? 0));
}

function salesForm(kind: SalesFormKind): EntityDefinition {
  return {
    name: kind.name,
    kind: 'transaction',
    writable: new Set([...commonWritable, ...kind.extraWritable]),
    computed: new Set(commonComputed),
    canCreate: true,
    canDelete: true,
    canVoid: kind.name !== 'Estimate',
    uniqueDocNumber: true,
    build(fields, context) {
      const { company, current } = context;
      const customer = resolveCustomer(company, fields);
      const currency = transactionCurrency(company, fields, customer);
      const mode = taxMode(company, fields);
      const { lines, taxed, subtotal, discount } = buildLines(company, fields.Line, current?.Line, mode);
      const applyTaxAfterDiscount = optionalBoolean(fields, 'ApplyTaxAfterDiscount') ?? false;
      const tax = transactionTax(company, fields, mode, taxed, { subtotal, discount, applyTaxAfterDiscount });
      const total = money(subtotal - discount + (tax.inclusive ? 0 : tax.totalTax));
      const txnDate = optionalDate(fields, 'TxnDate') ?? company.today();
      // "If not explicitly provided at create time, this field is populated based on the setting of
      // Preferences:CustomTxnNumber": numbered by QBO unless the company numbers its own.
      const docNumber =
        (optionalString(fields, 'DocNumber', 21) || undefined) ??
        (current?.DocNumber as string | undefined) ??
        (company.settings.customTxnNumbers ? undefined : company.nextDocNumber(kind.name));
      const emailStatus = optionalEnum(fields, 'EmailStatus', emailStatuses) ?? 'NotSet';
      const billEmail =
        optionalEmail(fields, 'BillEmail') ??
        (isObject(customer.PrimaryEmailAddr)
          ? (customer.PrimaryEmailAddr as { Address: string })
          : undefined);
      if (emailStatus === 'NeedToSend' && !billEmail) throw fault.requiredParam('BillEmail');
      const multi = company.settings.multiCurrency;
      const draft = compact({
        DocNumber: docNumber,
        TxnDate: txnDate,
        CustomerRef: refTo(customer, 'DisplayName'),
        CurrencyRef: currencyRef(currency.code),
        ExchangeRate: multi ? currency.rate : undefined,
        ClassRef: optionalListRef(company, fields, 'ClassRef', 'Class', 'FullyQualifiedName'),
        DepartmentRef: optionalListRef(company, fields, 'DepartmentRef', 'Department', 'FullyQualifiedName'),
        Line: lines,
        GlobalTaxCalculation: tax.GlobalTaxCalculation,
        TxnTaxDetail: tax.TxnTaxDetail,
        TotalAmt: total,
        HomeTotalAmt: multi ? money(total * currency.rate) : undefined,
        BillEmail: billEmail,
        BillEmailCc: optionalEmail(fields, 'BillEmailCc'),
        BillEmailBcc: optionalEmail(fields, 'BillEmailBcc'),
        BillAddr:
          optionalAddress(company, fields, 'BillAddr', current?.BillAddr) ??
          (customer.BillAddr as Draft | undefined),
        ShipAddr:
          optionalAddress(company, fields, 'ShipAddr', current?.ShipAddr) ??
          (customer.ShipAddr as Draft | undefined),
        ShipFromAddr: optionalAddress(company, fields, 'ShipFromAddr', current?.ShipFromAddr),
        FreeFormAddress: optionalBoolean(fields, 'FreeFormAddress'),
        ShipDate: optionalDate(fields, 'ShipDate'),
        TrackingNum: optionalString(fields, 'TrackingNum', 31) || undefined,
        CustomerMemo: isObject(fields.CustomerMemo)
          ? { value: optionalString(fields.CustomerMemo, 'value', 1000) ?? '' }
          : undefined,
        PrivateNote: optionalString(fields, 'PrivateNote', 4000),
        EmailStatus: emailStatus,
        PrintStatus: optionalEnum(fields, 'PrintStatus', printStatuses) ?? 'NotSet',
        DeliveryInfo: current?.DeliveryInfo as Draft | undefined,
        LinkedTxn: linkedTransactions(company, fields.LinkedTxn, current?.LinkedTxn),
        ApplyTaxAfterDiscount: applyTaxAfterDiscount,
        CustomField: customFieldValues(company, kind.name, fields.CustomField, current?.CustomField),
      });
      const rate = multi ? currency.rate : 1;
      return { ...draft, ...kind.extra(fields, context, { customer, total, txnDate, rate }) };
    },
    knocks(before, after, { company, id }) {
      return [
        ...estimateKnocks(kind.name, id, before, after),
        ...inventoryKnocks(
          kind.name,
          before,
          after,
          (itemId) => company.get('Item', itemId)?.TrackQtyOnHand === true,
        ),
      ];
    },
    voided(record) {
      // "all amounts and quantities are zeroed and the string, Voided, is injected into … PrivateNote"
      const previousNote = typeof record.PrivateNote === 'string' ? record.PrivateNote : '';
      const note = previousNote.startsWith('Voided') ? previousNote : `Voided ${previousNote}`.trim();
      const zeroLines = Array.isArray(record.Line)
        ? (record.Line as Record<string, unknown>[]).map((line) => {
            const detail = line.SalesItemLineDetail;
            return isObject(detail)
              ? { ...line, Amount: 0, SalesItemLineDetail: { ...detail, Qty: 0 } }
              : { ...line, Amount: 0 };
          })
        : [];
      return compact({
        ...record,
        Line: zeroLines,
        TxnTaxDetail: { TotalTax: 0 },
        TotalAmt: 0,
        HomeTotalAmt: record.HomeTotalAmt === undefined ? undefined : 0,
        Balance: record.Balance === undefined ? undefined : 0,
        HomeBalance: record.HomeBalance === undefined ? undefined : 0,
        RemainingCredit: record.RemainingCredit === undefined ? undefined : 0,
        PrivateNote: note,
      });
    },
    checkRemove(record) {
      const payments = (Array.isArray(record.LinkedTxn) ? record.LinkedTxn : []).filter(
        (link: Record<string, unknown>) => link.TxnType === 'Payment',
      );
      if (payments.length > 0) {
        throw fault.businessValidation(
          'You must unlink any linked transactions associated with the transaction before deleting or voiding it.',
        );
      }
    },
  };
}

function termDueDate(company: Company, termRef: Ref | undefined, txnDate: string): string | undefined {
  if (!termRef) return undefined;
  const term = company.get('Term', termRef.value);
  const days = Number(term?.DueDays ?? NaN);
  if (!Number.isFinite(days)) return undefined;
  const due = new Date(`${txnDate}T00:00:00Z`);
  due.setUTCDate(due.getUTCDate() + days);
  return due.toISOString().slice(0, 10);
}

function salesTerm(company: Company, fields: Input, customer: QboRecord): Ref | undefined {
  const ref =
    optionalRef(fields, 'SalesTermRef') ??
    (isObject(customer.SalesTermRef) ? { value: String(customer.SalesTermRef.value) } : undefined);
  return ref ? refTo(resolveRef(company, 'Term', ref, 'SalesTermRef'), 'Name') : undefined;
}

export const invoiceEntity = salesForm({
  name: 'Invoice',
  extraWritable: [
    'DueDate',
    'SalesTermRef',
    'AllowOnlineCreditCardPayment',
    'AllowOnlineACHPayment',
    'AllowIPNPayment',
    'AllowOnlinePayment',
    'Deposit',
  ],
  extra(fields, { company, current }, { customer, total, txnDate, rate }) {
    const term = salesTerm(company, fields, customer);
    const paid = settledAmount(current);
    if (paid > total) {
      throw fault.businessValidation(
        `The invoice total ${total} is less than the ${paid} already paid on it.`,
        'Line',
      );
    }
    const balance = money(total - paid);
    return compact({
      SalesTermRef: term,
      DueDate: optionalDate(fields, 'DueDate') ?? termDueDate(company, term, txnDate) ?? txnDate,
      Balance: balance,
      HomeBalance: company.settings.multiCurrency ? money(balance * rate) : undefined,
      Deposit: 0,
      AllowOnlineCreditCardPayment: optionalBoolean(fields, 'AllowOnlineCreditCardPayment') ?? false,
      AllowOnlineACHPayment: optionalBoolean(fields, 'AllowOnlineACHPayment') ?? false,
      AllowIPNPayment: optionalBoolean(fields, 'AllowIPNPayment') ?? false,
      AllowOnlinePayment: optionalBoolean(fields, 'AllowOnlinePayment') ?? false,
    });
  },
});

export const estimateEntity = salesForm({
  name: 'Estimate',
  extraWritable: ['TxnStatus', 'ExpirationDate', 'AcceptedDate', 'AcceptedBy', 'SalesTermRef', 'DueDate'],
  extra(fields, { company }, { customer }) {
    return compact({
      TxnStatus:
        optionalEnum(fields, 'TxnStatus', [
          'Accepted',
          'Closed',
          'Pending',
          'Rejected',
          'Converted',
        ] as const) ?? 'Pending',
      ExpirationDate: optionalDate(fields, 'ExpirationDate'),
      AcceptedDate: optionalDate(fields, 'AcceptedDate'),
      AcceptedBy: optionalString(fields, 'AcceptedBy', 100),
      SalesTermRef: salesTerm(company, fields, customer),
      DueDate: optionalDate(fields, 'DueDate'),
    });
  },
});

function paidOnTheSpot(name: string): SalesFormKind {
  return {
    name,
    extraWritable: ['PaymentMethodRef', 'PaymentRefNum', 'DepositToAccountRef', 'CreditCardPayment'],
    extra(fields, { company }) {
      const method = optionalRef(fields, 'PaymentMethodRef');
      return compact({
        PaymentMethodRef: method
          ? refTo(resolveRef(company, 'PaymentMethod', method, 'PaymentMethodRef'), 'Name')
          : undefined,
        PaymentRefNum: optionalString(fields, 'PaymentRefNum', 21),
        DepositToAccountRef: optionalRef(fields, 'DepositToAccountRef') ?? {
          value: '4',
          name: 'Undeposited Funds',
        },
        Balance: 0, // "Balance is always 0"
      });
    },
  };
}

export const salesReceiptEntity = salesForm(paidOnTheSpot('SalesReceipt'));
export const refundReceiptEntity = salesForm(paidOnTheSpot('RefundReceipt'));

export const creditMemoEntity = salesForm({
  name: 'CreditMemo',
  extraWritable: [],
  extra(_fields, { current }, { total }) {
    const applied = settledAmount(current);
    const remaining = money(Math.max(total - applied, 0));
    return { Balance: remaining, RemainingCredit: remaining };
  },
});
