import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  registry: Registry;
  host: string;
  /** 0 picks a free port; `url` says which. */
  port: number;
  /** More exposition text appended to every scrape (Temporal's SDK metrics); a failure is a comment, not a 500. */
  also?: () => Promise<string>;
}

/** Serves `GET /metrics` in Prometheus' text format: the worker has no HTTP server otherwise. */
export async function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://local').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    void exposition(options).then(
      (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      (error: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/metrics`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function exposition(options: MetricsServerOptions): Promise<string> {
  const ours = await options.registry.metrics();
  if (!options.also) return ours;
  const more = await options.also().catch((error: unknown) => `# unavailable: ${String(error)}\n`);
  return `${ours}\n${more}`;
}
