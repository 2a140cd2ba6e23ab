import type { QboRecord } from '../company';
import { fault } from '../faults';
import { currencyRef, transactionCurrency } from './currency';
import {
  compact,
  isObject,
  money,
  optionalDate,
  optionalNumber,
  optionalRef,
  optionalString,
  refTo,
  resolveRef,
} from './fields';
import { resolveCustomer } from './sales-forms';
import type { Draft, EntityDefinition, Knock } from './types';

interface Application {
  invoiceId: string;
  amount: number;
}

/** The invoice amounts a payment applies, read from its lines' `LinkedTxn`. */
function applications(record: Draft | undefined): Application[] {
  const lines = record && Array.isArray(record.Line) ? (record.Line as unknown[]) : [];
  const result: Application[] = [];
  for (const line of lines) {
    if (!isObject(line) || !Array.isArray(line.LinkedTxn)) continue;
    for (const link of line.LinkedTxn as unknown[]) {
      if (isObject(link) && link.TxnType === 'Invoice') {
        result.push({ invoiceId: String(link.TxnId), amount: Number(line.Amount ?? 0) });
      }
    }
  }
  return result;
}

function appliedTo(record: Draft | undefined, invoiceId: string): number {
  return money(
    applications(record)
      .filter((a) => a.invoiceId === invoiceId)
      .reduce((sum, a) => sum + a.amount, 0),
  );
}

/**
 * A received payment. Its lines link invoices through `LinkedTxn`, and each linked invoice's Balance drops by the
 * line's Amount; what is left over is `UnappliedAmt` ("can be created without any Invoice … by just specifying an
 * amount").
 */
export const paymentEntity: EntityDefinition = {
  name: 'Payment',
  kind: 'transaction',
  writable: new Set([
    'TxnDate',
    'CustomerRef',
    'CurrencyRef',
    'ExchangeRate',
    'TotalAmt',
    'Line',
    'PaymentMethodRef',
    'PaymentRefNum',
    'DepositToAccountRef',
    'ARAccountRef',
    'PrivateNote',
    'ProcessPayment',
    'CreditCardPayment',
    'TxnSource',
  ]),
  computed: new Set(['UnappliedAmt', 'HomeTotalAmt', 'LinkedTxn']),
  canCreate: true,
  canDelete: true,
  canVoid: true,

  build(fields, { company, current }) {
    const customer = resolveCustomer(company, fields);
    const total = optionalNumber(fields, 'TotalAmt');
    if (total === undefined) throw fault.requiredParam('TotalAmt');
    if (total < 0) throw fault.businessValidation('A payment amount cannot be negative.', 'TotalAmt');
    const { code: currency, rate } = transactionCurrency(company, fields, customer);

    const rawLines = fields.Line === undefined || fields.Line === null ? [] : fields.Line;
    if (!Array.isArray(rawLines)) throw fault.invalidValue('Line', 'Expected an array of lines.');
    const lines: Draft[] = [];
    let applied = 0;
    for (const raw of rawLines as unknown[]) {
      if (!isObject(raw)) throw fault.invalidValue('Line', 'Expected a line object.');
      const amount = optionalNumber(raw, 'Amount');
      if (amount === undefined) throw fault.requiredParam('Line.Amount');
      const links = Array.isArray(raw.LinkedTxn) ? (raw.LinkedTxn as unknown[]) : [];
      if (links.length === 0) throw fault.requiredParam('Line.LinkedTxn');
      const linked: Draft[] = [];
      for (const link of links) {
        if (!isObject(link) || (typeof link.TxnId !== 'string' && typeof link.TxnId !== 'number')) {
          throw fault.requiredParam('Line.LinkedTxn.TxnId');
        }
        if (link.TxnType !== 'Invoice') {
          throw fault.businessValidation(
            `Applying a payment to a ${String(link.TxnType)} is not supported.`,
            'Line.LinkedTxn.TxnType',
          );
        }
        const invoice = company.get('Invoice', String(link.TxnId));
        if (!invoice)
          throw fault.objectNotFound(
            'Object Not Found : Another user has deleted this transaction.',
            'Line.LinkedTxn.TxnId',
          );
        if ((invoice.CustomerRef as { value: string }).value !== customer.Id) {
          throw fault.businessValidation(
            'The linked invoice belongs to another customer.',
            'Line.LinkedTxn.TxnId',
          );
        }
        const open = money(Number(invoice.Balance ?? 0) + appliedTo(current, invoice.Id));
        if (money(amount) > open) {
          throw fault.businessValidation(
            `The amount ${amount} is more than the invoice's open balance of ${open}.`,
            'Line.Amount',
          );
        }
        linked.push({ TxnId: invoice.Id, TxnType: 'Invoice' });
      }
      applied += amount;
      lines.push({ Amount: money(amount), LinkedTxn: linked });
    }
    if (money(applied) > money(total)) {
      throw fault.businessValidation(
        `The applied amount ${money(applied)} is more than the payment total ${total}.`,
        'Line.Amount',
      );
    }
    const multi = company.settings.multiCurrency;
    const method = optionalRef(fields, 'PaymentMethodRef');
    return compact({
      TxnDate: optionalDate(fields, 'TxnDate') ?? company.today(),
      CustomerRef: refTo(customer, 'DisplayName'),
      CurrencyRef: currencyRef(currency),
      ExchangeRate: multi ? rate : undefined,
      TotalAmt: money(total),
      HomeTotalAmt: multi ? money(total * rate) : undefined,
      UnappliedAmt: money(total - applied),
      Line: lines,
      PaymentMethodRef: method
        ? refTo(resolveRef(company, 'PaymentMethod', method, 'PaymentMethodRef'), 'Name')
        : undefined,
      PaymentRefNum: optionalString(fields, 'PaymentRefNum', 21),
      DepositToAccountRef: optionalRef(fields, 'DepositToAccountRef') ?? { value: '4' },
      PrivateNote: optionalString(fields, 'PrivateNote', 4000),
      ProcessPayment: false,
    });
  },

  voided(record) {
    return {
      ...record,
      TotalAmt: 0,
      HomeTotalAmt: record.HomeTotalAmt === undefined ? undefined : 0,
      UnappliedAmt: 0,
      Line: [],
      PrivateNote: 'Voided',
    };
  },

  knocks(before, after, { id }) {
    const invoiceIds = new Set([...applications(before), ...applications(after)].map((a) => a.invoiceId));
    const knocks: Knock[] = [];
    for (const invoiceId of invoiceIds) {
      const delta = money(appliedTo(before, invoiceId) - appliedTo(after, invoiceId));
      const stillLinked = applications(after).some((a) => a.invoiceId === invoiceId);
      const wasLinked = applications(before).some((a) => a.invoiceId === invoiceId);
      // Editing a payment's memo must not bump its invoices (and cost their holders a 5010).
      if (delta === 0 && stillLinked === wasLinked) continue;
      knocks.push({
        entity: 'Invoice',
        id: invoiceId,
        touch: true,
        apply(invoice: QboRecord) {
          const balance = money(Number(invoice.Balance ?? 0) + delta);
          const rate = Number(invoice.ExchangeRate ?? 1);
          const others = (Array.isArray(invoice.LinkedTxn) ? (invoice.LinkedTxn as Draft[]) : []).filter(
            (link) => !(link.TxnType === 'Payment' && link.TxnId === id),
          );
          return compact({
            ...invoice,
            Balance: balance,
            HomeBalance: invoice.HomeBalance === undefined ? undefined : money(balance * rate),
            LinkedTxn: stillLinked ? [...others, { TxnId: id, TxnType: 'Payment' }] : others,
          });
        },
      });
    }
    return knocks;
  },
};
