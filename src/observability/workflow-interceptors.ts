/**
 * The workflow interceptors every worker runs (registered in the bundle, src/worker/workflow-bundle.ts): Temporal's
 * OpenTelemetry interceptors, plus one rule of ours. A contact PUT reaches the workflow as a signal, but the push
 * that serves it is scheduled later from the workflow's main loop, which runs in the workflow's own trace. So the
 * trace context of each signal naming contacts is remembered by contact id, and the activity that next names one of
 * them is scheduled in that context: one PUT, one trace, from the API request to the QBO call. Only headers and
 * spans change, never commands, so replays are unaffected.
 */
import { context, trace, type Context } from '@opentelemetry/api';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { recordIdsOf } from './record-ids';

/** Enough for any burst between two turns of a workflow; the oldest are forgotten first. */
const maxRemembered = 1_000;

class RecordTraces {
  private readonly byId = new Map<string, Context>();

  remember(ids: readonly string[], trace: Context): void {
    for (const id of ids) {
      // Re-inserted, so the Map's order stays oldest first.
      this.byId.delete(id);
      this.byId.set(id, trace);
    }
    for (const oldest of this.byId.keys()) {
      if (this.byId.size <= maxRemembered) break;
      this.byId.delete(oldest);
    }
  }

  /** The context of the first id remembered; every id given is forgotten, as its work is now scheduled. */
  take(ids: readonly string[]): Context | undefined {
    let found: Context | undefined;
    for (const id of ids) {
      found ??= this.byId.get(id);
      this.byId.delete(id);
    }
    return found;
  }
}

/** Whether a call carries a trace in its headers (as Temporal's interceptors write it). */
const carriesTrace = (headers: Record<string, unknown>): boolean => headers[TRACE_HEADER] !== undefined;
/** Whether the workflow code runs inside a span: a traced run, signal or remembered signal. */
const inTrace = (): boolean => trace.getSpan(context.active()) !== undefined;

export const interceptors: WorkflowInterceptorsFactory = () => {
  const traces = new RecordTraces();
  // Only work that arrives with a trace is traced. Spans made in the sandbox cost CPU on every workflow task
  // (replaying the recorded histories takes twice as long with them), which a deployment without tracing, or a
  // workflow no traced request reached, should not pay.
  const otelInbound = new OpenTelemetryInboundInterceptor();
  const otelOutbound = new OpenTelemetryOutboundInterceptor();
  const tracedInbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => (carriesTrace(input.headers) ? otelInbound.execute(input, next) : next(input)),
    handleSignal: (input, next) =>
      carriesTrace(input.headers) ? otelInbound.handleSignal(input, next) : next(input),
  };
  // Runs inside Temporal's signal span, so the context remembered is that span's.
  const rememberSignals: WorkflowInboundCallsInterceptor = {
    handleSignal(input, next) {
      const ids = recordIdsOf(input.args[0]);
      if (ids.length > 0 && inTrace()) traces.remember(ids, context.active());
      return next(input);
    },
  };
  // Runs before Temporal's, so its "start activity" span and the headers it writes belong to the signal's trace.
  const scheduleInSignalTrace: WorkflowOutboundCallsInterceptor = {
    scheduleActivity(input, next) {
      const remembered = traces.take(recordIdsOf(input.args[0]));
      return remembered ? context.with(remembered, () => next(input)) : next(input);
    },
  };
  const tracedOutbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (inTrace() ? otelOutbound.scheduleActivity(input, next) : next(input)),
    startChildWorkflowExecution: (input, next) =>
      inTrace() ? otelOutbound.startChildWorkflowExecution(input, next) : next(input),
    continueAsNew: (input, next) => (inTrace() ? otelOutbound.continueAsNew(input, next) : next(input)),
  };
  return {
    inbound: [tracedInbound, rememberSignals],
    outbound: [scheduleInSignalTrace, tracedOutbound],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
