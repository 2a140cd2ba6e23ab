import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { createEmbedRouter } from '../../src/api/embed/router';
import { embedPanelPath, mintEmbedToken } from '../../src/api/embed/token';
import { launchChromium } from '../support/chromium';
import { seedPanelStates, type PanelStates } from './panel-seed';
import { seedBook, seededAt, type SeededBook } from './seed';

const secret = 'panel-test-secret-0123456789';
const screenshots = path.join(__dirname, '..', '..', 'test-output', 'panel');
const app = 'https://sandbox.qbo.intuit.com/app';
/** A desktop CRM's contact page, and a CRM's sidebar. */
const widths = [1280, 400] as const;
type Width = (typeof widths)[number];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Run in the page (the project compiles without the DOM's types, hence a string): what needs a horizontal scroll.
 * The visually hidden pattern (`.sr-only`, 1 px and clipped) is left out on purpose.
 */
const overflowProbe = `(() => {
  const name = (element) =>
    element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
    (typeof element.className === 'string' && element.className ? '.' + element.className.split(' ').join('.') : '');
  const all = [...document.querySelectorAll('body *')];
  const scrollers = all.filter((element) =>
    element.clientWidth > 1 && element.scrollWidth > element.clientWidth + 1 &&
    ['auto', 'scroll', 'hidden'].includes(getComputedStyle(element).overflowX));
  const outside = all.filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width > 1 && (box.right > window.innerWidth + 0.5 || box.left < -0.5);
  });
  const root = document.documentElement;
  return {
    documentScrolls: root.scrollWidth > root.clientWidth,
    scrollers: scrollers.map(name),
    outside: outside.map(name),
  };
})()`;

/**
 * The embeddable QuickBooks panel in headless Chromium, in every state, at a desktop width and at a CRM sidebar's
 * 400 px: nothing may need a horizontal scroll at either, and each state is saved as a screenshot under
 * test-output/panel/.
 */
describe('the embeddable QuickBooks panel, in headless Chromium', () => {
  let book: SeededBook;
  let states: PanelStates;
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
    states = await seedPanelStates(book);
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
    mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await close(server);
    await book?.close();
  });

  /** A page at `width` that records every console error and uncaught error (a CSP violation shows as one). */
  async function open(url: string, width: Width): Promise<{ page: Page; errors: string[]; status: number }> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(url);
    return { page, errors, status: response?.status() ?? 0 };
  }

  /**
   * Fails when anything needs a horizontal scroll: the document itself, a box that scrolls or clips its content,
   * or an element that reaches past the viewport's edges.
   */
  async function expectNoHorizontalOverflow(page: Page): Promise<void> {
    const found = await page.evaluate(overflowProbe);
    expect(found).toEqual({ documentScrolls: false, scrollers: [], outside: [] });
  }

  async function shoot(page: Page, state: string, width: Width): Promise<void> {
    await page.screenshot({ path: path.join(screenshots, `${state}-${width}.png`), fullPage: true });
  }

  /** What each transaction shows, read the way a person reads it, at any width. */
  async function rows(page: Page) {
    return Promise.all(
      (await page.locator('tbody tr').all()).map(async (row) => ({
        type: await row.getAttribute('data-type'),
        title: squash(await row.locator('.c-title').innerText()),
        date: squash(await row.locator('.c-date').innerText()),
        due: squash(await row.locator('.c-due').innerText()),
        status: squash(await row.locator('.c-status').innerText()),
        amount: squash(await row.locator('.c-amount').innerText()),
        balance: squash(await row.locator('.c-balance').innerText()),
      })),
    );
  }

  async function figures(page: Page, list: string) {
    const terms = await page.locator(`${list} dt`).allInnerTexts();
    const values = (await page.locator(`${list} dd`).allInnerTexts()).map(squash);
    return terms.map((term, index) => [term, values[index]]);
  }

  /** At the sidebar's width, each transaction still shows its status, amounts and link, inside the viewport. */
  async function expectEveryColumnVisible(page: Page): Promise<void> {
    for (const row of await page.locator('tbody tr').all()) {
      for (const cell of ['.c-title', '.c-status', '.c-amount', '.c-link']) {
        const box = await row.locator(cell).boundingBox();
        expect({ cell, visible: box !== null && box.width > 0 && box.x + box.width <= 400 }).toEqual({
          cell,
          visible: true,
        });
      }
    }
  }

  describe.each(widths)('at %i px', (width) => {
    it('shows the customer, the summary with payment behaviour, and every transaction with its links', async () => {
      const { page, errors, status } = await open(panelUrl(book.euro.crmContactId), width);
      expect(status).toBe(200);
      expect(await page.title()).toBe('QuickBooks: Müller & Söhne GmbH');
      expect(await page.locator('main h1').innerText()).toBe('Müller & Söhne GmbH');
      expect(await page.locator('.synced').innerText()).toBe('Last synced 3 minutes ago');
      expect(await page.locator('h2').allInnerTexts()).toEqual([
        'Payment & Billing Summary',
        'QuickBooks Transactions',
      ]);
      expect(await page.getByRole('region', { name: 'Payment & Billing Summary' }).count()).toBe(1);

      const customerLink = page.getByRole('link', {
        name: 'Open Müller & Söhne GmbH in QuickBooks (opens in a new tab)',
      });
      expect(await customerLink.getAttribute('href')).toBe(
        `${app}/customerdetail?nameId=${book.euro.customerId}`,
      );

      expect(await figures(page, 'dl.figures:not([aria-labelledby])')).toEqual([
        ['Terms', 'Net 30'],
        ['Payment method', 'Visa'],
        ['Delivery preference', 'Email'],
        ['Currency', 'EUR Euro'],
        ['Open balance', '€2,300.00'],
        ['Overdue balance', '€500.00 oldest 21 days past due'],
        ['Lifetime sales', '€2,825.00'],
        ['Last payment', 'Feb 25, 2026'],
        ['Credit available', '€50.00 owed to the customer'],
        ['Net balance', '€2,250.00 open balance less credit available'],
      ]);
      expect(await figures(page, 'dl[aria-labelledby="home-title"]')).toEqual([
        ['Open balance', '$2,530.00'],
        ['Overdue balance', '$550.00'],
        ['Lifetime sales', '$3,107.50'],
        ['Credit available', '$55.00'],
        ['Net balance', '$2,475.00'],
      ]);
      expect(await figures(page, 'dl[aria-labelledby="behaviour-title"]')).toEqual([
        ['Average days to pay', '36 days over 1 paid invoice'],
        ['Paid on time', '0% over 1 paid invoice'],
        ['Tags', 'qb:customer qb:overdue qb:estimate-open'],
      ]);

      const { docs } = book.euro;
      const none = '— none';
      // prettier-ignore
      expect(await rows(page)).toEqual([
        { type: 'Estimate', title: 'Estimate 1001', date: 'Feb 27, 2026', due: 'Expires Mar 31, 2026', status: 'Pending', amount: '€950.00 $1,045.00', balance: none },
        { type: 'Payment', title: 'Payment SEPA-4471 Paid Invoice 1003, Invoice 1004', date: 'Feb 25, 2026', due: none, status: 'Applied', amount: '€500.00 $550.00', balance: none },
        { type: 'Invoice', title: 'Invoice 1001', date: 'Feb 20, 2026', due: 'Mar 22, 2026', status: 'Open', amount: '€1,200.00 $1,320.00', balance: '€1,200.00' },
        { type: 'CreditMemo', title: 'Credit memo 1001', date: 'Feb 18, 2026', due: none, status: 'Unapplied', amount: '−€50.00 −$55.00 credit to the customer', balance: '€50.00 credit left' },
        { type: 'Invoice', title: 'Invoice 1004 Paid by Payment SEPA-4471', date: 'Feb 15, 2026', due: 'Mar 17, 2026', status: 'Partially paid', amount: '€800.00 $880.00', balance: '€600.00' },
        { type: 'SalesReceipt', title: 'Sales receipt 1001', date: 'Feb 12, 2026', due: none, status: 'Paid', amount: '€75.00 $82.50', balance: none },
        { type: 'Invoice', title: 'Invoice 1005', date: 'Feb 1, 2026', due: 'Mar 3, 2026', status: 'Voided', amount: '€0.00 $0.00', balance: none },
        { type: 'Invoice', title: 'Invoice 1003 Paid by Payment SEPA-4471', date: 'Jan 20, 2026', due: 'Feb 19, 2026', status: 'Paid', amount: '€300.00 $330.00', balance: none },
        { type: 'Invoice', title: 'Invoice 1002', date: 'Jan 10, 2026', due: 'Feb 9, 2026', status: 'Overdue', amount: '€500.00 $550.00', balance: '€500.00' },
      ]);
      // Each transaction opens in QuickBooks, in a new tab, named for screen readers.
      const overdue = page.locator(`#txn-Invoice-${docs.overdueInvoice} a.open-link`);
      expect(await overdue.getAttribute('href')).toBe(`${app}/invoice?txnId=${docs.overdueInvoice}`);
      expect(await overdue.getAttribute('target')).toBe('_blank');
      expect(await overdue.getAttribute('rel')).toBe('noopener noreferrer');
      expect(await overdue.getAttribute('aria-label')).toBe(
        'Open invoice 1002 in QuickBooks (opens in a new tab)',
      );
      // An invoice the customer may pay online offers its payment page; the others do not.
      const pay = page.locator(`#txn-Invoice-${docs.overdueInvoice} a.pay-link`);
      expect(await pay.getAttribute('href')).toMatch(/^https:\/\/connect\.intuit\.com\/portal\//);
      expect(await pay.getAttribute('aria-label')).toBe('Payment page of invoice 1002 (opens in a new tab)');
      expect(await page.locator('a.pay-link').count()).toBe(1);
      if (width === 400) await expectEveryColumnVisible(page);

      // No scripts, and the policy stops any that get in; the stylesheet is allowed and applied.
      expect(await page.locator('script').count()).toBe(0);
      await page.addScriptTag({ content: 'document.body.dataset.ran = "yes"' }).catch(() => undefined);
      expect(await page.locator('body').getAttribute('data-ran')).toBeNull();
      expect(
        await page.evaluate('getComputedStyle(document.querySelector(".tone-danger")).backgroundColor'),
      ).toBe('rgb(255, 235, 233)');
      expect(errors.filter((error) => !/Content Security Policy.*script/i.test(error))).toEqual([]);
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'customer', width);
      await page.close();
    });

    it('relates payments, estimates, credits and refunds to the invoices they concern, and links between them', async () => {
      const { page } = await open(panelUrl(states.harbor.crmContactId), width);
      const { docs } = states.harbor;
      expect(await page.locator('h1').innerText()).toBe('Harbor Supply Co');
      // The CRM's home currency is the customer's: no second set of figures.
      expect(await page.locator('#home-title').count()).toBe(0);
      expect(await figures(page, 'dl.figures:not([aria-labelledby])')).toContainEqual([
        'Credit available',
        '$160.00 owed to the customer',
      ]);
      expect(await figures(page, 'dl[aria-labelledby="behaviour-title"]')).toEqual([
        ['Average days to pay', '24 days over 1 paid invoice'],
        ['Paid on time', '100% over 1 paid invoice'],
        ['Tags', 'qb:customer qb:overdue'],
      ]);
      // prettier-ignore
      expect((await rows(page)).map(({ title, status, amount, balance }) => [title, status, amount, balance])).toEqual([
        ['Payment WIRE-77', 'Unapplied', '$100.00', '$100.00 not applied yet'],
        ['Refund receipt RF-8', 'Refunded', '−$25.00 refunded', '— none'],
        ['Credit memo CM-31', 'Unapplied', '−$60.00 credit to the customer', '$60.00 credit left'],
        ['Payment ACH-5521 Paid Invoice H-1001', 'Applied', '$400.00', '— none'],
        ['Invoice H-1002', 'Overdue', '$250.00', '$250.00'],
        ['Invoice H-1001 From Estimate E-301 Paid by Payment ACH-5521', 'Paid', '$400.00', '— none'],
        ['Estimate E-301 Became Invoice H-1001', 'Converted', '$400.00', '— none'],
      ]);
      // A related transaction is a link to its row.
      await page
        .locator(`#txn-Estimate-${docs.estimate}`)
        .getByRole('link', { name: 'Invoice H-1001' })
        .click();
      expect(new URL(page.url()).hash).toBe(`#txn-Invoice-${docs.converted}`);
      expect(await page.locator('tr:target').getAttribute('id')).toBe(`txn-Invoice-${docs.converted}`);
      if (width === 400) await expectEveryColumnVisible(page);
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'relations', width);
      await page.close();
    });

    it('filters by type and status with links that keep the token, and says when nothing matches', async () => {
      const opened = panelUrl(book.euro.crmContactId);
      const { page } = await open(opened, width);
      const filters = page.getByRole('navigation', { name: 'Filter transactions' });
      await filters
        .getByRole('group', { name: 'Type' })
        .getByRole('link', { name: /^Invoices/ })
        .click();
      expect(new URL(page.url()).searchParams.get('type')).toBe('Invoice');
      expect((await rows(page)).map((row) => row.type)).toEqual(Array(5).fill('Invoice'));
      expect(await filters.locator('[aria-current="true"]').allInnerTexts()).toEqual(['Invoices 5', 'All 5']);
      // Status choices are counted among invoices only.
      const statusGroup = filters.getByRole('group', { name: 'Status' });
      await statusGroup.getByRole('link', { name: /^Overdue/ }).click();
      expect((await rows(page)).map((row) => row.title)).toEqual(['Invoice 1002']);
      expect(await filters.locator('[aria-current="true"]').allInnerTexts()).toEqual([
        'Invoices 1',
        'Overdue 1',
      ]);
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'filtered', width);

      // Every link of the panel still carries the token: the filtered view is authorised like the first.
      const filteredUrl = new URL(page.url());
      expect(filteredUrl.searchParams.get('token')).toBe(new URL(opened).searchParams.get('token'));

      filteredUrl.searchParams.set('type', 'SalesReceipt');
      await page.goto(filteredUrl.toString());
      expect(await page.locator('tbody tr').count()).toBe(0);
      expect(squash(await page.locator('.empty').innerText())).toBe(
        'No transactions match these filters. Show all transactions',
      );
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'no-match', width);
      await page.getByRole('link', { name: 'Show all transactions' }).click();
      expect(await page.locator('tbody tr').count()).toBe(9);
      await page.close();
    });

    it('pages a long history, 25 at a time', async () => {
      const { page } = await open(panelUrl(states.long.crmContactId), width);
      const pager = page.getByRole('navigation', { name: 'Transaction pages' });
      expect(squash(await pager.innerText())).toBe('← Newer Page 1 of 2 Older →');
      const first = await rows(page);
      expect(first).toHaveLength(25);
      expect(first[0]!.title).toBe('Invoice L-030');
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'paged', width);
      await pager.getByRole('link', { name: 'Older →' }).click();
      expect(new URL(page.url()).searchParams.get('page')).toBe('2');
      const second = await rows(page);
      expect(second.map((row) => row.title)).toEqual(
        ['L-005', 'L-004', 'L-003', 'L-002', 'L-001'].map((number) => `Invoice ${number}`),
      );
      expect(squash(await pager.innerText())).toBe('← Newer Page 2 of 2 Older →');
      await pager.getByRole('link', { name: '← Newer' }).click();
      expect((await rows(page))[0]!.title).toBe('Invoice L-030');
      await page.close();
    });

    it('shows a linked contact whose latest change QuickBooks rejected, with the reason', async () => {
      const { page } = await open(panelUrl(states.rejectedLinked.crmContactId), width);
      expect(await page.locator('h1').innerText()).toBe('Alder Street Bakery');
      const notice = page.getByRole('alert');
      expect(squash(await notice.innerText())).toBe(
        'Rejected QuickBooks rejected the latest changes to this contact: phone: is longer than the 30 characters QuickBooks allows Below is the customer as QuickBooks has it. Correct the contact in the CRM and save it to send it again.',
      );
      expect((await rows(page)).map((row) => row.title)).toEqual(['Invoice 1006']);
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'rejected-change', width);
      await page.close();
    });

    it('says so when a linked customer has no transactions yet', async () => {
      const { page } = await open(panelUrl(states.empty.crmContactId), width);
      expect(await page.locator('h1').innerText()).toBe('Quiet Meadow Farm');
      expect(await page.locator('.empty').innerText()).toBe('No transactions in QuickBooks yet.');
      expect(await page.getByRole('navigation', { name: 'Filter transactions' }).count()).toBe(0);
      await expectNoHorizontalOverflow(page);
      await shoot(page, 'no-transactions', width);
      await page.close();
    });

    it.each([
      [
        'never-sent',
        () => states.neverSent.crmContactId,
        'Not linked to QuickBooks',
        /has not sent this contact/,
      ],
      ['pending', () => states.pending.crmContactId, 'Waiting to sync', /on its way to QuickBooks/],
      [
        'rejected',
        () => states.rejected.crmContactId,
        'Rejected by QuickBooks',
        /did not accept this contact: displayName: QuickBooks does not allow ":" in a display name email: is not an email address QuickBooks accepts Correct the contact in the CRM/,
      ],
      ['deleted', () => states.deleted.crmContactId, 'Deleted in the CRM', /was deleted in the CRM/],
    ])('says why a %s contact has no customer', async (state, contact, title, explanation) => {
      const { page, status } = await open(panelUrl(contact()), width);
      expect(status).toBe(200);
      expect(await page.locator('h1').innerText()).toBe(title);
      const body = squash(await page.locator('main').innerText());
      expect(body).toMatch(explanation);
      // Only a contact that is on its way is promised to appear.
      if (state === 'rejected' || state === 'deleted') expect(body).not.toMatch(/once it has been synced/);
      expect(await page.locator('.synced').innerText()).toBe('Last synced 3 minutes ago');
      expect(await page.locator('a').count()).toBe(0);
      await expectNoHorizontalOverflow(page);
      await shoot(page, `contact-${state}`, width);
      await page.close();
    });

    it('refuses a bad link, and a filter it does not know, with a readable page', async () => {
      const contact = book.euro.crmContactId;
      const expired = token(contact, { at: seededAt.getTime() - 901_000 });
      const refused = await open(panelUrl(contact, expired), width);
      expect(refused.status).toBe(401);
      expect(await refused.page.locator('h1').innerText()).toBe('Link expired');
      await expectNoHorizontalOverflow(refused.page);
      await shoot(refused.page, 'link-expired', width);
      await refused.page.close();

      const invalid = await open(`${panelUrl(contact)}&status=lost`, width);
      expect(invalid.status).toBe(400);
      expect(await invalid.page.locator('h1').innerText()).toBe('Invalid filter');
      expect(await invalid.page.locator('main p').last().innerText()).toMatch(
        /^status must be one of open, overdue, paid, partially_paid, /,
      );
      await expectNoHorizontalOverflow(invalid.page);
      await shoot(invalid.page, 'invalid-filter', width);
      await invalid.page.close();
    });
  });

  it('can be framed by a CRM page on another origin, in a 400 px sidebar', async () => {
    const host = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><title>CRM contact</title><body style="margin:0;display:flex">` +
          `<main style="flex:1"><h1>Contact</h1></main>` +
          `<iframe title="QuickBooks" width="400" height="800" style="border:0" src="${panelUrl(book.euro.crmContactId)}"></iframe></body>`,
      );
    });
    const hostOrigin = await listen(host);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(hostOrigin);
      const frame = page.frameLocator('iframe[title="QuickBooks"]');
      expect(await frame.locator('h1').innerText()).toBe('Müller & Söhne GmbH');
      expect(await frame.locator('tbody tr').count()).toBe(9);
      const inner = page.frames().find((candidate) => candidate.url().includes('/embed/'))!;
      expect(
        await inner.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth'),
      ).toBe(true);
      await page.screenshot({ path: path.join(screenshots, 'framed-in-crm.png') });
      await page.close();
    } finally {
      await close(host);
    }
  });

  it('refuses forged, missing, other-contact and other-account tokens without showing the customer', async () => {
    const refused = async (url: string) => {
      const response = await fetch(url);
      const body = await response.text();
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors \*/);
      expect(body).not.toContain('Müller');
      return { status: response.status, title: /<h1 id="page-title">([^<]*)<\/h1>/.exec(body)?.[1] };
    };
    const contact = book.euro.crmContactId;
    const forged = token(contact).replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    expect(await refused(panelUrl(contact, forged))).toEqual({ status: 401, title: 'Invalid link' });
    expect(await refused(`${origin}/embed/contacts/${contact}/quickbooks`)).toEqual({
      status: 401,
      title: 'Sign-in required',
    });
    expect(await refused(panelUrl(contact, token(book.bakery.crmContactId)))).toEqual({
      status: 403,
      title: 'Not allowed',
    });
    expect(await refused(panelUrl(contact, token(contact, { accountId: 'acct-someone-else' })))).toEqual({
      status: 403,
      title: 'Not allowed',
    });
  });

  it('answers with the headers that let any CRM frame it and nothing run in it', async () => {
    const response = await fetch(panelUrl(book.euro.crmContactId));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors \*/);
    expect(response.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe/);
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
