import type { Connection } from 'mongoose';
import { createSelfTestActivities } from './self-test';

export interface ActivityDependencies {
  db: Connection;
}

/** Every activity the worker registers, built over injected dependencies so tests can run them for real. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createSelfTestActivities(deps.db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
