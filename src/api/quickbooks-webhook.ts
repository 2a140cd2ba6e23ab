import express, { type Router } from 'express';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import { markWebhookReceived } from '../db/models/connection';
import { storeDelivery } from '../ingest/inbox';
import { signalInboxWaiting } from '../temporal/connection-workflows';
import { parseNotifications, type EntityEvent } from '../ingest/notifications';
import { verifyIntuitSignature } from '../ingest/signature';

export interface QuickBooksWebhookOptions {
  verifierToken: string;
  db: () => Promise<Connection>;
  log: Logger;
  /** Told about newly stored events (the sync engine signals each realm's workflow); failures here are logged only. */
  onStored?: (events: EntityEvent[]) => Promise<void>;
  /** Intuit sets no limit; ours is documented. Larger deliveries get 413 before anything is stored. */
  maxBodyBytes?: number;
  /** How long deliveries are kept. */
  retentionDays?: number;
  now?: () => Date;
}

/**
 * What the engine does with newly stored events: stamps each realm's last webhook (sync health) and signals the
 * realms' connection workflows to drain their inbox.
 */
export function wakeConnections(
  db: () => Promise<Connection>,
  temporal: () => Promise<Client>,
): (events: EntityEvent[]) => Promise<void> {
  return async (events) => {
    const realmIds = events.map((event) => event.realmId);
    const connection = await db();
    await markWebhookReceived(connection, realmIds, new Date());
    await signalInboxWaiting(await temporal(), connection, realmIds);
  };
}

/**
 * `POST /v1/webhooks/quickbooks`: signature first, on the raw bytes; then parse, store durably, and only then 200.
 * A storage failure answers 503 so that Intuit retries; duplicates and unreadable events are still 200 (Intuit's
 * guidance: never answer 4xx to a well-signed delivery, or the whole batch is retried).
 */
export function createQuickBooksWebhookRouter(options: QuickBooksWebhookOptions): Router {
  const router = express.Router();
  router.post(
    '/v1/webhooks/quickbooks',
    express.raw({ type: () => true, limit: options.maxBodyBytes ?? 5 * 1024 * 1024 }),
    async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!verifyIntuitSignature(raw, req.get('intuit-signature'), options.verifierToken)) {
        return void res.status(401).json({
          type: 'about:blank',
          title: 'Unauthorized',
          status: 401,
          detail: 'intuit-signature does not match the body',
        });
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
      const { events, unreadable } = parseNotifications(body);
      let fresh: EntityEvent[];
      try {
        fresh = await storeDelivery(
          await options.db(),
          events,
          unreadable,
          options.now?.() ?? new Date(),
          options.retentionDays,
        );
      } catch (error) {
        options.log.error({ err: error }, 'could not store a QuickBooks webhook delivery');
        return void res.status(503).json({
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          detail: 'the delivery could not be stored; retry',
        });
      }
      if (unreadable.length > 0)
        options.log.warn({ count: unreadable.length }, 'unreadable webhook events dead-lettered');
      res.status(200).json({ received: events.length, new: fresh.length, unreadable: unreadable.length });
      if (fresh.length > 0 && options.onStored) {
        options
          .onStored(fresh)
          .catch((error: unknown) =>
            options.log.warn({ err: error }, 'webhook events stored but not yet signalled'),
          );
      }
    },
  );
  return router;
}
