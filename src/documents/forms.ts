import type { Connection } from 'mongoose';
import { QboAccess, type QboAccessSettings } from '../activities/qbo-access';
import { projectionContext } from '../activities/projection-context';
import type { ConnectionRecord } from '../db/models/connection';
import { applyRecords } from '../projections/apply';
import { qboTransactionModel, transactionKey } from '../projections/models';
import type { QboBinaryResponse } from '../qbo';
import type { Estimate } from '../qbo/schemas';
import { isLive, type LiveTransactionView, type QboTransactionRecord } from '../sync/transactions';
import { documentEntities, type DocumentKind } from './request';

/**
 * A sales form already in QBO, whoever made it: emailed to the customer through QBO's send endpoint, printed as
 * QBO's PDF, or (an estimate) read to be made into an invoice. The API calls these directly (they are one QBO call each, answered while the CRM waits); the form as
 * QBO answers a send is projected like any change, so the contact's folder shows it sent.
 */

export interface SentForm {
  emailStatus: string | null;
  deliveryInfo: { type: string | null; time: string | null } | null;
  sentTo: string | null;
  transaction: LiveTransactionView | null;
}

export async function sendForm(
  db: Connection,
  settings: QboAccessSettings,
  connection: ConnectionRecord,
  kind: DocumentKind,
  qboId: string,
  sendTo: string | undefined,
  now: Date,
): Promise<SentForm> {
  const entity = documentEntities[kind];
  const { client } = await new QboAccess(db, settings).open(connection._id);
  const sent = await client.send(entity, qboId, sendTo);
  const projection = projectionContext(db, connection, settings.environment, now);
  await applyRecords(projection, entity, [sent as QboTransactionRecord]);
  const projected = await qboTransactionModel(db)
    .findById(transactionKey(connection._id, entity, qboId))
    .lean();
  return {
    emailStatus: sent.EmailStatus ?? null,
    deliveryInfo: sent.DeliveryInfo
      ? { type: sent.DeliveryInfo.DeliveryType ?? null, time: sent.DeliveryInfo.DeliveryTime ?? null }
      : null,
    sentTo: sent.BillEmail?.Address ?? null,
    transaction: projected && isLive(projected.view) ? projected.view : null,
  };
}

export async function formPdf(
  db: Connection,
  settings: QboAccessSettings,
  connectionId: string,
  kind: DocumentKind,
  qboId: string,
): Promise<QboBinaryResponse> {
  const { client } = await new QboAccess(db, settings).open(connectionId);
  return client.pdf(documentEntities[kind], qboId);
}

/** An estimate as QBO has it now, to be converted into an invoice (./convert.ts). */
export async function readEstimate(
  db: Connection,
  settings: QboAccessSettings,
  connectionId: string,
  qboId: string,
): Promise<Estimate> {
  const { client } = await new QboAccess(db, settings).open(connectionId);
  return client.read('Estimate', qboId);
}
