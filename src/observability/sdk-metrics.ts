import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SdkMetricsSource {
  /** For `Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } })`. */
  bindAddress: string;
  /** The SDK's current exposition text, to append to the worker's own. */
  read(): Promise<string>;
}

/** Core answers from memory on loopback; anything slower is a stuck exporter. */
const readTimeoutMs = 2_000;

/**
 * Temporal's SDK metrics (task latencies, slots, sticky cache, polls…) come from its Rust core, which serves them
 * only on a Prometheus endpoint of its own. It gets a free loopback port, and the worker's `/metrics` appends what it
 * serves, so one scrape target has both.
 */
export async function sdkMetricsSource(): Promise<SdkMetricsSource> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}/metrics`;
  return {
    bindAddress: `127.0.0.1:${port}`,
    async read() {
      const response = await fetch(url, { signal: AbortSignal.timeout(readTimeoutMs) });
      if (!response.ok) throw new Error(`Temporal's SDK metrics answered ${response.status}`);
      return response.text();
    },
  };
}

async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
