import type { WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/*
 * Workflow histories as fixture files, in the proto3 JSON the Temporal CLI and Web UI export. The SDK's own
 * historyToJSON / historyFromJSON (@temporalio/common) throw "type must be a Type" in this install: @temporalio/common
 * and @temporalio/proto each have a nested copy of protobufjs 8 (the top level holds 7 for @grpc/proto-loader), and
 * the JSON codec of one copy does not accept the other's types. So the codec is taken from the protobufjs that
 * @temporalio/proto itself loads. Worker.runReplayHistories takes the decoded History as it is.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown): unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from @temporalio/proto's own folder
const protoJson = require(
  require.resolve('protobufjs/ext/protojson', { paths: [require.resolve('@temporalio/proto')] }),
) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

export function historyToJson(history: History): unknown {
  return protoJson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromJson(json: unknown): History {
  return protoJson.fromJson(historyType, json) as History;
}

/** The summaries of the activities a workflow run scheduled: what an ops person reads in the Temporal UI. */
export async function activitySummaries(handle: Pick<WorkflowHandle, 'fetchHistory'>): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((event) => event.userMetadata?.summary?.data)
    .filter((data): data is Uint8Array => data instanceof Uint8Array)
    .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as string);
}
