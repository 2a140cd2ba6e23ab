import type { Connection } from 'mongoose';
import type { Mailer } from '../email/mailer';
import { refreshContactAr, type ArResult } from '../followups/contact-ar';
import { cancelSettledFollowUps, planFollowUps, type FollowUpRun } from '../followups/engine';
import { deliverFollowUps, type DeliveryResult } from '../followups/delivery';
import type { UnsubscribeSettings } from '../followups/unsubscribe';

export interface FollowUpActivityDependencies {
  db: Connection;
  /** Without one, the email channel records each follow-up as skipped. */
  mailer?: Mailer;
  /** Without them, emails carry no unsubscribe link (opt-outs already stored are still honoured). */
  unsubscribe?: UnsubscribeSettings;
  now?: () => Date;
}

/** Pending follow-ups per delivery batch: with one email each, a batch stays well inside its 5-minute limit. */
const deliveryBatchSize = 10;

export interface RunInput {
  connectionId: string;
  /** ISO instant the run judges by. */
  asOf: string;
}

/** The reminders workflow's steps; each is idempotent, so retries and re-runs converge. */
export function createFollowUpActivities(deps: FollowUpActivityDependencies) {
  const now = deps.now ?? (() => new Date());
  const run = ({ connectionId, asOf }: RunInput): FollowUpRun => ({
    db: deps.db,
    connectionId,
    asOf: new Date(asOf),
    now,
  });

  return {
    async cancelSettledFollowUps(input: RunInput): Promise<{ cancelled: number }> {
      return cancelSettledFollowUps(run(input));
    },

    async planFollowUps(input: RunInput): Promise<{ created: number; accountId?: string }> {
      return planFollowUps(run(input));
    },

    async deliverFollowUps(input: RunInput & { after?: string }): Promise<DeliveryResult> {
      return deliverFollowUps(run(input), {
        ...(deps.mailer !== undefined && { mailer: deps.mailer }),
        ...(deps.unsubscribe !== undefined && { unsubscribe: deps.unsubscribe }),
        ...(input.after !== undefined && { after: input.after }),
        limit: deliveryBatchSize,
      });
    },

    async refreshContactAr(input: RunInput): Promise<ArResult> {
      return refreshContactAr(run(input));
    },
  };
}
