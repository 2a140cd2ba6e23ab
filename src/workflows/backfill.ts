import { continueAsNew, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureTypes } from '../activities/failure-types';
import { syncedEntities, transactionTypes } from '../sync/transactions';
import type { BackfillInput } from './backfill-messages';
import { isNeedsReauth } from './failures';

export interface BackfillResult {
  pages: number;
  /** The grant died before the end: where to start again once the connection is reconnected. */
  resumeFrom?: BackfillInput;
}

const { beginBackfill, backfillPages, backfillPage, finishBackfill } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [failureTypes.needsReauth, failureTypes.qboRejected],
  },
});

/** Page activities per run before continuing as new: a few events each, far below the history limits. */
const pagesPerRun = 100;

/** What backfills read before items joined the synced entities; runs that began then replay with it. */
const entitiesBeforeItems = ['Customer', ...transactionTypes] as const;

/**
 * Reads a whole company through the Query API, page by page, into the projections, then hands over to CDC from
 * the moment it began. It is resumable by construction: progress is the workflow's own state (carried across
 * continue-as-new), every page is idempotent, and a crashed worker's page is simply retried elsewhere. If the
 * grant dies on the way, it returns where it stopped, and the connection runs it from there after a reconnect.
 */
export async function backfillWorkflow(input: BackfillInput): Promise<BackfillResult> {
  const progress: BackfillInput = { ...input };
  let pages = 0;
  try {
    const cursorAtStart =
      input.cursorAtStart ?? (await beginBackfill({ connectionId: input.connectionId })).cursorAtStart;
    progress.cursorAtStart = cursorAtStart;
    // Items come last, so an entity's index means the same in both lists across continue-as-new.
    const entities = patched('backfill-items') ? syncedEntities : entitiesBeforeItems;
    for (let entityIndex = input.entityIndex ?? 0; entityIndex < entities.length; entityIndex += 1) {
      const entity = entities[entityIndex]!;
      let startPosition: number | undefined =
        entityIndex === input.entityIndex ? (input.startPosition ?? 1) : 1;
      while (startPosition !== undefined) {
        Object.assign(progress, { entityIndex, startPosition });
        if (pages >= pagesPerRun) return continueAsNew<typeof backfillWorkflow>(progress);
        // Several pages per activity, each page's request overlapping the write of the one before.
        const readFrom = patched('backfill-pipelined') ? backfillPages : backfillPage;
        const page: { nextStartPosition?: number } = await readFrom({
          connectionId: input.connectionId,
          entity,
          startPosition,
        });
        pages += 1;
        startPosition = page.nextStartPosition;
      }
    }
    Object.assign(progress, { entityIndex: entities.length, startPosition: undefined });
    await finishBackfill({ connectionId: input.connectionId, cursorAtStart });
    return { pages };
  } catch (error) {
    if (isNeedsReauth(error) && patched('backfill-returns-its-place')) return { pages, resumeFrom: progress };
    throw error;
  }
}
