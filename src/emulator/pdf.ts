import PDFDocument from 'pdfkit';
import type { Company, QboRecord } from './company';
import { isObject } from './entities/fields';

const titles: Record<string, string> = {
  Invoice: 'INVOICE',
  Estimate: 'ESTIMATE',
  SalesReceipt: 'SALES RECEIPT',
  CreditMemo: 'CREDIT MEMO',
  RefundReceipt: 'REFUND RECEIPT',
};

export const printableEntities = Object.keys(titles);

interface Row {
  label: string;
  amount: number;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const amount = (value: unknown): string => Number(value ?? 0).toFixed(2);

function addressLines(address: unknown): string[] {
  if (!isObject(address)) return [];
  const cityLine = [address.City, address.CountrySubDivisionCode, address.PostalCode]
    .map(text)
    .join(' ')
    .trim();
  return [address.Line1, address.Line2, address.Line3, cityLine, address.Country].map(text).filter(Boolean);
}

/** The totals block: subtotal, discounts, each tax rate, the total and what is still due. */
function totals(entity: string, document: QboRecord): Row[] {
  const lines = Array.isArray(document.Line) ? (document.Line as Record<string, unknown>[]) : [];
  const rows: Row[] = [];
  for (const line of lines) {
    if (line.DetailType === 'SubTotalLineDetail')
      rows.push({ label: 'Subtotal', amount: Number(line.Amount) });
    if (line.DetailType === 'DiscountLineDetail')
      rows.push({ label: 'Discount', amount: -Number(line.Amount) });
  }
  const taxLines = isObject(document.TxnTaxDetail) ? document.TxnTaxDetail.TaxLine : undefined;
  for (const tax of Array.isArray(taxLines) ? (taxLines as Record<string, unknown>[]) : []) {
    const detail = isObject(tax.TaxLineDetail) ? tax.TaxLineDetail : {};
    const rate = isObject(detail.TaxRateRef) ? text(detail.TaxRateRef.name) : '';
    rows.push({ label: `${rate || 'Tax'} @ ${Number(detail.TaxPercent ?? 0)}%`, amount: Number(tax.Amount) });
  }
  rows.push({ label: 'Total', amount: Number(document.TotalAmt ?? 0) });
  if (entity === 'Invoice') {
    rows.push({ label: 'Balance due', amount: Number(document.Balance) });
  }
  return rows;
}

/**
 * Renders a sales form as QBO's "/pdf" does: a one-document PDF with the company, the customer, the document's
 * number and dates, its lines and its totals. Resolves with the bytes.
 */
export function renderSalesFormPdf(company: Company, entity: string, document: QboRecord): Promise<Buffer> {
  const title = titles[entity] ?? entity.toUpperCase();
  const docNumber = text(document.DocNumber);
  const pdf = new PDFDocument({
    size: 'LETTER',
    margin: 50,
    info: {
      Title: `${title} ${docNumber}`.trim(),
      Author: company.settings.companyName,
      Creator: 'QuickBooks Online',
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  const info = company.get('CompanyInfo', '1');
  pdf.font('Helvetica-Bold').fontSize(16).text(company.settings.companyName);
  pdf.font('Helvetica').fontSize(9).text(addressLines(info?.CompanyAddr).join('\n'));
  pdf.moveDown();
  pdf.font('Helvetica-Bold').fontSize(20).text(title);
  pdf.font('Helvetica').fontSize(10);
  const customer = isObject(document.CustomerRef) ? text(document.CustomerRef.name) : '';
  pdf.text(['Bill to', customer, ...addressLines(document.BillAddr)].filter(Boolean).join('\n'));
  pdf.moveDown();
  const facts = [
    ['No.', docNumber],
    ['Date', text(document.TxnDate)],
    ['Due date', text(document.DueDate)],
    ['Expiration date', text(document.ExpirationDate)],
  ].filter(([, value]) => value);
  for (const [label, value] of facts) pdf.text(`${label}: ${value}`);
  pdf.moveDown();

  const columns = { item: 50, qty: 330, rate: 400, amount: 480 };
  const row = (cells: [string, string, string, string], bold = false): void => {
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    pdf.text(cells[0], columns.item, y, { width: 270 });
    const after = pdf.y;
    pdf.text(cells[1], columns.qty, y, { width: 60, align: 'right' });
    pdf.text(cells[2], columns.rate, y, { width: 70, align: 'right' });
    pdf.text(cells[3], columns.amount, y, { width: 70, align: 'right' });
    pdf.x = columns.item;
    pdf.y = Math.max(after, pdf.y);
  };
  row(['Product/service', 'Qty', 'Rate', 'Amount'], true);
  const lines = Array.isArray(document.Line) ? (document.Line as Record<string, unknown>[]) : [];
  for (const line of lines) {
    const detail = isObject(line.SalesItemLineDetail) ? line.SalesItemLineDetail : undefined;
    if (line.DetailType === 'DescriptionOnly') row([text(line.Description), '', '', '']);
    if (!detail) continue;
    const item = isObject(detail.ItemRef) ? text(detail.ItemRef.name) : '';
    const label = [item, text(line.Description)].filter(Boolean).join(' - ');
    const qty = typeof detail.Qty === 'number' ? String(detail.Qty) : '';
    const rate = detail.UnitPrice === undefined ? '' : amount(detail.UnitPrice);
    row([label, qty, rate, amount(line.Amount)]);
  }
  pdf.moveDown();
  const currency = isObject(document.CurrencyRef) ? text(document.CurrencyRef.value) : '';
  for (const total of totals(entity, document)) {
    row([total.label, '', '', `${currency} ${amount(total.amount)}`.trim()], total.label === 'Total');
  }
  const memo = isObject(document.CustomerMemo) ? text(document.CustomerMemo.value) : '';
  if (memo) pdf.moveDown().font('Helvetica').text(memo, columns.item);
  pdf.end();
  return done;
}
