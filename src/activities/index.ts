import type { Connection } from 'mongoose';
import { createBackfillActivities } from './backfill';
import { createConnectionSyncActivities } from './connection-sync';
import { createPushActivities } from './push-contacts';
import type { QboAccess } from './qbo-access';
import { createSelfTestActivities } from './self-test';

export interface ActivityDependencies {
  db: Connection;
  qbo: QboAccess;
}

/** Every activity the worker registers, built over injected dependencies so tests can run them for real. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createSelfTestActivities(deps.db),
    ...createConnectionSyncActivities({ db: deps.db, qbo: deps.qbo }),
    ...createBackfillActivities({ db: deps.db, qbo: deps.qbo }),
    ...createPushActivities({ db: deps.db, qbo: deps.qbo }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
