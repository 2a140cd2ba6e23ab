import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { createEmbedRouter } from '../../src/api/embed/router';
import { embedPanelPath, mintEmbedToken } from '../../src/api/embed/token';
import { launchChromium } from '../support/chromium';
import { seedBook, seededAt, type SeededBook } from './seed';

const secret = 'panel-test-secret-0123456789';
const screenshot = path.join(__dirname, '..', '..', 'test-output', 'panel.png');
const app = 'https://sandbox.qbo.intuit.com/app';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

describe('the embeddable QuickBooks panel, in headless Chromium', () => {
  let book: SeededBook;
  let browser: Browser;
  let server: Server;
  let origin: string;

  const token = (crmContactId: string, overrides: { accountId?: string; at?: number } = {}) =>
    mintEmbedToken(
      {
        accountId: overrides.accountId ?? book.accountId,
        connectionId: book.connectionId,
        crmContactId,
        ttlSeconds: 900,
      },
      secret,
      overrides.at ?? seededAt.getTime(),
    ).token;
  const panelUrl = (crmContactId: string, signed = token(crmContactId)) =>
    `${origin}${embedPanelPath(crmContactId, signed)}`;

  beforeAll(async () => {
    // Chromium first: when it is missing, the suite fails at once with the message saying how to install it.
    browser = await launchChromium();
    book = await seedBook();
    const embed = express();
    embed.use(
      createEmbedRouter({
        db: () => Promise.resolve(book.db.mongoose.connection),
        secret,
        now: () => seededAt,
      }),
    );
    server = createServer(embed);
    origin = await listen(server);
  });
  afterAll(async () => {
    await browser?.close();
    await close(server);
    await book?.close();
  });

  /** A fresh page that records every console error and uncaught error (a CSP violation shows as one). */
  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  it('shows the customer, the billing summary and every transaction with its QBO link', async () => {
    const { page, errors } = await openPage();
    const response = await page.goto(panelUrl(book.euro.crmContactId));
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors \*/);
    expect(headers['content-security-policy']).not.toMatch(/script-src|unsafe/);
    expect(headers['x-frame-options']).toBeUndefined();

    // Headings and landmarks.
    expect(await page.title()).toBe('QuickBooks: Müller & Söhne GmbH');
    expect(await page.locator('main h1').innerText()).toBe('Müller & Söhne GmbH');
    expect(await page.locator('h2').allInnerTexts()).toEqual([
      'Payment & Billing Summary',
      'QuickBooks Transactions',
    ]);
    expect(await page.getByRole('region', { name: 'Payment & Billing Summary' }).count()).toBe(1);
    expect(await page.getByRole('region', { name: 'QuickBooks Transactions' }).count()).toBe(1);

    // The customer icon opens the customer in QBO.
    const customerLink = page.getByRole('link', {
      name: 'Open Müller & Söhne GmbH in QuickBooks (opens in a new tab)',
    });
    expect(await customerLink.getAttribute('href')).toBe(
      `${app}/customerdetail?nameId=${book.euro.customerId}`,
    );
    expect(await customerLink.locator('svg').count()).toBe(1);

    // The billing summary, as a person reads it.
    const squash = (texts: string[]) => texts.map((text) => text.replace(/\s+/g, ' ').trim());
    const figures = async (list: string) => {
      const terms = await page.locator(`${list} dt`).allInnerTexts();
      const values = squash(await page.locator(`${list} dd`).allInnerTexts());
      return terms.map((term, index) => [term, values[index]]);
    };
    expect(await figures('dl.figures:not([aria-labelledby])')).toEqual([
      ['Terms', 'Net 30'],
      ['Payment method', 'Visa'],
      ['Delivery preference', 'Email'],
      ['Currency', 'EUR Euro'],
      ['Open balance', '€2,250.00'],
      ['Overdue balance', '€500.00 oldest 21 days past due'],
      ['Lifetime sales', '€2,825.00'],
      ['Last payment', 'Feb 25, 2026'],
    ]);
    expect(await page.locator('#home-title').innerText()).toBe('In the home currency (USD)');
    expect(await figures('dl[aria-labelledby="home-title"]')).toEqual([
      ['Open balance', '$2,475.00'],
      ['Overdue balance', '$550.00'],
      ['Lifetime sales', '$3,107.50'],
    ]);

    // Every transaction, newest first, with its status, amounts and link.
    const rows = [];
    for (const tr of await page.locator('tbody tr').all()) {
      const link = tr.locator('a');
      rows.push({
        type: await tr.getAttribute('data-type'),
        id: await tr.getAttribute('data-qbo-id'),
        cells: squash((await tr.locator('> td, > th').allInnerTexts()).slice(0, 6)),
        href: await link.getAttribute('href'),
        target: await link.getAttribute('target'),
        rel: await link.getAttribute('rel'),
        label: await link.getAttribute('aria-label'),
      });
    }
    const { docs } = book.euro;
    // A dash is shown for "none", and read out as such.
    const none = '— none';
    const row = (type: string, id: string, page: string, cells: string[]) => ({
      type,
      id,
      cells,
      href: `${app}/${page}?txnId=${id}`,
      target: '_blank',
      rel: 'noopener noreferrer',
      label: `Open ${cells[1]!.toLowerCase()} in QuickBooks (opens in a new tab)`,
    });
    // prettier-ignore
    expect(rows).toEqual([
      row('Estimate', docs.estimate!, 'estimate', ['Feb 27, 2026', 'Estimate 1001', 'Expires Mar 31, 2026', 'Pending', '€950.00 $1,045.00', none]),
      row('Payment', docs.payment!, 'recvpayment', ['Feb 25, 2026', 'Payment SEPA-4471', none, 'Applied', '€500.00 $550.00', none]),
      row('Invoice', docs.openInvoice!, 'invoice', ['Feb 20, 2026', 'Invoice 1001', 'Mar 22, 2026', 'Open', '€1,200.00 $1,320.00', '€1,200.00']),
      row('CreditMemo', docs.creditMemo!, 'creditmemo', ['Feb 18, 2026', 'Credit memo 1001', none, 'Open', '€50.00 $55.00', '€50.00']),
      row('Invoice', docs.partlyPaidInvoice!, 'invoice', ['Feb 15, 2026', 'Invoice 1004', 'Mar 17, 2026', 'Partially paid', '€800.00 $880.00', '€600.00']),
      row('SalesReceipt', docs.salesReceipt!, 'salesreceipt', ['Feb 12, 2026', 'Sales receipt 1001', none, 'Paid', '€75.00 $82.50', none]),
      row('Invoice', docs.voidedInvoice!, 'invoice', ['Feb 1, 2026', 'Invoice 1005', 'Mar 3, 2026', 'Voided', '€0.00 $0.00', none]),
      row('Invoice', docs.paidInvoice!, 'invoice', ['Jan 20, 2026', 'Invoice 1003', 'Feb 19, 2026', 'Paid', '€300.00 $330.00', none]),
      row('Invoice', docs.overdueInvoice!, 'invoice', ['Jan 10, 2026', 'Invoice 1002', 'Feb 9, 2026', 'Overdue', '€500.00 $550.00', '€500.00']),
    ]);

    // Nothing links anywhere but QuickBooks: the customer and each transaction.
    const hrefs = await page.$$eval('a', (links) => links.map((link) => link.getAttribute('href')));
    expect(hrefs.sort()).toEqual(
      [`${app}/customerdetail?nameId=${book.euro.customerId}`, ...rows.map((found) => found.href)].sort(),
    );

    // No scripts, and the policy stops any that get in; the stylesheet is allowed and applied.
    expect(await page.locator('script').count()).toBe(0);
    await page.addScriptTag({ content: 'document.body.dataset.ran = "yes"' }).catch(() => undefined);
    expect(await page.locator('body').getAttribute('data-ran')).toBeNull();
    const overdueBadge = page.locator('.badge', { hasText: 'Overdue' });
    expect(await overdueBadge.getAttribute('class')).toBe('badge tone-danger');
    expect(
      await page.evaluate('getComputedStyle(document.querySelector(".tone-danger")).backgroundColor'),
    ).toBe('rgb(255, 235, 233)');
    expect(errors.filter((error) => !/Content Security Policy.*script/i.test(error))).toEqual([]);

    mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
  });

  it('can be framed by a CRM page on another origin', async () => {
    const host = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><title>CRM contact</title><h1>Contact</h1>` +
          `<iframe title="QuickBooks" width="900" height="700" src="${panelUrl(book.euro.crmContactId)}"></iframe>`,
      );
    });
    const hostOrigin = await listen(host);
    try {
      const { page } = await openPage();
      await page.goto(hostOrigin);
      const frame = page.frameLocator('iframe[title="QuickBooks"]');
      expect(await frame.locator('h1').innerText()).toBe('Müller & Söhne GmbH');
      expect(await frame.locator('tbody tr').count()).toBe(9);
      await page.close();
    } finally {
      await close(host);
    }
  });

  it('shows a customer in the home currency without home-currency figures', async () => {
    const { page } = await openPage();
    await page.goto(panelUrl(book.bakery.crmContactId));
    expect(await page.locator('h1').innerText()).toBe('Alder Street Bakery');
    expect(await page.locator('#home-title').count()).toBe(0);
    expect(await page.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/Feb 26, 2026\s+Invoice 1006\s+Mar 28, 2026\s+Open\s+\$240\.00\s+\$240\.00/),
    ]);
    await page.close();
  });

  it('says so when the contact is not linked', async () => {
    const { page } = await openPage();
    const response = await page.goto(panelUrl('crm-contact-never-synced'));
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('Not linked to QuickBooks');
    expect(await page.locator('a').count()).toBe(0);
    await page.close();
  });

  it('refuses expired, forged, missing and other-contact tokens with an error page', async () => {
    const refused = async (url: string) => {
      const response = await fetch(url);
      const body = await response.text();
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors \*/);
      expect(body).not.toContain('Müller');
      return { status: response.status, title: /<h1 id="page-title">([^<]*)<\/h1>/.exec(body)?.[1] };
    };
    const contact = book.euro.crmContactId;
    const expired = token(contact, { at: seededAt.getTime() - 901_000 });
    expect(await refused(panelUrl(contact, expired))).toEqual({ status: 401, title: 'Link expired' });
    const forged = token(contact).replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    expect(await refused(panelUrl(contact, forged))).toEqual({ status: 401, title: 'Invalid link' });
    expect(await refused(`${origin}/embed/contacts/${contact}/quickbooks`)).toEqual({
      status: 401,
      title: 'Sign-in required',
    });
    const forBakery = token(book.bakery.crmContactId);
    expect(await refused(panelUrl(contact, forBakery))).toEqual({ status: 403, title: 'Not allowed' });
    const otherAccount = token(contact, { accountId: 'acct-someone-else' });
    expect(await refused(panelUrl(contact, otherAccount))).toEqual({ status: 403, title: 'Not allowed' });

    // And in the browser: the refusal is a readable page, not a blank frame.
    const { page } = await openPage();
    const response = await page.goto(panelUrl(contact, expired));
    expect(response?.status()).toBe(401);
    expect(await page.locator('h1').innerText()).toBe('Link expired');
    await page.close();
  });
});
