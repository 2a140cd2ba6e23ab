import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { markup } from '../html/markup';
import { allowedMethods } from './http/allowed-methods';
import { ApiProblem } from './http/problem';
import { checkReadiness, type DependencyCheck } from './readiness';

export interface AppDependencies {
  readinessChecks: DependencyCheck[];
  log: Logger;
  /** Feature routers, each owning its full paths (e.g. `/v1/webhooks/quickbooks`). */
  routers?: Router[];
}

/** Builds the HTTP app without listening, so tests drive the same stack over a real socket. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');

  // Liveness: the process can answer. Never touches a dependency, so a database outage does not restart us.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  // Readiness: Temporal and MongoDB both answer right now.
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps.readinessChecks);
    if (!report.ready) deps.log.warn({ checks: report.checks }, 'not ready');
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'unavailable', ...report });
  });

  // People and scripts that try the bare address are told where things are, in the form they asked for.
  app.get('/', (_req, res) => {
    // Listed first, JSON is what a client that accepts anything gets; browsers ask for HTML by name.
    res.format({
      json: () => void res.json(index),
      html: () =>
        void res.type('html').setHeader('Content-Security-Policy', "default-src 'none'").send(indexPage),
      default: () => void res.json(index),
    });
  });

  for (const router of deps.routers ?? []) app.use(router);

  app.use((req, res) => {
    const allowed = allowedMethods(app.router, req.path);
    // A route that passed the request on (next()) is a path served for this method: that is a 404, not a 405.
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      const allow = allowed.join(', ');
      return sendProblem(
        res,
        new ApiProblem(
          405,
          'method_not_allowed',
          `${req.method} is not allowed on ${req.path}; it answers ${allow} (see /docs)`,
          undefined,
          undefined,
          { Allow: allow },
        ),
      );
    }
    sendProblem(
      res,
      new ApiProblem(
        404,
        'route_not_found',
        `no route for ${req.method} ${req.path}: the routes are listed at /docs (and /openapi.json)`,
      ),
    );
  });
  // Thrown problems, body-parser errors and anything unexpected become problem JSON; no stack trace leaks.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = asProblem(error);
    if (problem.status >= 500) deps.log.error({ err: error, path: req.path }, 'request failed');
    sendProblem(res, problem);
  });
  return app;
}

/** What Node's HTTP parser refuses before express sees a request, as Node itself would answer it. */
function unparsableRequestProblem(error: NodeJS.ErrnoException): ApiProblem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiProblem(
        431,
        'headers_too_large',
        'the request line and headers are over 16 kB together: shorten the URL or the headers',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiProblem(408, 'request_timeout', 'the request was not received in time');
    default:
      return new ApiProblem(400, 'bad_request', 'the request is not well-formed HTTP');
  }
}

/**
 * Idle keep-alive connections are held for a minute, longer than a load balancer's idle timeout (60 s on most), so
 * the server never closes a connection at the moment a client or balancer sends the next request on it.
 */
export function holdIdleConnections(server: Server): void {
  server.keepAliveTimeout = 65_000;
}

/**
 * Requests Node refuses before express sees them (a 20,000-character path, malformed syntax) are answered in problem
 * JSON like every other error, then the connection is closed, as Node does by default.
 */
export function answerUnparsableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const problem = unparsableRequestProblem(error).toJSON();
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}

const index = {
  service: 'qbo-sync API',
  docs: '/docs',
  openapi: '/openapi.json',
  console: '/console',
  health: '/healthz',
  readiness: '/readyz',
  detail:
    'Call the /v1 routes with `Authorization: Bearer <API key>`; the reference is at /docs, the admin console at /console.',
};

const indexPage = markup`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${index.service}</title></head>
<body>
<main>
<h1>${index.service}</h1>
<p>This is the API of qbo-sync. Call the <code>/v1</code> routes with <code>Authorization: Bearer &lt;API key&gt;</code>.</p>
<ul>
<li><a href="/console">Admin console</a></li>
<li><a href="/docs">API reference</a> (<a href="/openapi.json">OpenAPI document</a>)</li>
<li><a href="/healthz">Health</a> and <a href="/readyz">readiness</a></li>
</ul>
</main>
</body>
</html>
`.value;

function sendProblem(res: Response, problem: ApiProblem): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON()));
}

/** The driver's (and mongoose's) names for "could not reach the server", as opposed to a query that failed. */
const unreachableErrors = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

function databaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Mongoose queues commands while it reconnects, and gives up on them with this message.
  return unreachableErrors.has(error.name) || /buffering timed out/.test(error.message);
}

/** body-parser marks its errors with `type`; everything unknown is a 500 that says nothing about internals. */
function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const { type, status, limit } = error as { type?: unknown; status?: unknown; limit?: unknown };
  if (type === 'entity.parse.failed')
    return new ApiProblem(400, 'invalid_json', 'the request body is not valid JSON', 'body');
  if (type === 'entity.too.large')
    return new ApiProblem(
      413,
      'body_too_large',
      `the request body is larger than this route accepts${typeof limit === 'number' ? ` (${limit} bytes)` : ''}`,
      'body',
    );
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new ApiProblem(status, 'bad_request', (error as Error).message);
  if (databaseUnreachable(error))
    return new ApiProblem(
      503,
      'database_unavailable',
      'the database is not answering; nothing was changed, retry the request',
      undefined,
      undefined,
      { 'Retry-After': '5' },
    );
  return new ApiProblem(500, 'internal_error', 'The request could not be completed.');
}
