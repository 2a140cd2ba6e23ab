import type { Client } from '@temporalio/client';
import type { Connection as MongoConnection } from 'mongoose';
import type { Logger } from 'pino';
import type { QboAccessSettings } from '../activities/qbo-access';
import type { RetentionSettings } from '../db/retention';
import type { OutboundGuard } from '../security/outbound-url';

/** What the routes need from the process: lazily opened dependencies, settings, and a clock. */
export interface ApiServices {
  db: () => Promise<MongoConnection>;
  temporal: () => Promise<Client>;
  qbo: QboAccessSettings;
  log: Logger;
  stateSecret: string;
  /** Signs the short-lived tokens of the embeddable panel. */
  embedSecret: string;
  taskQueue: string;
  /** Judges URLs the server will reach (the webhook endpoint) before they are stored. */
  outbound: OutboundGuard;
  /** Accounts may register http origins on loopback hosts to return to (development only). */
  allowLoopbackHttpReturns: boolean;
  /** How long history is kept; the defaults when absent. */
  retention?: RetentionSettings;
  /** Bound on calls the API makes to Temporal for a request (status queries, signals). */
  dependencyTimeoutMs: number;
  now: () => Date;
}
