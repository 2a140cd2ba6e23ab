import type { Connection as MongoConnection } from 'mongoose';
import type { ConnectionRecord } from '../db/models/connection';
import type { ProjectionContext } from '../projections/apply';
import { companyToday } from '../time/company-zone';

/** Where and how a connection's QBO records are projected. Statuses such as "overdue" are judged on the company's calendar. */
export function projectionContext(
  db: MongoConnection,
  connection: ConnectionRecord,
  environment: 'sandbox' | 'production',
  at: Date,
): ProjectionContext {
  return {
    db,
    connectionId: connection._id,
    environment,
    homeCurrency: connection.homeCurrency ?? 'USD',
    today: companyToday(at, connection),
    now: at,
  };
}
