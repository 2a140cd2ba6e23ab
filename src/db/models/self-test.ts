import { Schema, type Connection, type Model } from 'mongoose';
import { expiresAtIndex } from '../retention';

/**
 * One end-to-end probe of a deployment: a workflow on a worker wrote each step through an activity. The launcher
 * and ops use it to prove that Temporal, a worker and MongoDB work together, not just that each answers a ping.
 */
export interface SelfTestRecord {
  _id: string;
  steps: string[];
  workerIdentities: string[];
  /** A probe is of use for a day. */
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

const selfTestSchema = new Schema<SelfTestRecord>(
  {
    _id: { type: String, required: true },
    steps: { type: [String], default: [] },
    workerIdentities: { type: [String], default: [] },
    expiresAt: { type: Date, default: () => new Date(Date.now() + 86_400_000) },
  },
  { timestamps: true, collection: 'self_tests', versionKey: false },
);
expiresAtIndex(selfTestSchema);

export function selfTestModel(connection: Connection): Model<SelfTestRecord> {
  return connection.models.SelfTest ?? connection.model<SelfTestRecord>('SelfTest', selfTestSchema);
}
