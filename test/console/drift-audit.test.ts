import type { Browser, Page } from 'playwright-core';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { launchChromium } from '../support/chromium';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';
import { checkPage, expectText, recordErrors, rendered } from './browser';

const section = 'section[aria-labelledby=drift-title]';

/**
 * The drift audit on a connection's page, in Debian's Chromium: "No audit yet", an audit run from the page that
 * shows itself running and then its counts, and, after a bookkeeper's edit the engine never heard of (Intuit's
 * webhooks dropped, polls an hour apart), the drifted contact field by field and the rate over time.
 */
describe('the drift audit in the console', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let page: Page;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;
  let qboId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    harness = await startApiHarness();
    connection = await harness.connect(harness.account, {
      backfill: false,
      company: { companyName: 'Drift Books' },
    });
    qbo = await harness.qboFor(connection.realmId);
    const settings = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { pollIntervalSeconds: 3600, activePollIntervalSeconds: 3600 },
    });
    expect(settings.status).toBe(200);
    const put = await harness.request('PUT', '/v1/contacts/drifter', {
      body: {
        updatedAt: new Date(Date.now() - 60_000).toISOString(),
        fields: { displayName: 'Dora Drifter', phone: '555-0100' },
      },
    });
    expect(put.status).toBe(202);
    const linked = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/drifter')).json,
      (found) => found.sync?.state === 'synced' && found.quickbooks !== null,
      20_000,
      'drifter synced',
    );
    qboId = linked.quickbooks.customerId;

    page = await (await browser.newContext()).newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    recordErrors(page, 'drift', errors);
    await page.goto(`${harness.url}/console/sign-in`);
    await rendered(page, 'Sign in');
    await page.getByLabel('API key').fill(harness.account.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await rendered(page, 'Connections');
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  /**
   * Records every status the section shows, in order, from now on (the audit's start can be brief): the status
   * word before the comma, once per change of it (what follows it, such as a time, may be redrawn meanwhile).
   */
  const watchStatuses = () =>
    page.evaluate(`{
      const section = document.querySelector(${JSON.stringify(section)});
      window.driftStatuses = [];
      const read = () => {
        const status = section.querySelector('.facts dd')?.textContent?.split(',')[0] ?? null;
        if (status !== null && window.driftStatuses[window.driftStatuses.length - 1] !== status)
          window.driftStatuses.push(status);
      };
      read();
      new MutationObserver(read).observe(section, { childList: true, subtree: true, characterData: true });
    }`);
  const seenStatuses = () => page.evaluate<string[]>('window.driftStatuses');
  const sampleRows = () => page.locator(`${section} tbody tr`, { hasText: 'drifter' });

  it('runs an audit from the connection page, shows it running, then its counts', async () => {
    await page.goto(`${harness.url}/console/connections/${connection.id}`);
    await rendered(page, 'Drift Books');
    await expectText(page, section, 'No audit yet.');
    await watchStatuses();

    await page.getByRole('button', { name: 'Run audit now' }).click();
    await expectText(page, `${section} .facts`, /^Status\s+Completed$/m, 30_000);
    // Shown running from the POST's answer, then completed by the page's own polling, with no reload.
    expect(await seenStatuses()).toEqual(['Running', 'Completed']);
    const facts = await page.locator(`${section} .facts`).innerText();
    expect(facts).toMatch(/^Compared\s+1 linked contact$/m);
    expect(facts).toMatch(/^Drifted\s+0 \(0 fields\); 0 healed, 0 left for a person$/m);
    expect(facts).toMatch(/^Drift rate\s+0 % of compared links$/m);
    expect(facts).toMatch(
      /^By kind\s+0 copies behind QuickBooks, 0 contacts differing from QuickBooks, 0 links to inactive customers, 0 links to customers QuickBooks no longer has$/m,
    );
    expect(facts).toMatch(/^Unlinked customers\s+\d+ active customers? no contact is linked to/m);
    expect(facts).toMatch(/^Read from QuickBooks\s+\d+ customers? in [1-9]\d* query pages?$/m);
    await expectText(page, section, 'Nothing drifted.');
    await expectText(page, '[role=status]', 'Audit completed: 0 drifted of 1 compared, 0 healed.');
    expect(await page.locator(`${section} figure [role=img]`).getAttribute('aria-label')).toMatch(
      /^Drift rate of the last 1 audit:/,
    );
  });

  it('shows drift made behind the engine’s back, field by field, healed, and the rate over time', async () => {
    await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, {
      webhooks: { dropRate: 1 },
    });
    const current = (await qbo.read('Customer', qboId)).json.Customer;
    const edited = await qbo.write('Customer', {
      Id: qboId,
      SyncToken: current.SyncToken,
      sparse: true,
      PrimaryPhone: { FreeFormNumber: '555-0199' },
    });
    expect(edited.status).toBe(200);
    // The engine has not seen it: only the audit below can bring it.
    expect((await harness.request('GET', '/v1/contacts/drifter')).json.fields.phone).toBe('555-0100');
    expect(await sampleRows().count()).toBe(0);

    await watchStatuses();
    // By keyboard this time.
    await page.getByRole('button', { name: 'Run audit now' }).focus();
    await page.keyboard.press('Enter');
    await expectText(
      page,
      `${section} .facts`,
      /^Drifted\s+1 \(1 field\); 1 healed, 0 left for a person$/m,
      30_000,
    );
    expect(await seenStatuses()).toEqual(['Completed', 'Running', 'Completed']);
    const facts = await page.locator(`${section} .facts`).innerText();
    expect(facts).toMatch(/^Drift rate\s+100 % of compared links$/m);
    expect(facts).toMatch(
      /^By kind\s+1 copy behind QuickBooks, 1 contact differing from QuickBooks, 0 links/m,
    );

    expect(await sampleRows().count()).toBe(1);
    const cells = await sampleRows().locator('td').allInnerTexts();
    expect(cells).toEqual([
      'drifter',
      qboId,
      'copy behind QuickBooks; contact differing from QuickBooks',
      'phone: QuickBooks 555-0199 · our copy 555-0100 · CRM 555-0100',
      'Healed',
    ]);
    expect(await sampleRows().getByRole('link', { name: 'drifter' }).getAttribute('href')).toBe(
      `/console/contacts/drifter?connectionId=${connection.id}`,
    );

    // The rate over time: both audits, oldest first, drawn and in the figures.
    const chart = page.locator(`${section} figure`);
    expect(await chart.locator('[role=img]').getAttribute('aria-label')).toMatch(
      /^Drift rate of the last 2 audits/,
    );
    expect(await chart.locator('canvas').count()).toBe(1);
    await chart.getByText('The figures').click();
    const rows = await chart
      .getByRole('region', { name: 'Drift rate per audit' })
      .locator('tbody tr')
      .allInnerTexts();
    expect(rows.map((row) => row.split('\t').slice(1))).toEqual([
      ['1', '0', '0', '0 %'],
      ['1', '1', '1', '100 %'],
    ]);

    await checkPage(page, 'drift-1280');
    await page.setViewportSize({ width: 400, height: 900 });
    await page.reload();
    await rendered(page, 'Drift Books');
    await expectText(page, section, 'Healed');
    await checkPage(page, 'drift-400');
    expect(errors).toEqual([]);
  });
});
