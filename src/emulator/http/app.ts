import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { QboEmulator } from '../emulator';
import { createOAuthRouter, oauthPaths } from '../oauth';
import { createAdminRouter } from './admin-routes';
import { createGraphqlRouter } from './graphql-routes';
import { createQboRouter } from './qbo-routes';

/** Intuit's hosts on one origin: OAuth at the root, the Accounting API under `/v3`, and our admin API. */
export function createEmulatorApp(emulator: QboEmulator): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // QBO sends no ETags; a conditional GET must never turn into a bodiless 304

  app.use('/__admin', createAdminRouter(emulator));
  app.use('/v3/company/:realmId', createQboRouter(emulator));
  app.use('/graphql', createGraphqlRouter(emulator));
  // Fault mode: the token endpoint does its work (a refresh may rotate the token) and the reply is lost.
  app.post(oauthPaths.token, (_req, res, next) => {
    if (emulator.takeTokenResponseDrop()) {
      res.send = () => {
        res.socket?.destroy();
        return res;
      };
    }
    next();
  });
  app.use(
    createOAuthRouter({
      authority: emulator.authority,
      companies: () =>
        emulator
          .listCompanies()
          .map((company) => ({ realmId: company.realmId, companyName: company.settings.companyName })),
      baseUrl: emulator.baseUrl,
    }),
  );
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', companies: emulator.listCompanies().length });
  });
  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.path}` });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    res
      .status(status)
      .json({ error: status === 500 ? 'internal_error' : 'bad_request', message: (error as Error).message });
  });
  return app;
}

export interface RunningEmulator {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Serves the emulator on loopback (port 0 picks a free port). */
export async function listenEmulator(
  emulator: QboEmulator,
  port = 0,
  host = '127.0.0.1',
): Promise<RunningEmulator> {
  const server = createEmulatorApp(emulator).listen(port, host);
  // Clients reuse an idle connection until a second before the timeout the server advertises; on a loaded machine
  // that second can pass, and Node's default 5 s then closes connections under requests ("other side closed").
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    server,
    async close() {
      await emulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
