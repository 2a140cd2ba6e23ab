import {
  fillLinkTemplate,
  formatDate,
  formatMoney,
  renderDigestEmail,
  renderFollowUpEmail,
  type DigestItem,
  type EmailContent,
} from '../../../src/followups/templates';

const overdue: EmailContent = {
  kind: 'invoice_overdue',
  senderName: 'Acme & Sons',
  customerName: 'Amy <Admin>',
  document: {
    type: 'Invoice',
    qboId: '130',
    number: '1037',
    total: 1500,
    balance: 1234.5,
    currency: 'EUR',
    txnDate: '2026-02-01',
    dueDate: '2026-03-01',
  },
  daysOverdue: 7,
  link: 'https://pay.example.com/i/130?a=1&b=2',
  locale: 'en-US',
};

describe('money and dates', () => {
  it('writes amounts in their own currency', () => {
    expect(formatMoney(1234.5, 'EUR', 'en-US')).toBe('€1,234.50');
    expect(formatMoney(1234.5, 'USD', 'en-US')).toBe('$1,234.50');
    expect(formatMoney(1234, 'JPY', 'en-US')).toBe('¥1,234');
    expect(formatMoney(1234.5, 'EUR', 'de-DE')).toBe('1.234,50\u00a0€');
    expect(formatMoney(3, 'ZZ1', 'en-US')).toBe('3.00 ZZ1');
  });

  it('writes calendar dates without shifting the day', () => {
    expect(formatDate('2026-03-01', 'en-US')).toBe('March 1, 2026');
  });

  it('fills link templates with encoded values', () => {
    expect(
      fillLinkTemplate('https://pay.example.com/{realmId}/{type}/{id}?n={number}', {
        realmId: '123',
        type: 'Invoice',
        id: '4 2',
        number: 'A/1',
      }),
    ).toBe('https://pay.example.com/123/Invoice/4%202?n=A%2F1');
  });
});

describe('renderFollowUpEmail', () => {
  it('writes an overdue reminder with number, amounts, due date, days overdue and the link', () => {
    const email = renderFollowUpEmail(overdue);
    expect(email.subject).toBe('Payment reminder: invoice 1037 is 7 days overdue');
    expect(email.text).toContain('Hello Amy <Admin>,');
    expect(email.text).toContain(
      'invoice 1037 from Acme & Sons was due on March 1, 2026 and is now 7 days overdue.',
    );
    expect(email.text).toContain('Amount due: €1,234.50 of €1,500.00.');
    expect(email.text).toContain('Pay or view the invoice: https://pay.example.com/i/130?a=1&b=2');
    expect(email.html).toContain('<strong>€1,234.50</strong>');
    expect(email.html).toContain('Hello Amy &lt;Admin&gt;,');
    expect(email.html).toContain('Acme &amp; Sons');
    expect(email.html).toContain(
      '<a href="https://pay.example.com/i/130?a=1&amp;b=2">Pay or view the invoice</a>',
    );
    expect(email.html).not.toMatch(/<Admin>/);
  });

  it('says one day, leaves out the link when there is none, and greets without a name', () => {
    const email = renderFollowUpEmail({
      ...overdue,
      daysOverdue: 1,
      customerName: null,
      link: undefined,
      document: { ...overdue.document, balance: 1500, number: undefined },
    });
    expect(email.subject).toBe('Payment reminder: your invoice is 1 day overdue');
    expect(email.text).toMatch(/^Hello,/);
    expect(email.text).toContain('Amount due: €1,500.00.');
    expect(email.text).not.toContain('Pay or view');
    expect(email.html).not.toContain('<a ');
  });

  it('writes estimate and payment emails', () => {
    const base = {
      ...overdue,
      document: { ...overdue.document, type: 'Estimate' as const, expirationDate: '2026-03-10' },
    };
    expect(renderFollowUpEmail({ ...base, kind: 'estimate_expiring', daysToExpiry: 2 }).subject).toBe(
      'Estimate 1037 expires on March 10, 2026',
    );
    expect(renderFollowUpEmail({ ...base, kind: 'estimate_accepted' }).subject).toBe(
      'Thank you for accepting estimate 1037',
    );
    const payment = renderFollowUpEmail({
      ...overdue,
      kind: 'payment_received',
      document: { ...overdue.document, type: 'Payment', total: 80 },
    });
    expect(payment.subject).toBe('Thank you for your payment of €80.00');
    expect(payment.text).toContain('We received your payment of €80.00 on February 1, 2026. Thank you!');
  });
});

describe('the digest of a customer’s overdue invoices', () => {
  const invoice = (number: string, balance: number, currency = 'USD', link?: string): DigestItem => ({
    document: {
      type: 'Invoice',
      qboId: number,
      number,
      total: 500,
      balance,
      currency,
      txnDate: '2026-02-01',
      dueDate: '2026-03-01',
    },
    daysOverdue: 7,
    ...(link !== undefined && { link }),
  });
  const digest = renderDigestEmail({
    senderName: 'Acme & Sons',
    customerName: 'Amy <Admin>',
    items: [
      invoice('1001', 500, 'USD', 'https://pay.example.com/1001?a=1&b=2'),
      invoice('1002', 120.25),
      invoice('1003', 80, 'EUR'),
    ],
    locale: 'en-US',
  });

  it('lists each invoice with its due date, open balance and own link, and totals per currency', () => {
    expect(digest.subject).toBe('Payment reminder: 3 overdue invoices');
    expect(digest.text).toContain('these 3 invoices from Acme & Sons are overdue:');
    expect(digest.text).toContain(
      '- Invoice 1001, due March 1, 2026 (7 days overdue): $500.00\n  Pay or view invoice 1001: https://pay.example.com/1001?a=1&b=2\n',
    );
    // Part-paid: the open balance, then the total.
    expect(digest.text).toContain('- Invoice 1002, due March 1, 2026 (7 days overdue): $120.25 of $500.00\n');
    expect(digest.text).toContain('Total due: $620.25 and €80.00.');
  });

  it('escapes every value in the HTML', () => {
    expect(digest.html).toContain('Hello Amy &lt;Admin&gt;,');
    expect(digest.html).toContain(
      '<a href="https://pay.example.com/1001?a=1&amp;b=2">Pay or view invoice 1001</a>',
    );
    expect(digest.html.match(/<li>/g)).toHaveLength(3);
    expect(digest.html).toContain('Total due: <strong>$620.25</strong> and <strong>€80.00</strong>.');
  });

  it('reads right for a single invoice', () => {
    const one = renderDigestEmail({
      senderName: 'Acme',
      customerName: null,
      items: [invoice('9', 1)],
      locale: 'en-US',
    });
    expect(one.subject).toBe('Payment reminder: 1 overdue invoice');
    expect(one.text).toContain('this invoice from Acme is overdue:');
  });
});
