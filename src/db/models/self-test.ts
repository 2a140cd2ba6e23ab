import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One end-to-end probe of a deployment: a workflow on a worker wrote each step through an activity. The launcher
 * and ops use it to prove that Temporal, a worker and MongoDB work together, not just that each answers a ping.
 */
export interface SelfTestRecord {
  _id: string;
  steps: string[];
  workerIdentities: string[];
  createdAt: Date;
  updatedAt: Date;
}

const selfTestSchema = new Schema<SelfTestRecord>(
  {
    _id: { type: String, required: true },
    steps: { type: [String], default: [] },
    workerIdentities: { type: [String], default: [] },
  },
  { timestamps: true, collection: 'self_tests', versionKey: false },
);

export function selfTestModel(connection: Connection): Model<SelfTestRecord> {
  return connection.models.SelfTest ?? connection.model<SelfTestRecord>('SelfTest', selfTestSchema);
}
