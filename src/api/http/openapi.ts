import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import express, { type Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import type { ApiRoutes } from './route';

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate the requests. */
export function openApiDocument(routes: ApiRoutes, version: string): object {
  return new OpenApiGeneratorV31(routes.registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'qbo-sync API',
      version,
      description:
        'Two-way sync between a CRM and QuickBooks Online. Authenticate with `Authorization: Bearer <API key>`; ' +
        'errors are problem JSON (`type`, `title`, `status`, `code`, `detail`, `field`).',
    },
    servers: [{ url: '/' }],
  });
}

/** `/openapi.json`, and an interactive reference at `/docs` served from the swagger-ui-dist package (no CDN). */
export function createDocsRouter(document: () => object): Router {
  const router = express.Router();
  let cached: object | undefined;
  router.get('/openapi.json', (_req, res) => {
    cached ??= document();
    res.json(cached);
  });
  router.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h' }));
  router.get('/docs', (_req, res) => {
    res
      .type('html')
      .setHeader(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
      )
      .send(docsPage);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(
      `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true,
        presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });`,
    );
  });
  return router;
}

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>qbo-sync API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <main id="reference" aria-label="API reference"></main>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;
