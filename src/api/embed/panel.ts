import type { ContactSection, TransactionItem } from '../../contacts/section';
import type { LiveTransactionStatus, TransactionType } from '../../sync/transactions';
import { httpsUrl, markup, type Interpolation, type SafeHtml } from '../../html/markup';
import { externalLinkIcon, quickBooksIcon, renderPage } from './page';

/**
 * The QuickBooks panel of one CRM contact, as a complete HTML document: the customer with a link into QBO, the
 * Payment & Billing Summary and the "QuickBooks Transactions" folder. Pure: everything comes from the section.
 */

const locale = 'en-US';

const typeLabels: Record<TransactionType, string> = {
  Invoice: 'Invoice',
  Payment: 'Payment',
  Estimate: 'Estimate',
  SalesReceipt: 'Sales receipt',
  CreditMemo: 'Credit memo',
  RefundReceipt: 'Refund receipt',
};

type Tone = 'danger' | 'warning' | 'info' | 'success' | 'muted';

// Every badge says its status in words; the colour only repeats it.
const statusBadges: Record<LiveTransactionStatus, { label: string; tone: Tone }> = {
  open: { label: 'Open', tone: 'info' },
  overdue: { label: 'Overdue', tone: 'danger' },
  paid: { label: 'Paid', tone: 'success' },
  partially_paid: { label: 'Partially paid', tone: 'warning' },
  pending: { label: 'Pending', tone: 'info' },
  accepted: { label: 'Accepted', tone: 'success' },
  closed: { label: 'Closed', tone: 'success' },
  rejected: { label: 'Rejected', tone: 'muted' },
  converted: { label: 'Converted', tone: 'success' },
  expired: { label: 'Expired', tone: 'muted' },
  applied: { label: 'Applied', tone: 'success' },
  unapplied: { label: 'Unapplied', tone: 'warning' },
  partially_applied: { label: 'Partially applied', tone: 'warning' },
  voided: { label: 'Voided', tone: 'muted' },
};

// --- formatting ---

const moneyFormats = new Map<string, Intl.NumberFormat | null>();

/** An amount in its currency (`€1,200.00`); a code Intl does not know still shows the amount, with the code. */
export function formatMoney(amount: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      format = null;
    }
    moneyFormats.set(currency, format);
  }
  return format ? format.format(amount) : `${amount.toFixed(2)} ${currency}`;
}

// Dates are calendar days in the company's zone: format them as such, never shifted by a time zone.
const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });

function date(iso: string): SafeHtml {
  const day = new Date(`${iso}T00:00:00Z`);
  return markup`<time datetime="${iso}">${Number.isNaN(day.getTime()) ? iso : dateFormat.format(day)}</time>`;
}

/** A visible dash that screen readers announce as "none". */
const none = markup`<span aria-hidden="true">—</span><span class="sr-only">none</span>`;

/** A link into QBO in a new tab, named for screen readers; without a usable URL, just the content. */
function qboLink(url: string, label: string, content: SafeHtml, className: string): SafeHtml {
  const href = httpsUrl(url);
  if (href === null) return content;
  return markup`<a class="${className}" href="${href}" target="_blank" rel="noopener noreferrer" aria-label="${label} (opens in a new tab)" title="${label}">${content}</a>`;
}

function figure(term: string, value: Interpolation, alert = false): SafeHtml {
  return markup`<div><dt>${term}</dt><dd${alert ? markup` class="alert"` : null}>${value}</dd></div>`;
}

// --- the panel ---

function customerName({ customer }: ContactSection): string {
  return customer.displayName ?? customer.companyName ?? `Customer ${customer.qboCustomerId}`;
}

function header(section: ContactSection, name: string): SafeHtml {
  const { customer } = section;
  const facts = [
    'QuickBooks customer',
    customer.companyName !== null && customer.companyName !== name ? customer.companyName : null,
    customer.active ? null : 'Inactive',
    customer.mergedInto === null ? null : `Merged into customer ${customer.mergedInto}`,
  ].filter((fact) => fact !== null);
  return markup`<header class="panel-head">
${qboLink(customer.qboLink, `Open ${name} in QuickBooks`, quickBooksIcon, 'qb-link')}
<div><h1 id="page-title">${name}</h1><p class="subtitle">${facts.join(' · ')}</p></div>
</header>`;
}

function homeFigures(section: ContactSection): SafeHtml | null {
  const { billingSummary: figures, homeCurrency } = section;
  if (figures.currency.code === homeCurrency) return null;
  const home = figures.home;
  if (home === null)
    return markup`<p class="note">Figures in the home currency (${homeCurrency}) are not available: QuickBooks gave no exchange rate for some transactions.</p>`;
  return markup`<h3 id="home-title">In the home currency (${home.currency})</h3>
<dl class="figures" aria-labelledby="home-title">
${figure('Open balance', formatMoney(home.openBalance, home.currency))}
${figure('Overdue balance', formatMoney(home.overdueBalance, home.currency), home.overdueBalance > 0)}
${figure('Lifetime sales', formatMoney(home.lifetimeSales, home.currency))}
</dl>`;
}

function summary(section: ContactSection): SafeHtml {
  const { billingProfile: profile, billingSummary: figures } = section;
  const code = figures.currency.code;
  const notSet = markup`<span class="note">Not set</span>`;
  const ref = (value: { id: string; name: string | null } | undefined) =>
    value === undefined ? notSet : (value.name ?? value.id);
  const days = figures.oldestOverdueDays;
  const overdueNote =
    days === null
      ? null
      : markup`<span class="note">oldest ${days} ${days === 1 ? 'day' : 'days'} past due</span>`;
  const currencyName = figures.currency.name;
  return markup`<section aria-labelledby="summary-title">
<h2 id="summary-title">Payment &amp; Billing Summary</h2>
<dl class="figures">
${figure('Terms', ref(profile.terms))}
${figure('Payment method', ref(profile.paymentMethod))}
${figure('Delivery preference', profile.deliveryPreference ?? notSet)}
${figure('Currency', [code, currencyName === null ? null : markup`<span class="note">${currencyName}</span>`])}
${figure('Open balance', formatMoney(figures.openBalance, code))}
${figure('Overdue balance', [formatMoney(figures.overdueBalance, code), overdueNote], figures.overdueBalance > 0)}
${figure('Lifetime sales', formatMoney(figures.lifetimeSales, code))}
${figure('Last payment', figures.lastPaymentDate === null ? markup`<span class="note">None yet</span>` : date(figures.lastPaymentDate))}
</dl>
${homeFigures(section)}
</section>`;
}

function transactionRow(view: TransactionItem, homeCurrency: string): SafeHtml {
  const label = typeLabels[view.type];
  const title = view.number === undefined ? label : `${label} ${view.number}`;
  const badge = statusBadges[view.status];
  const code = view.currency.code;
  const homeTotal =
    code !== homeCurrency && view.homeTotal !== null
      ? markup`<span class="home">${formatMoney(view.homeTotal, homeCurrency)}</span>`
      : null;
  const due =
    view.dueDate !== undefined
      ? date(view.dueDate)
      : view.expirationDate !== undefined
        ? markup`Expires ${date(view.expirationDate)}`
        : none;
  return markup`<tr${view.status === 'voided' ? markup` class="voided"` : null} data-type="${view.type}" data-qbo-id="${view.qboId}">
<td>${date(view.txnDate)}</td>
<th scope="row">${title}</th>
<td>${due}</td>
<td><span class="badge tone-${badge.tone}">${badge.label}</span></td>
<td class="num">${formatMoney(view.total, code)}${homeTotal}</td>
<td class="num">${view.balance === 0 ? none : formatMoney(view.balance, code)}</td>
<td>${qboLink(view.qboLink, `Open ${title.toLowerCase()} in QuickBooks`, externalLinkIcon, 'open-link')}</td>
</tr>`;
}

function transactions(section: ContactSection, name: string): SafeHtml {
  const rows = section.transactions;
  // The wrapper scrolls a wide table in a narrow iframe, so keyboard users must be able to focus it.
  const content =
    rows.length === 0
      ? markup`<p class="empty">No transactions in QuickBooks yet.</p>`
      : markup`<div class="table-wrap" role="region" aria-labelledby="transactions-caption" tabindex="0">
<table>
<caption id="transactions-caption" class="sr-only">Transactions of ${name}, newest first</caption>
<thead><tr><th scope="col">Date</th><th scope="col">Transaction</th><th scope="col">Due / expires</th><th scope="col">Status</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Open balance</th><th scope="col"><span class="sr-only">Open in QuickBooks</span></th></tr></thead>
<tbody>
${rows.map((view) => transactionRow(view, section.homeCurrency))}
</tbody>
</table>
</div>`;
  return markup`<section aria-labelledby="transactions-title">
<h2 id="transactions-title">QuickBooks Transactions</h2>
${content}
</section>`;
}

/** The panel for a linked contact, or (for `null`) the page saying the contact is not linked yet. */
export function renderContactPanel(section: ContactSection | null): string {
  if (section === null) {
    return renderPage({
      title: 'QuickBooks: not linked',
      body: markup`<header class="panel-head">${quickBooksIcon}<div><h1 id="page-title">Not linked to QuickBooks</h1></div></header>
<p>This contact has no QuickBooks customer yet. Its customer, billing summary and transactions appear here once it has been synced.</p>`,
    });
  }
  const name = customerName(section);
  const foreign = section.billingSummary.currency.code !== section.homeCurrency;
  return renderPage({
    title: `QuickBooks: ${name}`,
    body: [header(section, name), summary(section), transactions(section, name)],
    footer: markup`<p>QuickBooks data as of ${date(section.asOf)}. Amounts are in each transaction's currency${foreign ? `, with the home currency (${section.homeCurrency}) below` : ''}.</p>`,
  });
}

/** An error as a page (the iframe shows it to a person), with the fields of a problem document. */
export function renderProblemPage(problem: { status: number; title: string; detail: string }): string {
  return renderPage({
    title: `QuickBooks: ${problem.title}`,
    body: markup`<header class="panel-head">${quickBooksIcon}<div><h1 id="page-title">${problem.title}</h1><p class="subtitle">Error ${problem.status}</p></div></header>
<p>${problem.detail}</p>`,
  });
}
