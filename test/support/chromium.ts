import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, installed by `scripts/bootstrap.sh --test`. Its absence fails the browser tests: skipping
 * them would pass a suite that never looked at the page.
 */
export function chromiumPath(): string {
  const explicit = process.env.CHROMIUM_PATH;
  const candidates = explicit
    ? [explicit]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => path.join(dir, name)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next one.
    }
  }
  throw new Error(
    `Chromium was not found (${explicit ? `CHROMIUM_PATH=${explicit}` : 'no chromium on PATH'}). The browser ` +
      "tests need Debian's chromium package: run `bash scripts/bootstrap.sh --test` (as root or with " +
      'passwordless sudo), or set CHROMIUM_PATH to a Chromium binary.',
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
}
