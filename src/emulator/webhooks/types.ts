import type { Clock } from '../clock';

export type WebhookOperation = 'Create' | 'Update' | 'Delete' | 'Merge' | 'Void' | 'Emailed';

/** One entity change reported by the emulator's store. */
export interface EntityChange {
  realmId: string;
  name: string;
  id: string;
  operation: WebhookOperation;
  lastUpdated: Date;
  /** On Merge: the id of the entity that was merged away. */
  deletedId?: string;
}

export interface WebhookSubscription {
  url: string;
  verifierToken: string;
  format: 'legacy' | 'cloudevents';
  /** Entity names to send (case-insensitive); default all. */
  entities?: string[];
  /** Overrides the Content-Type of deliveries, e.g. `application/cloudevents+json`. */
  contentType?: string;
}

export interface WebhookFaults {
  /** 0..1: probability that a batch is silently never sent. */
  dropRate?: number;
  /** 0..1: probability that an acknowledged batch is sent a second time with the same body. */
  duplicateRate?: number;
  /** Send waiting batches in random order and let later batches overtake a failing one. */
  reorder?: boolean;
  /** Real milliseconds waited before every send (not scaled by timeFactor). */
  delayMs?: number;
}

export interface DeliveryAttempt {
  at: Date;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface DeliveryRecord {
  id: string;
  realmId: string;
  url: string;
  body: string;
  signature: string;
  events: number;
  attempts: DeliveryAttempt[];
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  duplicated: boolean;
}

export interface DeliveryStats {
  /** HTTP requests made, counting retries and duplicate copies. */
  sent: number;
  /** Batches acknowledged with a 2xx. */
  delivered: number;
  /** Batches given up on (maxAttempts reached, unsubscribed or closed). */
  failed: number;
  dropped: number;
  /** Batches that were sent a second time after their acknowledgement. */
  duplicated: number;
  /** Events waiting in a batch window or in an unacknowledged batch. */
  pendingEvents: number;
}

export interface WebhookDispatcherOptions {
  clock?: Clock;
  /** Multiplies Intuit's retry intervals; 0.001 turns 10 s into 10 ms. */
  timeFactor?: number;
  /** Real milliseconds that changes are collected before a batch is sent. */
  batchWindowMs?: number;
  maxBatchSize?: number;
  /** Intuit's 3 s acknowledgement limit; not scaled by timeFactor. */
  requestTimeoutMs?: number;
  /** Attempts per batch, counting the first, before it is recorded as failed. */
  maxAttempts?: number;
  random?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}
