import express, { type RequestHandler, type Router } from 'express';
import type { Connection as MongoConnection } from 'mongoose';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { driftKinds, transactionDriftKinds } from '../../audit/drift';
import { driftAuditModel, transactionCountOf, type AuditCounts } from '../../audit/store';
import { connectionModel } from '../../db/models/connection';
import { outboundEventModel, type DeliveryStatus } from '../../outbound/events';

const deliveryStatuses: DeliveryStatus[] = ['pending', 'delivered', 'failed', 'no_endpoint'];
import { countContacts } from '../../contacts/store';
import { countMatching } from '../../db/count';

/**
 * Prometheus metrics at `/metrics`: the process, every request by route and status, and the state of the data
 * (connections by status, contacts by sync state, events by delivery status), counted by MongoDB at scrape time
 * (indexed counts, never a read of every record) so every API replica reports the same truth.
 */
export function createMetrics(db: () => Promise<MongoConnection>): {
  middleware: RequestHandler;
  router: Router;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qbo_sync_' });
  const requests = new Counter({
    name: 'qbo_sync_http_requests_total',
    help: 'HTTP requests answered, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'qbo_sync_http_request_duration_seconds',
    help: 'HTTP request duration, by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const grouped = (
    name: string,
    help: string,
    label: string,
    count: (database: MongoConnection) => Promise<{ _id: string | null; n: number }[]>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        this.reset();
        for (const group of await count(await db())) this.set({ [label]: group._id ?? 'unknown' }, group.n);
      },
    });
  grouped('qbo_sync_connections', 'Connections by status.', 'status', (database) =>
    connectionModel(database).aggregate([{ $group: { _id: '$status', n: { $sum: 1 } } }]),
  );
  grouped('qbo_sync_contacts', 'CRM contacts by sync state.', 'state', async (database) =>
    Object.entries(await countContacts(database)).map(([state, n]) => ({ _id: state, n })),
  );
  grouped('qbo_sync_outbound_events', 'Events for CRMs by delivery status.', 'delivery', (database) =>
    Promise.all(
      deliveryStatuses.map(async (status) => ({
        _id: status,
        n: await countMatching(outboundEventModel(database), { 'delivery.status': status }),
      })),
    ),
  );

  grouped(
    'qbo_sync_drifted_links',
    'Customers or links that disagreed with QuickBooks in each connection’s latest drift audit, by kind.',
    'kind',
    (database) => driftedByKind(database, driftKinds, (counts, kind) => counts.byKind[kind]),
  );
  grouped(
    'qbo_sync_drifted_transactions',
    'Transactions our copy lacked, held an older version of, or held after QuickBooks deleted them, in each ' +
      'connection’s latest drift audit, by kind.',
    'kind',
    (database) =>
      driftedByKind(
        database,
        transactionDriftKinds,
        (counts, kind) => counts.transactions?.[transactionCountOf[kind]],
      ),
  );

  const middleware: RequestHandler = (req, res, next) => {
    const stop = latency.startTimer();
    res.on('finish', () => {
      // The route pattern, not the URL, so ids do not explode the label set; unmatched requests share one label.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const labels = { method: req.method, route: `${req.baseUrl}${route}` };
      stop(labels);
      requests.inc({ ...labels, status: String(res.statusCode) });
    });
    next();
  };
  const router = express.Router();
  router.get('/metrics', async (_req, res, next) => {
    try {
      res.type(registry.contentType).send(await registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  return { middleware, router };
}

/** A figure of each connection's latest completed drift audit, summed over the connections, for every kind. */
async function driftedByKind<Kind extends string>(
  database: MongoConnection,
  kinds: readonly Kind[],
  countOf: (counts: AuditCounts, kind: Kind) => number | undefined,
): Promise<{ _id: Kind; n: number }[]> {
  const audits = await driftAuditModel(database).find({ status: 'completed' }, { counts: 1 }).lean();
  return kinds.map((kind) => ({
    _id: kind,
    n: audits.reduce((sum, audit) => sum + (audit.counts ? (countOf(audit.counts, kind) ?? 0) : 0), 0),
  }));
}
