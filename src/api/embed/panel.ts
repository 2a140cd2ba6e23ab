import type { ContactSection } from '../../contacts/section';
import type { ContactArState } from '../../followups/ar';
import { httpsUrl, markup, type Interpolation, type SafeHtml } from '../../html/markup';
import type { LiveTransactionStatus } from '../../sync/transactions';
import { ago, date, formatMoney, formatPercent, none } from './format';
import { externalLinkIcon, quickBooksIcon, renderPage } from './page';
import {
  owedToCustomer,
  panelPageSize,
  panelTransactions,
  type ContactSyncStatus,
  type FilterChoice,
  type PanelInput,
  type PanelTransactions,
  type TransactionRow,
} from './panel-view';

/**
 * The QuickBooks panel of one CRM contact, as a complete HTML document: the customer with a link into QBO, the
 * Payment & Billing Summary with the customer's payment behaviour and tags, and the "QuickBooks Transactions"
 * folder, filtered and paged by plain links (the page runs no script). A contact without a QuickBooks customer gets
 * a page saying why: not sent yet, waiting, rejected with QuickBooks' reasons, or deleted. Pure.
 */

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
  refunded: { label: 'Refunded', tone: 'muted' },
  voided: { label: 'Voided', tone: 'muted' },
};

const statusLabel = (status: LiveTransactionStatus): string => statusBadges[status].label;

/** A link into QBO in a new tab, named for screen readers; without a usable URL, just the content. */
function qboLink(url: string, label: string, content: SafeHtml, className: string): SafeHtml {
  const href = httpsUrl(url);
  if (href === null) return content;
  return markup`<a class="${className}" href="${href}" target="_blank" rel="noopener noreferrer" aria-label="${label} (opens in a new tab)" title="${label}">${content}</a>`;
}

/** An open invoice the customer may pay online: its payment page, to hand on to the customer. */
function payLink(item: TransactionRow['item'], title: string): SafeHtml | null {
  if (item.paymentLink === undefined || item.balance === 0) return null;
  return qboLink(item.paymentLink, `Payment page of ${title.toLowerCase()}`, markup`Pay`, 'pay-link');
}

function figure(
  term: string,
  value: Interpolation,
  options: { alert?: boolean; wide?: boolean } = {},
): SafeHtml {
  return markup`<div${options.wide ? markup` class="wide"` : null}><dt>${term}</dt><dd${options.alert ? markup` class="alert"` : null}>${value}</dd></div>`;
}

const note = (text: Interpolation): SafeHtml => markup`<span class="note">${text}</span>`;

const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;

// --- the customer ---

function customerName({ customer }: ContactSection): string {
  return customer.displayName ?? customer.companyName ?? `Customer ${customer.qboCustomerId}`;
}

function syncedLine({ lastSyncedAt, now }: PanelInput): SafeHtml {
  return markup`<p class="synced">${lastSyncedAt === null ? 'Not synced with QuickBooks yet' : markup`Last synced ${ago(lastSyncedAt, now)}`}</p>`;
}

function header(section: ContactSection, name: string, input: PanelInput): SafeHtml {
  const { customer } = section;
  const facts = [
    'QuickBooks customer',
    customer.companyName !== null && customer.companyName !== name ? customer.companyName : null,
    customer.active ? null : 'Inactive',
    customer.mergedInto === null ? null : `Merged into customer ${customer.mergedInto}`,
  ].filter((fact) => fact !== null);
  return markup`<header class="panel-head">
${qboLink(customer.qboLink, `Open ${name} in QuickBooks`, quickBooksIcon, 'qb-link')}
<div class="head-text"><h1 id="page-title">${name}</h1><p class="subtitle">${facts.join(' · ')}</p>${syncedLine(input)}</div>
</header>`;
}

function problemList(problems: { field: string; problem: string }[]): SafeHtml | null {
  if (problems.length === 0) return null;
  return markup`<ul class="problems">${problems.map(
    ({ field, problem }) => markup`<li><span class="field">${field}</span>: ${problem}</li>`,
  )}</ul>`;
}

/** A linked contact whose latest change QuickBooks refused: the panel still shows the customer as QBO holds it. */
function rejectedNotice(contact: ContactSyncStatus): SafeHtml | null {
  if (contact.state !== 'rejected') return null;
  return markup`<div class="notice" role="alert">
<p><span class="badge tone-danger">Rejected</span> QuickBooks rejected the latest changes to this contact${contact.problems.length > 0 ? ':' : '.'}</p>
${problemList(contact.problems)}
<p class="note">Below is the customer as QuickBooks has it. Correct the contact in the CRM and save it to send it again.</p>
</div>`;
}

// --- the summary ---

function homeFigures(section: ContactSection): SafeHtml | null {
  const { billingSummary: figures, homeCurrency } = section;
  if (figures.currency.code === homeCurrency) return null;
  const home = figures.home;
  if (home === null)
    return markup`<p class="note">Figures in the home currency (${homeCurrency}) are not available: QuickBooks gave no exchange rate for some transactions.</p>`;
  return markup`<h3 id="home-title">In the home currency (${home.currency})</h3>
<dl class="figures" aria-labelledby="home-title">
${figure('Open balance', formatMoney(home.openBalance, home.currency))}
${figure('Overdue balance', formatMoney(home.overdueBalance, home.currency), { alert: home.overdueBalance > 0 })}
${figure('Lifetime sales', formatMoney(home.lifetimeSales, home.currency))}
${home.creditAvailable > 0 ? figure('Credit available', formatMoney(home.creditAvailable, home.currency)) : null}
${home.creditAvailable > 0 ? figure('Net balance', formatMoney(home.netBalance, home.currency)) : null}
</dl>`;
}

function behaviour(ar: ContactArState | null): SafeHtml | null {
  if (ar === null) return null;
  const { averageDaysToPay: days, onTimePaymentRatio: ratio, paidInvoicesMeasured: measured } = ar.figures;
  const basis = note(`over ${plural(measured, 'paid invoice')}`);
  const tooFew = note('No paid invoice to measure yet');
  return markup`<h3 id="behaviour-title">Payment behaviour</h3>
<dl class="figures" aria-labelledby="behaviour-title">
${figure('Average days to pay', days === null ? tooFew : [plural(days, 'day'), basis])}
${figure('Paid on time', ratio === null ? tooFew : [formatPercent(ratio), basis])}
${figure('Tags', ar.tags.length === 0 ? note('None') : markup`<span class="tags">${ar.tags.map((tag) => markup`<span class="tag">${tag}</span>`)}</span>`, { wide: true })}
</dl>`;
}

function summary(section: ContactSection, ar: ContactArState | null): SafeHtml {
  const { billingProfile: profile, billingSummary: figures } = section;
  const code = figures.currency.code;
  const notSet = note('Not set');
  const ref = (value: { id: string; name: string | null } | undefined) =>
    value === undefined ? notSet : (value.name ?? value.id);
  const days = figures.oldestOverdueDays;
  const overdueNote = days === null ? null : note(`oldest ${plural(days, 'day')} past due`);
  const currencyName = figures.currency.name;
  const credit = figures.creditAvailable;
  return markup`<section aria-labelledby="summary-title">
<h2 id="summary-title">Payment &amp; Billing Summary</h2>
<dl class="figures">
${figure('Terms', ref(profile.terms))}
${figure('Payment method', ref(profile.paymentMethod))}
${figure('Delivery preference', profile.deliveryPreference ?? notSet)}
${figure('Currency', [code, currencyName === null ? null : note(currencyName)])}
${figure('Open balance', formatMoney(figures.openBalance, code))}
${figure('Overdue balance', [formatMoney(figures.overdueBalance, code), overdueNote], { alert: figures.overdueBalance > 0 })}
${figure('Lifetime sales', formatMoney(figures.lifetimeSales, code))}
${figure('Last payment', figures.lastPaymentDate === null ? note('None yet') : date(figures.lastPaymentDate))}
${credit > 0 ? figure('Credit available', [formatMoney(credit, code), note('owed to the customer')]) : null}
${credit > 0 ? figure('Net balance', [formatMoney(figures.netBalance, code), note('open balance less credit available')]) : null}
</dl>
${homeFigures(section)}
${behaviour(ar)}
</section>`;
}

// --- the transactions ---

function relations(row: TransactionRow): SafeHtml | null {
  if (row.relations.length === 0) return null;
  return markup`<span class="rel">${row.relations.map(
    (relation) =>
      markup`<span class="rel-line">${relation.verb} ${relation.targets.map(
        (target, index) =>
          markup`${index > 0 ? ', ' : ''}${target.href === null ? target.label : markup`<a href="${target.href}">${target.label}</a>`}`,
      )}</span>`,
  )}</span>`;
}

function amounts(row: TransactionRow, homeCurrency: string): { total: SafeHtml; balance: SafeHtml } {
  const { item } = row;
  const code = item.currency.code;
  const sign = owedToCustomer(item.type) ? -1 : 1;
  const homeTotal =
    code !== homeCurrency && item.homeTotal !== null
      ? markup`<span class="home">${formatMoney(sign * item.homeTotal, homeCurrency)}</span>`
      : null;
  const towardsCustomer =
    item.type === 'CreditMemo'
      ? note('credit to the customer')
      : item.type === 'RefundReceipt'
        ? note('refunded')
        : null;
  const balanceNote =
    item.balance === 0
      ? null
      : item.type === 'CreditMemo'
        ? note('credit left')
        : item.type === 'Payment'
          ? note('not applied yet')
          : null;
  // QBO zeroes what it voids: the amount it had is said beside the zero when the sync saw it.
  const wasBefore =
    item.originalTotal === undefined ? null : note(`was ${formatMoney(sign * item.originalTotal, code)}`);
  return {
    // Spaces between the parts: stacked on narrow screens, they sit on one line and must not run together.
    total: markup`${formatMoney(sign * item.total, code)} ${homeTotal} ${towardsCustomer} ${wasBefore}`,
    balance: item.balance === 0 ? none : markup`${formatMoney(item.balance, code)} ${balanceNote}`,
  };
}

function transactionRow(row: TransactionRow, homeCurrency: string): SafeHtml {
  const { item, title } = row;
  const badge = statusBadges[item.status];
  const due =
    item.dueDate !== undefined
      ? { label: 'Due', value: date(item.dueDate) }
      : item.expirationDate !== undefined
        ? { label: '', value: markup`Expires ${date(item.expirationDate)}` }
        : null;
  const money = amounts(row, homeCurrency);
  // "Partially paid" is its own status until the due date; past it the badge says overdue, and this the rest.
  const partlyPaidNote =
    item.partiallyPaid && item.status !== 'partially_paid' ? markup` ${note('partly paid')}` : null;
  // Explicit roles keep the table a table for screen readers when narrow screens stack its rows.
  return markup`<tr role="row" id="${row.anchor}"${item.status === 'voided' ? markup` class="voided"` : null} data-type="${item.type}" data-qbo-id="${item.qboId}">
<td role="cell" class="c-date" data-label="Date">${date(item.txnDate)}</td>
<th role="rowheader" scope="row" class="c-title">${title}${relations(row)}</th>
<td role="cell" class="c-due${due === null ? ' is-empty' : ''}"${due?.label ? markup` data-label="${due.label}"` : null}>${due?.value ?? none}</td>
<td role="cell" class="c-status"><span class="badge tone-${badge.tone}">${badge.label}</span>${partlyPaidNote}</td>
<td role="cell" class="num c-amount" data-label="Amount">${money.total}</td>
<td role="cell" class="num c-balance${item.balance === 0 ? ' is-empty' : ''}" data-label="Open">${money.balance}</td>
<td role="cell" class="c-link">${payLink(item, title)}${qboLink(item.qboLink, `Open ${title.toLowerCase()} in QuickBooks`, externalLinkIcon, 'open-link')}</td>
</tr>`;
}

function choices<T extends string>(label: string, options: FilterChoice<T>[]): SafeHtml {
  return markup`<div class="filter-group" role="group" aria-label="${label}"><span class="filter-label" aria-hidden="true">${label}</span><ul>${options.map(
    (option) =>
      markup`<li><a class="chip${option.current ? ' current' : ''}" href="${option.href}"${option.current ? markup` aria-current="true"` : null}>${option.label} <span class="count">${option.count}</span></a></li>`,
  )}</ul></div>`;
}

function pager(model: PanelTransactions): SafeHtml | null {
  if (model.pages === 1) return null;
  const step = (href: string | null, text: string, rel: string) =>
    href === null
      ? markup`<span class="step" aria-disabled="true">${text}</span>`
      : markup`<a class="step" href="${href}" rel="${rel}">${text}</a>`;
  return markup`<nav class="pager" aria-label="Transaction pages">
${step(model.newer, '← Newer', 'prev')}
<span class="page-of" aria-current="page">Page ${model.page} of ${model.pages}</span>
${step(model.older, 'Older →', 'next')}
</nav>`;
}

function transactions(section: ContactSection, name: string, input: PanelInput): SafeHtml {
  if (section.transactions.length === 0)
    return markup`<section aria-labelledby="transactions-title">
<h2 id="transactions-title">QuickBooks Transactions</h2>
<p class="empty">No transactions in QuickBooks yet.</p>
</section>`;
  const model = panelTransactions(section.transactions, input, statusLabel);
  const shown = model.rows.length;
  const first = (model.page - 1) * panelPageSize + 1;
  const caption = `Transactions of ${name}, newest first${model.pages > 1 ? `: ${first}–${first + shown - 1} of ${model.matching}` : ''}`;
  const content =
    shown === 0
      ? markup`<p class="empty">No transactions match these filters. <a href="${model.showAll}">Show all transactions</a></p>`
      : // The wrapper scrolls the wide table in a mid-width frame, so keyboard users must be able to focus it.
        markup`<div class="table-wrap" role="region" aria-labelledby="transactions-caption" tabindex="0">
<table class="txns" role="table">
<caption id="transactions-caption" class="sr-only">${caption}</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Date</th><th role="columnheader" scope="col">Transaction</th><th role="columnheader" scope="col">Due / expires</th><th role="columnheader" scope="col">Status</th><th role="columnheader" scope="col" class="num">Amount</th><th role="columnheader" scope="col" class="num">Open balance</th><th role="columnheader" scope="col"><span class="sr-only">Open in QuickBooks</span></th></tr></thead>
<tbody role="rowgroup">
${model.rows.map((row) => transactionRow(row, section.homeCurrency))}
</tbody>
</table>
</div>`;
  return markup`<section aria-labelledby="transactions-title">
<h2 id="transactions-title">QuickBooks Transactions</h2>
<nav class="filters" aria-label="Filter transactions">
${choices('Type', model.types)}
${choices('Status', model.statuses)}
</nav>
${content}
${pager(model)}
</section>`;
}

// --- contacts without a customer ---

const unlinkedPages: Record<
  Exclude<ContactSyncStatus['state'], 'rejected'>,
  { title: string; badge?: { label: string; tone: Tone }; text: string }
> = {
  unknown: {
    title: 'Not linked to QuickBooks',
    text: 'The CRM has not sent this contact to QuickBooks yet. Its customer, billing summary and transactions appear here once it has been synced.',
  },
  pending: {
    title: 'Waiting to sync',
    badge: { label: 'Pending', tone: 'info' },
    text: 'This contact is on its way to QuickBooks. Its customer, billing summary and transactions appear here once it has been synced, usually within seconds.',
  },
  synced: {
    title: 'Waiting to sync',
    badge: { label: 'Pending', tone: 'info' },
    text: 'This contact is being linked to its QuickBooks customer. Reload the panel in a moment.',
  },
  deleted: {
    title: 'Deleted in the CRM',
    badge: { label: 'Deleted', tone: 'muted' },
    text: 'This contact was deleted in the CRM. Its QuickBooks customer was left as it is, since QuickBooks keeps customers with their history.',
  },
};

function unlinkedPage(input: PanelInput): string {
  const { contact } = input;
  const page =
    contact.state === 'rejected'
      ? {
          title: 'Rejected by QuickBooks',
          badge: { label: 'Rejected', tone: 'danger' as const },
          body: markup`<p>QuickBooks did not accept this contact${contact.problems.length > 0 ? ':' : '.'}</p>
${problemList(contact.problems)}
<p>Correct the contact in the CRM and save it; it is sent to QuickBooks again.</p>`,
        }
      : { ...unlinkedPages[contact.state], body: markup`<p>${unlinkedPages[contact.state].text}</p>` };
  return renderPage({
    title: `QuickBooks: ${page.title}`,
    body: markup`<header class="panel-head">${quickBooksIcon}<div class="head-text"><h1 id="page-title">${page.title}</h1>${page.badge ? markup`<p class="subtitle"><span class="badge tone-${page.badge.tone}">${page.badge.label}</span></p>` : null}${syncedLine(input)}</div></header>
${page.body}`,
  });
}

/** The panel for a contact: its QuickBooks customer when linked, otherwise the page that says why it is not. */
export function renderContactPanel(input: PanelInput): string {
  const { section } = input;
  if (section === null) return unlinkedPage(input);
  const name = customerName(section);
  const foreign = section.billingSummary.currency.code !== section.homeCurrency;
  return renderPage({
    title: `QuickBooks: ${name}`,
    body: [
      header(section, name, input),
      rejectedNotice(input.contact),
      summary(section, input.ar),
      transactions(section, name, input),
    ],
    footer: markup`<p>Statuses and overdue days as of ${date(section.asOf)} in the company's time zone (${section.timeZone}). Amounts are in each transaction's currency${foreign ? `, with the home currency (${section.homeCurrency}) below` : ''}; credits and refunds, owed to the customer, are negative.</p>`,
  });
}

/** An error as a page (the iframe shows it to a person), with the fields of a problem document. */
export function renderProblemPage(problem: { status: number; title: string; detail: string }): string {
  return renderPage({
    title: `QuickBooks: ${problem.title}`,
    body: markup`<header class="panel-head">${quickBooksIcon}<div class="head-text"><h1 id="page-title">${problem.title}</h1><p class="subtitle">Error ${problem.status}</p></div></header>
<p>${problem.detail}</p>`,
  });
}
