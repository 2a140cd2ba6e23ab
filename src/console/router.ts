import express, { type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { escapeHtml } from '../html/markup';
import { bundleConsole, type ConsoleBundle } from './bundle';

/** Everything from this origin, nothing inline, nothing from elsewhere; never framed. */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  // The contact page shows the embeddable QuickBooks panel, served by this API.
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function shell(bundle: ConsoleBundle): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>qbo-sync console</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/console/assets/${escapeHtml(bundle.style.name)}">
  <script type="module" src="/console/assets/${escapeHtml(bundle.script.name)}"></script>
</head>
<body>
  <noscript>The qbo-sync console needs JavaScript.</noscript>
</body>
</html>
`;
}

function secure(res: Response): Response {
  return res
    .setHeader('Content-Security-Policy', contentSecurityPolicy)
    .setHeader('X-Content-Type-Options', 'nosniff')
    .setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * The console under `/console`: one HTML shell for every page (the client routes), and its script and stylesheet.
 * They are bundled at the first request and kept, so `npm start` and the tests need no build step.
 */
export function createConsoleRouter(options: { log: Logger }): Router {
  let bundle: Promise<ConsoleBundle> | undefined;
  const bundled = (): Promise<ConsoleBundle> => {
    bundle ??= bundleConsole().catch((error: unknown) => {
      // Not cached: the next request tries again.
      bundle = undefined;
      options.log.error({ err: error }, 'console bundle failed');
      throw error;
    });
    return bundle;
  };

  const router = express.Router();
  router.get('/console/assets/:name', async (req, res) => {
    const { script, style } = await bundled();
    const asset = [script, style].find((candidate) => candidate.name === req.params.name);
    if (!asset) return void secure(res).status(404).type('text/plain').send('Not found');
    secure(res)
      .type(asset.type)
      .setHeader('Cache-Control', 'public, max-age=31536000, immutable')
      .send(asset.body);
  });
  router.get(['/console', '/console/{*page}'], async (_req, res) => {
    secure(res)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(shell(await bundled()));
  });
  return router;
}
