import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { connectMongo, pingMongo } from '../db/connect';
import { tracingClientInterceptors } from '../observability/tracing';
import { checkTemporal } from '../temporal/connection';

/** A dependency the API needs before it can serve real work. */
export interface DependencyCheck {
  name: string;
  /** Rejects when the dependency does not answer; must honour its own timeout. */
  check(): Promise<void>;
}

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** Runs every check in parallel; the report names what failed and why, without leaking connection strings. */
export async function checkReadiness(checks: DependencyCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (dependency): Promise<[string, CheckResult]> => {
      const started = Date.now();
      try {
        await dependency.check();
        return [dependency.name, { ok: true, latencyMs: Date.now() - started }];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [dependency.name, { ok: false, latencyMs: Date.now() - started, error: message }];
      }
    }),
  );
  const report: Record<string, CheckResult> = Object.fromEntries(results);
  return { ready: results.every(([, result]) => result.ok), checks: report };
}

/**
 * Memoises a connection that may fail to open: callers share one attempt in flight, and a failed attempt is
 * forgotten so the next call tries again. Lets the API start while a dependency is still down.
 */
export function retryingConnector<T>(open: () => Promise<T>, close: (resource: T) => Promise<void>) {
  let pending: Promise<T> | undefined;
  return {
    get(): Promise<T> {
      pending ??= open().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    /** Closes the resource if it was ever opened; never opens one just to close it. */
    async dispose(): Promise<void> {
      const opened = await pending?.catch(() => undefined);
      pending = undefined;
      if (opened !== undefined) await close(opened);
    },
  };
}

/**
 * The API's connections to MongoDB and Temporal, opened lazily and shared by the readiness checks and the routes,
 * so the API starts (and answers /readyz with 503) while a dependency is still down.
 */
export function openDependencies(config: Config) {
  const timeout = config.DEPENDENCY_TIMEOUT_MS;
  const mongo = retryingConnector(
    () => connectMongo(config.MONGODB_URI, timeout),
    (instance) => instance.disconnect(),
  );
  const temporal = retryingConnector(
    () => Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: timeout }),
    (connection) => connection.close(),
  );
  const checks: DependencyCheck[] = [
    { name: 'mongodb', check: async () => pingMongo(await mongo.get(), timeout) },
    {
      name: 'temporal',
      check: async () => checkTemporal(await temporal.get(), config.TEMPORAL_NAMESPACE, timeout),
    },
  ];
  return {
    checks,
    db: async () => (await mongo.get()).connection,
    temporal: async () =>
      new Client({
        connection: await temporal.get(),
        namespace: config.TEMPORAL_NAMESPACE,
        // Signals and starts carry the request's trace into the workflow.
        interceptors: tracingClientInterceptors(),
      }),
    async close(): Promise<void> {
      await Promise.all([mongo.dispose(), temporal.dispose()]);
    },
  };
}
