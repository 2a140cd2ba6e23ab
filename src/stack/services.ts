import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { connectMongo, pingMongo } from '../db/connect';
import { searchAttributeKeys } from '../temporal/search-attributes';
import { checkTemporal } from '../temporal/connection';
import { ManagedProcess, freePort, waitUntilReady, type LineSink } from './process';

/** A server started by us: where to reach it, and how to stop it. */
export interface RunningService {
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface TemporalServer extends RunningService {
  address: string;
  uiUrl: string | undefined;
}

export interface TemporalServerOptions {
  binary: string;
  host?: string;
  /** gRPC frontend port; 0 picks a free one. */
  port?: number;
  /** Web UI port; `false` runs headless. 0 picks a free one. */
  uiPort?: number | false;
  /** SQLite file that keeps workflows across restarts; in-memory when omitted. */
  dbFile?: string;
  namespace?: string;
  /** Extra `--dynamic-config-value` pairs, e.g. to make continue-as-new kick in early in tests. */
  dynamicConfig?: Record<string, string | number | boolean>;
  readyTimeoutMs?: number;
  onLine?: LineSink;
}

/**
 * A free port is only free until someone else binds it: a server that lost such a race to another process (many
 * start at once in the test suite) is started again on newly picked ports, up to three times.
 */
async function retryOnPortClash<T>(start: (onLine: LineSink) => Promise<T>, onLine?: LineSink): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    let clashed = false;
    try {
      return await start((line) => {
        if (/address already in use/i.test(line)) clashed = true;
        onLine?.(line);
      });
    } catch (error) {
      if (!clashed || attempt === 3) throw error;
    }
  }
}

/** Starts `temporal server start-dev` with our search attributes registered and waits until its namespace answers. */
export function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  return retryOnPortClash((onLine) => startTemporalOnce({ ...options, onLine }), options.onLine);
}

async function startTemporalOnce(options: TemporalServerOptions): Promise<TemporalServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const namespace = options.namespace ?? 'default';
  const uiPort = options.uiPort === false ? undefined : options.uiPort || (await freePort(host));
  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--http-port',
    String(await freePort(host)),
    '--metrics-port',
    String(await freePort(host)),
    // The dev server's warnings are mostly its own shutdown chatter; errors still come through.
    '--log-level',
    'error',
    '--namespace',
    namespace,
  ];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const key of searchAttributeKeys)
    args.push('--search-attribute', `${key.name}=${cliAttributeType[key.type]}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  const child = new ManagedProcess({
    name: 'temporal',
    command: options.binary,
    args,
    onLine: options.onLine,
  });
  const address = `${host}:${port}`;
  try {
    await waitUntilReady(
      'Temporal',
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await checkTemporal(connection, namespace, 1000);
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, process: child },
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    process: child,
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${host}:${uiPort}`,
    stop: () => child.stop(),
  };
}

export interface MongoServer extends RunningService {
  uri: string;
}

export interface MongoServerOptions {
  /** The embedded server's launcher (`javaTools.mongoServer`). */
  binary: string;
  host?: string;
  port?: number;
  /** Folder of its data file, created when missing; the data lives in memory only when omitted. */
  dataDir?: string;
  /** Seconds between TTL sweeps (MongoDB's monitor runs every 60 s). */
  ttlMonitorSeconds?: number;
  readyTimeoutMs?: number;
  onLine?: LineSink;
}

/**
 * Starts the embedded MongoDB-wire server (mongo-java-server with our indexes and TTL monitor, src/stack/mongo-server)
 * and waits until it answers a ping. It exits when this process does, however this process ends.
 */
export function startMongoServer(options: MongoServerOptions): Promise<MongoServer> {
  return retryOnPortClash((onLine) => startMongoServerOnce({ ...options, onLine }), options.onLine);
}

async function startMongoServerOnce(options: MongoServerOptions): Promise<MongoServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const storage = options.dataDir ? ['--data', path.resolve(options.dataDir)] : ['--in-memory'];
  const child = new ManagedProcess({
    name: 'mongodb',
    command: options.binary,
    args: [
      '--host',
      host,
      '--port',
      String(port),
      ...storage,
      '--ttl-monitor-seconds',
      String(options.ttlMonitorSeconds ?? 60),
      '--exit-with-parent',
    ],
    onLine: options.onLine,
  });
  const uri = `mongodb://${host}:${port}/`;
  try {
    await waitUntilReady(
      'MongoDB server',
      async () => {
        const mongo = await connectMongo(uri, 1000);
        try {
          await pingMongo(mongo, 1000);
        } finally {
          await mongo.disconnect();
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, process: child },
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { process: child, uri, stop: () => child.stop() };
}

/** `temporal server start-dev --search-attribute` spells the SDK's types differently. */
const cliAttributeType: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};
