import type { Connection } from 'mongoose';
import { QboAccess, type QboAccessSettings } from '../activities/qbo-access';
import { projectionContext } from '../activities/projection-context';
import type { ConnectionRecord } from '../db/models/connection';
import { applyRecords } from '../projections/apply';
import { qboTransactionModel, transactionKey } from '../projections/models';
import { requestIdFor, type QboBinaryResponse, type QboClient } from '../qbo';
import type { Estimate } from '../qbo/schemas';
import { isLive, isVoided, type LiveTransactionView, type QboTransactionRecord } from '../sync/transactions';
import { documentEntities, type DocumentKind } from './request';

/**
 * A sales form already in QBO, whoever made it: emailed to the customer through QBO's send endpoint, printed as
 * QBO's PDF, voided, or (an estimate) read to be made into an invoice. The API calls these directly (they are one QBO call each, answered while the CRM waits); the form as
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
  const transaction = await project(db, settings, connection, entity, sent, now);
  return {
    emailStatus: sent.EmailStatus ?? null,
    deliveryInfo: sent.DeliveryInfo
      ? { type: sent.DeliveryInfo.DeliveryType ?? null, time: sent.DeliveryInfo.DeliveryTime ?? null }
      : null,
    sentTo: sent.BillEmail?.Address ?? null,
    transaction,
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

/**
 * Voids an invoice or sales receipt: QBO keeps it with every amount zeroed. The `requestid` derives from the version
 * voided, so a retry gets QBO's first answer; one already void is left as it is.
 */
export async function voidForm(
  db: Connection,
  settings: QboAccessSettings,
  connection: ConnectionRecord,
  kind: Exclude<DocumentKind, 'estimate'>,
  qboId: string,
  now: Date,
): Promise<LiveTransactionView | null> {
  const entity = documentEntities[kind];
  const { client } = await new QboAccess(db, settings).open(connection._id);
  return project(
    db,
    settings,
    connection,
    entity,
    await voidTransaction(client, connection._id, kind, qboId),
    now,
  );
}

/** QBO's void of the document as it is now (read first, for its SyncToken); one void already is returned as it is. */
export async function voidTransaction(
  client: QboClient,
  connectionId: string,
  kind: Exclude<DocumentKind, 'estimate'>,
  qboId: string,
): Promise<QboTransactionRecord> {
  const entity = documentEntities[kind];
  const current = await client.read(entity, qboId);
  if (isVoided(current)) return current;
  return client.void(
    entity,
    { Id: qboId, SyncToken: current.SyncToken },
    requestIdFor(connectionId, entity, 'void', qboId, current.SyncToken),
  );
}

/** Stores QBO's answer in the projection and returns the document's view as the folder shows it. */
async function project(
  db: Connection,
  settings: QboAccessSettings,
  connection: ConnectionRecord,
  entity: (typeof documentEntities)[DocumentKind],
  record: QboTransactionRecord,
  now: Date,
): Promise<LiveTransactionView | null> {
  await applyRecords(projectionContext(db, connection, settings.environment, now), entity, [record]);
  const projected = await qboTransactionModel(db)
    .findById(transactionKey(connection._id, entity, record.Id))
    .lean();
  return projected && isLive(projected.view) ? projected.view : null;
}
