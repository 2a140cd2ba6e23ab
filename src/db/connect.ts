import mongoose, { type Mongoose } from 'mongoose';

/**
 * Connections per process unless the URI sets `maxPoolSize`. A process's concurrent database work needs few (a
 * worker runs a handful of activities at once), and the driver's default of a hundred, times every worker and API
 * process, would only hold idle sockets open on the server.
 */
const defaultMaxPoolSize = 10;

/**
 * Opens a dedicated mongoose instance. Every server-side call is bounded so that a dead database turns into an
 * error within `timeoutMs` instead of a hung request.
 */
export async function connectMongo(uri: string, timeoutMs: number): Promise<Mongoose> {
  const instance = new mongoose.Mongoose();
  instance.set('strictQuery', true);
  await instance.connect(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: Math.max(timeoutMs * 10, 30_000),
    // A standalone server (the embedded one) has no retryable writes; on MongoDB our writes are idempotent anyway.
    retryWrites: false,
    // Poll the server's state every 2 s rather than waiting on a streamed hello: after a database restart the
    // process notices it is back within seconds (a worker once kept failing for a minute after the database returned).
    serverMonitoringMode: 'poll',
    heartbeatFrequencyMS: 2000,
    ...(/[?&]maxPoolSize=/i.test(uri) ? {} : { maxPoolSize: defaultMaxPoolSize }),
  });
  return instance;
}

/** Round-trips a ping to the server; throws if it does not answer within `timeoutMs`. */
export async function pingMongo(instance: Mongoose, timeoutMs: number): Promise<void> {
  const db = instance.connection.db;
  if (!db) throw new Error('MongoDB connection is not open');
  await db.admin().command({ ping: 1 }, { timeoutMS: timeoutMs });
}
