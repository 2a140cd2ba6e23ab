import type { Connection as MongoConnection } from 'mongoose';
import { contactModel } from '../contacts/model';
import { countPendingEvents } from '../ingest/inbox';
import { outboundEventModel } from '../outbound/events';
import { countMatching } from '../db/count';

/** The lanes work waits in, named by where it goes. */
export type Lane = 'crm_to_qbo' | 'qbo_to_crm' | 'to_crm_webhooks';

/**
 * What waits in each lane, from the records themselves (three indexed counts), so every worker reports the same
 * figure and a restart loses none: contacts the CRM changed that are not pushed yet, Intuit's webhook events not
 * yet applied by every connection of their realm, and events for CRMs not yet delivered (retries included).
 */
export async function laneDepths(db: MongoConnection): Promise<Record<Lane, number>> {
  const [pushes, webhookEvents, deliveries] = await Promise.all([
    countMatching(contactModel(db), { state: 'pending' }),
    countPendingEvents(db),
    countMatching(outboundEventModel(db), { 'delivery.status': 'pending' }),
  ]);
  return { crm_to_qbo: pushes, qbo_to_crm: webhookEvents, to_crm_webhooks: deliveries };
}
