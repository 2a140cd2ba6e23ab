import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createQboSyncClient, ok, type QboSyncClient } from '../../sdk/src';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { launchChromium } from '../support/chromium';
import { eventually } from '../support/env';
import { checkPage, expectText, recordErrors, rendered } from './browser';

const widths = { wide: 1280, narrow: 400 } as const;

/**
 * The console as an admin uses it, in Debian's Chromium: sign in with a key, connect the emulator's company through
 * Intuit's (emulated) consent page, watch the backfill reach 100 %, resolve a conflict, retry a failing contact,
 * edit a follow-up policy and preview its emails. Every page is screenshotted at 1280 and 400 px
 * (test-output/console-*.png), must not scroll sideways at 400 px, and must have no serious axe-core violation.
 */
describe('the console, in headless Chromium', () => {
  let harness: ApiHarness;
  let api: QboSyncClient;
  let browser: Browser;
  let context: BrowserContext;
  const pages = {} as Record<keyof typeof widths, Page>;
  const errors: string[] = [];
  let connectionId: string;
  let realmId: string;

  beforeAll(async () => {
    // Chromium first: when it is missing, the suite fails at once with the message saying how to install it.
    browser = await launchChromium();
    harness = await startApiHarness();
    api = createQboSyncClient({ baseUrl: harness.url, apiKey: harness.account.key });
    context = await browser.newContext();
    for (const [name, width] of Object.entries(widths) as [keyof typeof widths, number][]) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 900 });
      // A CSP violation, a failed script or an uncaught error all show up here.
      recordErrors(page, name, errors);
      pages[name] = page;
    }
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await harness?.close();
  });

  /** Every page at both widths: no sideways scrolling, nothing serious for axe-core (see ./browser). */
  async function check(name: string, route: string, heading: string | RegExp): Promise<void> {
    for (const [width, page] of Object.entries(pages) as [keyof typeof widths, Page][]) {
      const here = new URL(page.url());
      if (here.origin !== harness.url || `${here.pathname}${here.search}` !== route)
        await page.goto(`${harness.url}${route}`);
      await rendered(page, heading);
      await checkPage(page, `${name}-${widths[width]}`);
    }
  }

  it('signs in with a key that never reaches the URL or script-readable storage', async () => {
    const page = pages.wide;
    await page.goto(`${harness.url}/console`);
    await rendered(page, 'Sign in');
    expect(page.url()).toMatch(/\/console\/sign-in/);
    const response = await page.request.get(`${harness.url}/console`);
    expect(response.headers()['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    await pages.narrow.goto(`${harness.url}/console/sign-in`);
    await check('sign-in', '/console/sign-in', 'Sign in');

    await page.getByLabel('API key').fill('qbs_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page, '[role=alert]', 'the API key is not valid');

    await page.getByLabel('API key').fill(harness.account.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await rendered(page, 'Connections');
    expect(page.url()).toBe(`${harness.url}/console/connections`);
    const stored = await page.evaluate<{ cookie: string; local: string; session: string }>(
      '({ cookie: document.cookie, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })',
    );
    expect(JSON.stringify(stored)).not.toContain(harness.account.key.slice(4, 20));
    expect(stored.cookie).toBe('');
    const [cookie] = await context.cookies(`${harness.url}/v1/`);
    expect(cookie).toMatchObject({ name: 'qbs_session', httpOnly: true, sameSite: 'Strict', path: '/v1' });
  });

  it('connects the emulator’s company through the consent page and watches the backfill reach 100 %', async () => {
    const company = await harness.emulator.admin('POST', '/companies', {
      companyName: 'Console Books',
      seed: { customers: 600, transactions: 300 },
    });
    realmId = company.json.realmId;
    const page = pages.wide;
    await page.getByRole('button', { name: 'Connect a QuickBooks company' }).click();
    // The emulator's consent page, as Intuit's: pick the company, approve.
    await page.getByLabel(/Console Books/).check({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/\/console\/connections\/conn_[^?]+\?connected=1$/, { timeout: 15_000 });
    await rendered(page, 'Console Books');
    connectionId = new URL(page.url()).pathname.split('/').pop()!;
    await expectText(page, '.notice', 'The company is connected.');

    const seen: number[] = [];
    const bar = page.locator('#backfill-title ~ progress');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = Number(await bar.getAttribute('value'));
      if (seen[seen.length - 1] !== value) seen.push(value);
      if (value === 100 || Date.now() > deadline) break;
      await page.waitForTimeout(200);
    }
    expect(seen[seen.length - 1]).toBe(100);
    // The bar never goes back.
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    await expectText(page, '#backfill-label', /^100 % · \d+ records read · [\d.]+ records\/s · finished/);
    const connection = await ok(api.GET('/v1/connections/{id}', { params: { path: { id: connectionId } } }));
    expect(connection.backfill?.status).toBe('done');
    expect(connection.counts.customers).toBe(company.json.counts.Customer);

    // A reload shows the same, from the server's state.
    await page.reload();
    await rendered(page, 'Console Books');
    expect(await bar.getAttribute('value')).toBe('100');
    await check('connection', `/console/connections/${connectionId}?connected=1`, 'Console Books');
    await check('connections', '/console/connections', 'Connections');
  });

  it('pauses the sync from the connection page and resumes it', async () => {
    const page = pages.wide;
    await page.goto(`${harness.url}/console/connections/${connectionId}`);
    await rendered(page, 'Console Books');
    await page.getByRole('button', { name: 'Pause sync' }).click();
    await page.getByRole('button', { name: 'Resume sync' }).waitFor({ timeout: 15_000 });
    await expectText(page, '.facts', /Active, paused/);
    expect(await page.getByRole('button', { name: 'Sync now' }).count()).toBe(0);
    const paused = await ok(api.GET('/v1/connections/{id}', { params: { path: { id: connectionId } } }));
    expect(paused.paused).toMatchObject({ since: expect.any(String) });
    expect(paused.workflow?.paused).toBe(true);

    await page.getByRole('button', { name: 'Resume sync' }).click();
    await page.getByRole('button', { name: 'Sync now' }).waitFor({ timeout: 15_000 });
    const resumed = await ok(api.GET('/v1/connections/{id}', { params: { path: { id: connectionId } } }));
    expect(resumed.paused).toBeNull();
    expect(resumed.workflow?.paused).toBe(false);
  });

  const put = (crmContactId: string, fields: Record<string, string>) =>
    ok(
      api.PUT('/v1/contacts/{crmContactId}', {
        params: { path: { crmContactId } },
        body: { updatedAt: new Date().toISOString(), fields },
      }),
    );
  const contact = (crmContactId: string) =>
    ok(api.GET('/v1/contacts/{crmContactId}', { params: { path: { crmContactId } } }));

  it('resolves a conflict from the inbox: the CRM’s value reaches QuickBooks', async () => {
    await put('crm-conflict', { displayName: 'Conflict Console Co', phone: '555-0000' });
    const linked = await eventually(
      () => contact('crm-conflict'),
      (found) => found.sync.state === 'synced',
      20_000,
    );
    const customerId = linked.quickbooks!.customerId;
    await harness.emulator.admin('POST', `/companies/${realmId}/entities/customer`, {
      entity: { Id: customerId, PrimaryPhone: { FreeFormNumber: '555-QBO' } },
    });
    await put('crm-conflict', { displayName: 'Conflict Console Co', phone: '555-CRM' });
    const [conflict] = await eventually(
      async () => (await ok(api.GET('/v1/sync-events', { params: { query: { status: 'conflict' } } }))).data,
      (found) => found.length === 1,
      20_000,
    );

    await check('conflicts', '/console/conflicts', 'Conflicts');
    const page = pages.wide;
    const row = page.locator('tbody tr', { hasText: 'crm-conflict' });
    // Both values with the time each side changed it, and the rule in words.
    const shown = (iso: unknown) =>
      new Date(String(iso)).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
    expect(await row.innerText()).toContain(
      [
        '555-CRM',
        shown(conflict!.detail.crmChangedAt),
        '555-QBO',
        shown(conflict!.detail.qboChangedAt),
        'Both changed within the clock tolerance of each other: QuickBooks wins such a tie',
      ].join('\t'),
    );
    await row.getByRole('button', { name: 'Use CRM: phone of crm-conflict' }).click();
    await expectText(page, '[role=status]', 'Conflict resolved.');
    await expectText(page, 'main', 'No conflict is waiting for a decision.');
    const qbo = await harness.qboFor(realmId);
    const phone = await eventually(
      async () => (await qbo.read('Customer', customerId)).json.Customer.PrimaryPhone?.FreeFormNumber,
      (value) => value === '555-CRM',
      20_000,
    );
    expect(phone).toBe('555-CRM');

    await check(
      'contact',
      `/console/contacts/crm-conflict?connectionId=${connectionId}`,
      'Conflict Console Co',
    );
    await expectText(page, 'main', 'Fields side by side');
    // Where each value came from: the name since the customer was made from the contact, the phone as decided.
    const origin = (field: string) =>
      page
        .locator('section[aria-labelledby=lineage-title] tbody tr')
        .filter({ has: page.getByRole('cell', { name: field, exact: true }) })
        .innerText();
    expect(await origin('displayName')).toMatch(
      /^displayName\tConflict Console Co\tin sync\tthe CRM\t.+\tthe customer was created from the contact$/,
    );
    expect(await origin('phone')).toMatch(/^phone\t555-CRM\tin sync\t/);
    expect(await page.locator('iframe.panel').getAttribute('title')).toBe(
      'QuickBooks section of Conflict Console Co',
    );
    // Search runs over every customer QuickBooks has, read in the background.
    await check('contacts', '/console/contacts', 'Contacts');
    const feed = await ok(
      api.GET('/v1/contacts', { params: { query: { changedSince: '1970-01-01T00:00:00Z', limit: 200 } } }),
    );
    const wanted = feed.data[feed.data.length - 1]!.fields.displayName!;
    await page.getByLabel('Search by name, email, company or id').fill(wanted);
    await expectText(page, 'main', /^[1-9]\d* of \d+ customers$/m);
    const rows = await page.locator('tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.toLowerCase()).toContain(wanted.toLowerCase());
    expect(new URL(page.url()).searchParams.get('q')).toBe(wanted);
    // A contact only the CRM has touched is opened by its id.
    await page.getByLabel('CRM contact id').fill('crm-conflict');
    await page.getByRole('button', { name: 'Open contact' }).click();
    await rendered(page, 'Conflict Console Co');
  });

  it('shows why a record fails, with a fix hint, and retries it', async () => {
    await put('crm-failing', { displayName: 'Broken: Console', email: 'not-an-email' });
    await eventually(
      () => contact('crm-failing'),
      (found) => found.sync.state === 'rejected',
      20_000,
    );
    await check('failing', '/console/failing', 'Failing records');
    const page = pages.wide;
    const row = page.locator('tbody tr', { hasText: 'crm-failing' });
    const text = await row.innerText();
    expect(text).toMatch(/DisplayName must not contain a colon/);
    expect(text).toMatch(/must contain an @ and a dot/);
    expect(text).toMatch(/Correct email in the CRM/);

    const failures = async () =>
      (
        await ok(
          api.GET('/v1/sync-events', {
            params: { query: { crmContactId: 'crm-failing', status: 'failed' } },
          }),
        )
      ).data.length;
    expect(await failures()).toBe(1);
    await row.getByRole('button', { name: 'Retry crm-failing' }).click();
    await expectText(page, '[role=status]', '1 queued for another try.');
    // The retry ran: QuickBooks' rules were applied again to the still-broken record.
    expect(await eventually(failures, (count) => count === 2, 20_000)).toBe(2);

    await put('crm-failing', { displayName: 'Fixed Console', email: 'fixed@console.example' });
    await eventually(
      () => contact('crm-failing'),
      (found) => found.sync.state === 'synced',
      20_000,
    );
    await page.reload();
    await rendered(page, 'Failing records');
    await expectText(page, 'main', 'No contact is failing.');
  });

  it('edits a follow-up policy with a live preview of each email, and saves it', async () => {
    await check('follow-ups', '/console/follow-ups', 'Follow-ups');
    const page = pages.wide;
    await expectText(page, '.previews', 'Payment reminder: invoice 1001 is 1 day overdue');

    await page.getByLabel('Days past due for each reminder (comma-separated)').fill('3, 10');
    await page.getByLabel('Sender name (the company’s when empty)').fill('Console Test Co');
    await expectText(page, '.previews', 'Payment reminder: invoice 1001 is 3 days overdue');
    await expectText(page, '.previews', 'Payment reminder: invoice 1001 is 10 days overdue');
    const previews = await page.locator('.previews article').allInnerTexts();
    expect(previews.join('\n')).toContain('Console Test Co');
    expect(previews.join('\n')).not.toContain('1 day overdue');
    // One email per customer: the overdue reminders become one digest listing an invoice per step.
    await page.getByLabel('One email per customer listing all their overdue invoices').check();
    await expectText(page, '.previews', 'Payment reminder: 2 overdue invoices');
    await expectText(page, '.previews', /Invoice 1001, due .* \(10 days overdue\)/);
    await expectText(page, '.previews', /Invoice 1004, due .* \(3 days overdue\)/);

    // A mistake is named before anything is saved.
    await page.getByLabel('Days past due for each reminder (comma-separated)').fill('3, 400');
    await expectText(page, '.policy [role=alert]', /cadenceDays/);
    await page.getByLabel('Days past due for each reminder (comma-separated)').fill('3, 10');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expectText(page, '[role=status]', 'Follow-up policy saved.');
    const saved = await ok(
      api.GET('/v1/connections/{id}/follow-up-policy', { params: { path: { id: connectionId } } }),
    );
    expect(saved.overdue.cadenceDays).toEqual([3, 10]);
    expect(saved.email.senderName).toBe('Console Test Co');
    expect(saved.email.delivery).toBe('digest');
  });

  it('lists the CRM events with their payloads, and signs out', async () => {
    await check('events', '/console/events', 'Events');
    const page = pages.wide;
    await page.locator('tbody tr a').first().click();
    await rendered(page, /^Event /);
    await check('event', new URL(page.url()).pathname, /^Event /);
    expect(await page.locator('pre.payload').innerText()).toMatch(/"type": "/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await rendered(page, 'Sign in');
    expect(await context.cookies(`${harness.url}/v1/`)).toEqual([]);
    const after = await page.request.get(`${harness.url}/v1/connections`);
    expect(after.status()).toBe(401);
    expect(errors).toEqual([]);
  });
});
