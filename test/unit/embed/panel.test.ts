import { createHash } from 'node:crypto';
import { contentSecurityPolicy } from '../../../src/api/embed/page';
import { formatMoney } from '../../../src/api/embed/format';
import { renderContactPanel, renderProblemPage } from '../../../src/api/embed/panel';
import type { PanelInput } from '../../../src/api/embed/panel-view';
import { escapeHtml, markup } from '../../../src/html/markup';
import { contactSectionSchema, type ContactSection } from '../../../src/contacts/section';
import { billingSummary } from '../../../src/sync/billing-summary';
import { billingProfile } from '../../../src/sync/customer-mapping';
import { transactionView, type QboTransactionRecord } from '../../../src/sync/transactions';

const today = '2026-03-02';
const context = { today, homeCurrency: 'USD', environment: 'production' as const };

/** A section as the projections would give it, built with the sync engine's own functions. */
function section(options: { currency?: string; name?: string; rate?: number } = {}): ContactSection {
  const currency = options.currency ?? 'EUR';
  const rate = options.rate === undefined ? {} : { ExchangeRate: options.rate };
  const common = { CurrencyRef: { value: currency }, ...rate };
  const records: [Parameters<typeof transactionView>[0], QboTransactionRecord][] = [
    [
      'Estimate',
      {
        Id: '40',
        DocNumber: '1001',
        TxnDate: '2026-02-27',
        ExpirationDate: '2026-03-31',
        TotalAmt: 950,
        TxnStatus: 'Pending',
        ...common,
      },
    ],
    [
      'Payment',
      {
        Id: '30',
        PaymentRefNum: 'SEPA-4471',
        TxnDate: '2026-02-25',
        TotalAmt: 500,
        UnappliedAmt: 0,
        ...common,
      },
    ],
    [
      'Invoice',
      {
        Id: '12',
        DocNumber: '1002',
        TxnDate: '2026-02-15',
        DueDate: '2026-03-17',
        TotalAmt: 800,
        Balance: 600,
        ...common,
      },
    ],
    [
      'Invoice',
      {
        Id: '11',
        DocNumber: '1001',
        TxnDate: '2026-01-10',
        DueDate: '2026-02-09',
        TotalAmt: 500,
        Balance: 500,
        ...common,
      },
    ],
    [
      'Invoice',
      {
        Id: '13',
        DocNumber: '1003',
        TxnDate: '2026-01-05',
        DueDate: '2026-02-04',
        TotalAmt: 0,
        Balance: 0,
        PrivateNote: 'Voided',
        ...common,
      },
    ],
  ];
  const views = records.map(([type, record]) => transactionView(type, record, context));
  const profile = billingProfile(
    {
      Id: '7',
      DisplayName: options.name ?? 'Müller & Söhne GmbH',
      CurrencyRef: { value: currency, name: currency === 'EUR' ? 'Euro' : 'United States Dollar' },
      SalesTermRef: { value: '3', name: 'Net 30' },
      PaymentMethodRef: { value: '3', name: 'Visa' },
      PreferredDeliveryMethod: 'Email',
    },
    { environment: 'production', homeCurrency: 'USD' },
  );
  return contactSectionSchema.parse({
    connectionId: 'conn-1',
    crmContactId: 'crm-1',
    asOf: today,
    timeZone: 'America/New_York',
    homeCurrency: 'USD',
    customer: {
      qboCustomerId: '7',
      displayName: options.name ?? 'Müller & Söhne GmbH',
      companyName: null,
      qboLink: profile.qboLink,
      active: true,
      mergedInto: null,
      linkedBy: 'email',
      syncedAt: '2026-03-02T17:00:00.000Z',
      customFields: {},
    },
    billingProfile: profile,
    billingSummary: billingSummary(profile, views, context),
    transactions: views,
  });
}

const now = new Date('2026-03-02T17:00:00Z');

/** The panel of a section as the router would render it: nothing filtered, synced five minutes ago. */
function panel(shown: ContactSection | null, overrides: Partial<PanelInput> = {}): string {
  return renderContactPanel({
    section: shown,
    contact: { state: 'synced' },
    ar: null,
    lastSyncedAt: new Date(now.getTime() - 5 * 60_000),
    now,
    view: { page: 1 },
    href: (view) =>
      `/panel?${new URLSearchParams(Object.entries(view).map(([name, value]): [string, string] => [name, String(value)])).toString()}`,
    ...overrides,
  });
}

/** The text of the page with tags dropped and entities decoded, for reading figures. */
function text(page: string): string {
  return page
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

describe('escaping', () => {
  it('escapes every interpolated value and keeps nested html as markup', () => {
    const value = `<img src=x onerror="alert('1')">&\``;
    expect(markup`<p title="${value}">${value}${markup`<b>${'<i>'}</b>`}</p>`.value).toBe(
      `<p title="${escapeHtml(value)}">${escapeHtml(value)}<b>&lt;i&gt;</b></p>`,
    );
    expect(escapeHtml(value)).not.toMatch(/[<>"'`]/);
  });

  it('never lets stored names or links inject markup or script URLs', () => {
    const hostile = section({ name: '<script>alert(1)</script> "Evil" & Co' });
    hostile.customer.qboLink = 'javascript:alert(1)';
    hostile.transactions[0]!.qboLink = 'data:text/html,<script>alert(1)</script>';
    hostile.transactions[1]!.number = '"><script>alert(2)</script>';
    const page = panel(hostile);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/javascript:|data:text/);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;Evil&quot; &amp; Co');
    // Links that were refused leave their icon behind without an anchor.
    expect(page.match(/<a class="(open-link|qb-link)"/g)).toHaveLength(hostile.transactions.length - 1);
  });
});

describe('renderContactPanel', () => {
  const page = panel(section());

  it('is a complete document with landmarks, headings and no scripts or inline style attributes', () => {
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page).toContain('<main aria-labelledby="page-title">');
    expect(page).toContain('<h1 id="page-title">Müller &amp; Söhne GmbH</h1>');
    expect(page).toContain('<h2 id="summary-title">Payment &amp; Billing Summary</h2>');
    expect(page).toContain('<h2 id="transactions-title">QuickBooks Transactions</h2>');
    expect(page).toMatch(/<footer>/);
    expect(text(page)).toContain("in the company's time zone (America/New_York)");
    expect(page).not.toMatch(/<script|\sstyle=|\son\w+=/i);
  });

  it('carries the one stylesheet the Content-Security-Policy allows, by hash', () => {
    const css = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(css).digest('base64');
    expect(contentSecurityPolicy).toContain(`style-src 'sha256-${hash}'`);
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).toContain('frame-ancestors *');
    expect(contentSecurityPolicy).not.toMatch(/script-src|unsafe/);
  });

  it('shows the billing summary in the customer currency and in the home currency', () => {
    const shown = text(page);
    expect(shown).toContain('Terms Net 30');
    expect(shown).toContain('Payment method Visa');
    expect(shown).toContain('Delivery preference Email');
    expect(shown).toContain('Currency EUR Euro');
    expect(shown).toContain('Open balance €1,100.00');
    expect(shown).toContain('Overdue balance €500.00 oldest 21 days past due');
    expect(shown).toContain('Lifetime sales €1,300.00');
    expect(shown).toContain('Last payment Feb 25, 2026');
    expect(shown).not.toContain('In the home currency');
    // Without a rate, EUR amounts have no known USD value: said, not guessed.
    expect(shown).toContain('Figures in the home currency (USD) are not available');

    const withRate = text(panel(section({ rate: 1.1 })));
    expect(withRate).toContain(
      'In the home currency (USD) Open balance $1,210.00 Overdue balance $550.00 Lifetime sales $1,430.00',
    );
  });

  it('leaves the home-currency block out for a customer in the home currency', () => {
    const shown = text(panel(section({ currency: 'USD' })));
    expect(shown).toContain('Open balance $1,100.00');
    expect(shown).not.toMatch(/home currency/i);
  });

  it('lists each transaction with a table of scoped headers, status badges and a labelled QBO link', () => {
    expect(page).toMatch(
      /<caption id="transactions-caption" class="sr-only">Transactions of Müller &amp; Söhne GmbH, newest first<\/caption>/,
    );
    expect(page.match(/<th role="columnheader" scope="col"/g)).toHaveLength(7);
    const rows = [...page.matchAll(/<tr[^>]*data-qbo-id="[^"]+">[\s\S]*?<\/tr>/g)].map((row) => row[0]);
    expect(rows).toHaveLength(5);
    expect(rows.map((row) => text(row).trim())).toEqual([
      'Feb 27, 2026 Estimate 1001 Expires Mar 31, 2026 Pending €950.00 — none',
      'Feb 25, 2026 Payment SEPA-4471 — none Applied €500.00 — none',
      'Feb 15, 2026 Invoice 1002 Mar 17, 2026 Partially paid €800.00 €600.00',
      'Jan 10, 2026 Invoice 1001 Feb 9, 2026 Overdue €500.00 €500.00',
      'Jan 5, 2026 Invoice 1003 Feb 4, 2026 Voided €0.00 $0.00 — none',
    ]);
    expect(rows[3]).toContain('<span class="badge tone-danger">Overdue</span>');
    expect(rows[3]).toContain(
      '<a class="open-link" href="https://qbo.intuit.com/app/invoice?txnId=11" target="_blank" rel="noopener noreferrer" aria-label="Open invoice 1001 in QuickBooks (opens in a new tab)"',
    );
    expect(rows[4]).toMatch(/^<tr role="row" id="txn-Invoice-13" class="voided"/);
    expect(page).toContain(
      '<a class="qb-link" href="https://qbo.intuit.com/app/customerdetail?nameId=7" target="_blank" rel="noopener noreferrer" aria-label="Open Müller &amp; Söhne GmbH in QuickBooks (opens in a new tab)"',
    );
  });

  it('shows figures that agree: credit and net balance, partly paid overdue, the voided amount, refunds', () => {
    const usdContext = { ...context, homeCurrency: 'USD' };
    const usdView = (
      type: Parameters<typeof transactionView>[0],
      record: Omit<QboTransactionRecord, 'TxnDate'>,
    ) => transactionView(type, { TxnDate: '2026-02-01', ...record }, usdContext);
    const beforeVoid = usdView('Invoice', { Id: '21', DocNumber: '2001', TotalAmt: 80, Balance: 80 });
    const views = [
      usdView('Invoice', { Id: '20', DocNumber: '2000', DueDate: '2026-02-20', TotalAmt: 100, Balance: 40 }),
      transactionView(
        'Invoice',
        {
          Id: '21',
          DocNumber: '2001',
          TxnDate: '2026-02-01',
          TotalAmt: 0,
          Balance: 0,
          PrivateNote: 'Voided',
        },
        usdContext,
        beforeVoid,
      ),
      usdView('CreditMemo', { Id: '22', DocNumber: 'CM-2', TotalAmt: 70, RemainingCredit: 70 }),
      usdView('RefundReceipt', { Id: '23', DocNumber: 'R-2', TotalAmt: 15 }),
    ];
    const base = section({ currency: 'USD' });
    const shown = text(
      panel({
        ...base,
        billingSummary: billingSummary(base.billingProfile, views, usdContext),
        transactions: views,
      }),
    );
    expect(shown).toContain('Open balance $40.00 Overdue balance $40.00');
    expect(shown).toContain('Credit available $70.00 owed to the customer');
    expect(shown).toContain('Net balance −$30.00 open balance less credit available');
    expect(shown).toContain('Invoice 2000 Feb 20, 2026 Overdue partly paid $100.00 $40.00');
    expect(shown).toContain('Invoice 2001 — none Voided $0.00 was $80.00');
    expect(shown).toContain('Refund receipt R-2 — none Refunded −$15.00 refunded');
  });

  it('shows home amounts under foreign ones when QBO gave a rate', () => {
    const rows = panel(section({ rate: 1.1 }));
    expect(text(rows)).toContain('Overdue €500.00 $550.00 €500.00');
  });

  it('says when there are no transactions yet', () => {
    const empty = { ...section(), transactions: [] };
    expect(panel(empty)).toContain('<p class="empty">No transactions in QuickBooks yet.</p>');
  });

  it('renders a contact without a customer as a page saying why', () => {
    const unknown = panel(null, { contact: { state: 'unknown' } });
    expect(unknown).toContain('<h1 id="page-title">Not linked to QuickBooks</h1>');
    expect(unknown).not.toMatch(/<a |<table/);
    expect(text(panel(null, { contact: { state: 'pending' } }))).toContain('Waiting to sync Pending');
    const rejected = text(
      panel(null, {
        contact: {
          state: 'rejected',
          at: now,
          problems: [{ field: 'email', problem: 'is not an email address' }],
        },
      }),
    );
    expect(rejected).toContain('Rejected by QuickBooks Rejected');
    expect(rejected).toContain('QuickBooks did not accept this contact: email : is not an email address');
    expect(rejected).not.toMatch(/once (it has been )?synced/);
    expect(text(panel(null, { contact: { state: 'deleted' } }))).toContain('Deleted in the CRM');
  });

  it('says when QuickBooks was last read', () => {
    expect(page).toContain('Last synced <time datetime="2026-03-02T16:55:00.000Z"');
    expect(text(page)).toContain('Last synced 5 minutes ago');
    expect(text(panel(section(), { lastSyncedAt: null }))).toContain('Not synced with QuickBooks yet');
  });
});

describe('renderProblemPage', () => {
  it('shows the title, status and detail, escaped', () => {
    const page = renderProblemPage({ status: 401, title: 'Link expired', detail: 'Reload <it>' });
    expect(page).toContain('<h1 id="page-title">Link expired</h1>');
    expect(page).toContain('Error 401');
    expect(page).toContain('Reload &lt;it&gt;');
  });
});

describe('formatMoney', () => {
  it('formats in the currency and still shows an amount for a code Intl does not know', () => {
    expect(formatMoney(1234.5, 'EUR')).toBe('€1,234.50');
    expect(formatMoney(-20, 'USD')).toBe('\u2212$20.00');
    expect(formatMoney(12, 'GBP')).toBe('£12.00');
    expect(formatMoney(12, 'NOT-A-CODE')).toBe('12.00 NOT-A-CODE');
  });
});
