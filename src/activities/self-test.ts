import { hostname } from 'node:os';
import type { Connection } from 'mongoose';
import { selfTestModel } from '../db/models/self-test';

export interface SelfTestStep {
  probeId: string;
  step: string;
}

/** Which worker process ran an activity; lets a test see that a workflow moved to a new worker after a crash. */
const workerIdentity = `${process.pid}@${hostname()}`;

export function createSelfTestActivities(db: Connection) {
  const SelfTest = selfTestModel(db);
  return {
    /** Idempotent: a retried attempt adds nothing twice. */
    async recordSelfTestStep({ probeId, step }: SelfTestStep): Promise<void> {
      await SelfTest.updateOne(
        { _id: probeId },
        { $addToSet: { steps: step, workerIdentities: workerIdentity } },
        { upsert: true },
      );
    },

    async readSelfTest(probeId: string): Promise<{ steps: string[]; workerIdentities: string[] }> {
      const record = await SelfTest.findById(probeId).lean();
      if (!record) throw new Error(`self-test ${probeId} has no record`);
      return { steps: record.steps, workerIdentities: record.workerIdentities };
    },
  };
}
