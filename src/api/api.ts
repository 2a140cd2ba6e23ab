import express, { type Router } from 'express';
import { authenticateKey } from '../accounts/keys';
import { createEmbedRouter } from './embed';
import { invalidKeyDetail, missingKeyDetail } from './http/api-key-guidance';
import { withIdempotency } from './http/idempotency';
import { createMetrics } from './http/metrics';
import { createDocsRouter, openApiDocument } from './http/openapi';
import { ApiProblem } from './http/problem';
import { RateLimiter } from './http/rate-limit';
import { ApiRoutes } from './http/route';
import { addAccountRoutes } from './routes/account';
import { addConnectionRoutes } from './routes/connections';
import { addDocumentRoutes } from './routes/documents';
import { addAuditRoutes } from './routes/audit';
import { addContactRoutes } from './routes/contacts';
import { addCustomFieldRoutes } from './routes/custom-fields';
import { addPreviewRoutes } from './routes/previews';
import { addEventRoutes } from './routes/events';
import { addFollowUpPreviewRoutes } from './routes/follow-up-preview';
import { addFollowUpRoutes } from './routes/follow-ups';
import { addProductRoutes } from './routes/products';
import { addSessionRoutes } from './routes/sessions';
import { addSyncEventRoutes } from './routes/sync-events';
import { addUndoRoutes } from './routes/undo';
import { createConsoleRouter } from '../console/router';
import { createUnsubscribeRouter } from './unsubscribe';
import type { ApiServices } from './services';
import { authenticateSession, sessionToken } from './sessions';

export interface ApiOptions {
  /** Check every response against its declared schema (tests and development). */
  validateResponses: boolean;
  rateLimit: { perMinute: number; burst: number };
  version: string;
}

/** Every `/v1` route the CRM calls, with auth, rate limits and idempotency, plus the OpenAPI document and docs. */
export function createApi(
  services: ApiServices,
  options: ApiOptions,
): { routes: ApiRoutes; routers: Router[] } {
  const limiter = new RateLimiter(options.rateLimit.perMinute, options.rateLimit.burst);
  const routes = new ApiRoutes(
    {
      async authenticate(req) {
        const header = req.get('authorization');
        // The console's pages send no key: their session cookie stands for the key they signed in with.
        const session = header ? undefined : sessionToken(req);
        if (session) return authenticateSession(await services.db(), req, session, services.now());
        if (!header)
          throw new ApiProblem(401, 'authentication_required', missingKeyDetail, 'header.Authorization');
        const [scheme, key] = header.split(' ');
        const found =
          scheme?.toLowerCase() === 'bearer' && key
            ? await authenticateKey(await services.db(), key, services.now())
            : null;
        if (!found)
          throw new ApiProblem(401, 'invalid_api_key', invalidKeyDetail(header), 'header.Authorization');
        return found;
      },
      rateLimit(auth, res) {
        const { remaining, limit } = limiter.take(auth.keyId);
        res.setHeader('RateLimit-Limit', String(limit));
        res.setHeader('RateLimit-Remaining', String(remaining));
      },
      async idempotency(auth, req, run) {
        return withIdempotency(
          await services.db(),
          auth,
          req,
          run,
          services.now(),
          services.retention?.idempotencyHours,
        );
      },
    },
    { validateResponses: options.validateResponses },
  );
  const metrics = createMetrics(services.db);
  // Counts every request that reaches the routers after it, whatever answers it.
  const metricsRouter = express.Router().use(metrics.middleware).use(metrics.router);
  addAccountRoutes(routes, services);
  addConnectionRoutes(routes, services);
  addCustomFieldRoutes(routes, services);
  addAuditRoutes(routes, services);
  addContactRoutes(routes, services);
  addDocumentRoutes(routes, services);
  addEventRoutes(routes, services);
  addFollowUpRoutes(routes, services);
  addFollowUpPreviewRoutes(routes, services);
  addPreviewRoutes(routes, services);
  addProductRoutes(routes, services);
  addSessionRoutes(routes, services);
  addSyncEventRoutes(routes, services);
  addUndoRoutes(routes, services);
  return {
    routes,
    routers: [
      metricsRouter,
      routes.router,
      createDocsRouter(() => openApiDocument(routes, options.version)),
      createConsoleRouter({ log: services.log }),
      createEmbedRouter({
        db: services.db,
        secret: services.embedSecret,
        now: services.now,
        log: services.log,
      }),
      createUnsubscribeRouter({
        db: services.db,
        secret: services.stateSecret,
        now: services.now,
        log: services.log,
      }),
    ],
  };
}
