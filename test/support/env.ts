import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Mongoose } from 'mongoose';
import { connectMongo } from '../../src/db/connect';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address)
    throw new Error(
      'TEMPORAL_ADDRESS is not set; run the tests through jest so globalSetup starts the stack',
    );
  return address;
}

/** The workflow bundle globalSetup built for the run's workers (TEMPORAL_WORKFLOW_BUNDLE), if it built one. */
export function workflowBundlePath(): string | undefined {
  return process.env.TEMPORAL_WORKFLOW_BUNDLE;
}

/** A database of its own for one test file, on the shared server. */
export function testMongoUri(prefix: string): string {
  const base = process.env.MONGODB_URI;
  if (!base)
    throw new Error('MONGODB_URI is not set; run the tests through jest so globalSetup starts the stack');
  const url = new URL(base);
  url.pathname = `/${uniqueName(prefix).replace(/-/g, '_')}`;
  return url.toString();
}

export interface TestDatabase {
  uri: string;
  mongoose: Mongoose;
  /** Drops the database and disconnects. */
  close(): Promise<void>;
}

export async function openTestDatabase(prefix: string): Promise<TestDatabase> {
  const uri = testMongoUri(prefix);
  const mongoose = await connectMongo(uri, 5000);
  return {
    uri,
    mongoose,
    async close() {
      await mongoose.connection.dropDatabase();
      await mongoose.disconnect();
    },
  };
}

export async function openTemporalClient(): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress(), connectTimeout: 5000 });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/**
 * Polls `read` until `accept` holds, and returns that value. Throws when `timeoutMs` passes first, with the last
 * value read, so a wait that never ends says what it saw instead of letting a later assertion pass or fail blindly.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
  what = 'the condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${inspect(value, { depth: 6, breakLength: 120 })}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
