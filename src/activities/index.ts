import type { Connection } from 'mongoose';
import type { RetentionSettings } from '../db/retention';
import type { Mailer } from '../email/mailer';
import { OutboundGuard } from '../security/outbound-url';
import { createBackfillActivities } from './backfill';
import { createConnectionSyncActivities } from './connection-sync';
import { createDocumentActivities } from './documents';
import { createDriftAuditActivities } from './drift-audit';
import type { UnsubscribeSettings } from '../followups/unsubscribe';
import { createFollowUpActivities } from './followups';
import { createIdlePollSweepActivities } from './idle-poll-sweep';
import { createOutboundActivities, defaultWebhookTimeoutMs } from './outbound';
import { createPushActivities } from './push-contacts';
import type { QboAccess } from './qbo-access';
import { createSelfTestActivities } from './self-test';
import { createUndoActivities } from './undo';

export interface ActivityDependencies {
  db: Connection;
  qbo: QboAccess;
  /** How long history is kept; the defaults when absent. */
  retention?: RetentionSettings;
  /** Sends follow-up emails; without it the email channel is skipped. */
  mailer?: Mailer;
  /** Signs the unsubscribe links of follow-up emails; without them, emails carry none. */
  unsubscribe?: UnsubscribeSettings;
  /** How webhooks reach the CRM; without it, public addresses over https only. */
  outbound?: OutboundGuard;
}

/** Every activity the worker registers, built over injected dependencies so tests can run them for real. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createSelfTestActivities(deps.db),
    ...createConnectionSyncActivities(deps),
    ...createIdlePollSweepActivities(deps),
    ...createBackfillActivities(deps),
    ...createPushActivities(deps),
    ...createDocumentActivities(deps),
    ...createDriftAuditActivities(deps),
    ...createUndoActivities(deps),
    // Webhook secrets are sealed with the same key ring as the OAuth tokens.
    ...createOutboundActivities({
      db: deps.db,
      keyRing: deps.qbo.settings.keys,
      guard: deps.outbound ?? new OutboundGuard({ allowPrivateNetworks: false }),
      timeoutMs: defaultWebhookTimeoutMs,
    }),
    ...createFollowUpActivities({
      db: deps.db,
      mailer: deps.mailer,
      ...(deps.unsubscribe !== undefined && { unsubscribe: deps.unsubscribe }),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
