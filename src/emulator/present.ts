import { createHash } from 'node:crypto';
import type { Company, QboRecord } from './company';
import { visibleCustomFields } from './entities/custom-fields';
import { isObject } from './entities/fields';
import type { Draft } from './entities/types';

/** What a read asked to see beyond the default: the request's `include` values, lower-cased. */
export interface ReadView {
  include: readonly string[];
}

export const defaultView: ReadView = { include: [] };

export function readView(include: string | undefined): ReadView {
  return {
    include: (include ?? '')
      .toLowerCase()
      .split(',')
      .map((value) => value.trim()),
  };
}

/**
 * A record as a read shows it: custom fields as the classic or the enhanced API shows them, and an invoice's
 * `InvoiceLink` when `include=invoiceLink` asks for it ("generated only for invoices with online payment enabled and
 * having a valid customer email address").
 */
export function present(company: Company, entity: string, record: QboRecord, view: ReadView): QboRecord {
  const shown: QboRecord = { ...record };
  if (Array.isArray(record.CustomField)) {
    const visible = visibleCustomFields(
      company,
      entity,
      record.CustomField as Draft[],
      view.include.includes('enhancedallcustomfields'),
    );
    if (visible === undefined) delete shown.CustomField;
    else shown.CustomField = visible;
  }
  if (entity === 'Invoice' && view.include.includes('invoicelink') && invoiceLinkable(record)) {
    shown.InvoiceLink = invoiceLink(company, record);
  }
  return shown;
}

function invoiceLinkable(invoice: QboRecord): boolean {
  const online = invoice.AllowOnlineCreditCardPayment === true || invoice.AllowOnlineACHPayment === true;
  return online && isObject(invoice.BillEmail) && typeof invoice.BillEmail.Address === 'string';
}

/** A stable link of the shape Intuit's customer-facing invoice links have. */
function invoiceLink(company: Company, invoice: QboRecord): string {
  const token = createHash('sha256').update(`${company.realmId}:${invoice.Id}`).digest('hex').slice(0, 40);
  return `https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-${token}?locale=en_US`;
}
