import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

/**
 * How the console's browser tests look at a page: wait for it to render, wait for a text (throwing what was last
 * seen), record what goes wrong unseen, and check a page as a whole (screenshot, no sideways scrolling, axe-core).
 */

const outputDir = path.join(__dirname, '..', '..', 'test-output');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Collects CSP violations, failed scripts and uncaught errors into `errors`, prefixed with `name`. */
export function recordErrors(page: Page, name: string, errors: string[]): void {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // Answers the tests ask for (a wrong key, a session not yet made, a bad policy) are logged as failed loads, and
    // so is the latest drift audit's 404 before there is one.
    const asked = /^Failed to load resource: the server responded with a status of 4(00|01)/.test(text);
    const noAuditYet =
      /status of 404/.test(text) && /\/v1\/connections\/[^/]+\/audit$/.test(message.location().url);
    if (!asked && !noAuditYet) errors.push(`${name}: ${text}`);
  });
  page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
}

/** Waits until the console has rendered a page: its heading is there and nothing is loading. */
export async function rendered(page: Page, heading?: string | RegExp): Promise<void> {
  const h1 = page.locator('main h1');
  await h1.waitFor({ timeout: 15_000 });
  if (heading) await expectText(page, 'main h1', heading);
  await page.locator('main .loading').waitFor({ state: 'detached', timeout: 15_000 });
}

export async function expectText(
  page: Page,
  selector: string,
  expected: string | RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  const locator = page.locator(selector).first();
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  for (;;) {
    seen = (await locator.count()) > 0 ? await locator.innerText() : '(absent)';
    if (typeof expected === 'string' ? seen.includes(expected) : expected.test(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`${selector} never showed ${String(expected)}; last: ${seen}`);
    await page.waitForTimeout(100);
  }
}

/**
 * Screenshots the page (test-output/console-<name>.png), and expects it not to scroll sideways and axe-core to
 * find no serious or critical violation.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: path.join(outputDir, `console-${name}.png`), fullPage: true });
  // Strings, not functions: the tests are compiled without the DOM's types.
  const overflow = await page.evaluate<{ scroll: number; client: number }>(
    '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
  );
  expect({ page: name, ...overflow, overflows: overflow.scroll > overflow.client }).toMatchObject({
    overflows: false,
  });
  // evaluate, not a script tag: the console's CSP rightly refuses inline scripts.
  await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>('axe.run().then((result) => result.violations)');
  const serious = violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.help}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
  expect({ page: name, serious }).toEqual({ page: name, serious: [] });
}
