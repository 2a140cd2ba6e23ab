import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { isWrapped, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';

/** A process's tracing: where its spans go, and the workflows' spans too (they leave the sandbox through a sink). */
export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Exports what is buffered and stops tracing. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: 'api' | 'worker';
  /** OTLP/HTTP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`): spans are batched to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /** Instead of OTLP, hand every span to this exporter as it ends (tests use an in-memory one). */
  exporter?: SpanExporter;
}

/** Probes and scrapes would be most of the traces, and say nothing. */
const untracedPaths = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * Starts OpenTelemetry tracing in this process when there is somewhere to send spans: a tracer provider with W3C
 * propagation, and the HTTP (incoming requests, outgoing `http`) and undici (outgoing `fetch`: QBO calls, CRM
 * webhooks) instrumentations. Temporal's interceptors (below) carry the context through workflows and activities.
 * Without an endpoint or exporter nothing is registered and spans cost nothing.
 */
export function startTracing(options: TracingOptions): Tracing {
  const spanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : options.otlpEndpoint
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) }))
      : undefined;
  if (!spanProcessor) return noTracing(options.serviceName);
  const { resource } = noTracing(options.serviceName);

  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const http = new HttpInstrumentation({
    ignoreIncomingRequestHook: (request: IncomingMessage) =>
      untracedPaths.has(new URL(request.url ?? '/', 'http://local').pathname),
  });
  const stopInstrumenting = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [http, new UndiciInstrumentation()],
  });
  patchLoadedCoreModules(http);
  return {
    spanProcessor,
    resource,
    async shutdown() {
      stopInstrumenting();
      await provider.shutdown();
    },
  };
}

/**
 * The http instrumentation patches `http` and `https` through a hook on Node's `require`, the next time they are
 * required. They are required here, so servers and clients made before tracing started are covered too; where the
 * hook did not run (a test runner's own module system bypasses it), they are patched directly, once.
 */
function patchLoadedCoreModules(instrumentation: HttpInstrumentation): void {
  const load = createRequire(__filename);
  for (const definition of instrumentation.getModuleDefinitions()) {
    const exports = load(definition.name) as typeof import('node:http');
    // eslint-disable-next-line @typescript-eslint/unbound-method -- inspected, not called
    if (isWrapped(exports.Server.prototype.emit)) continue;
    definition.moduleExports = exports;
    definition.patch?.(exports);
  }
}

/** Per the OTLP spec, a base endpoint gets the signal's path appended. */
function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** For every Temporal client of ours: starting and signalling workflows passes the caller's trace along. */
export function tracingClientInterceptors(): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

/** An activity's span, a child of the workflow's "start activity" span; its logs get the trace id. */
export const tracingActivityInterceptors: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

/**
 * The sink the workflow interceptors (workflow-interceptors.ts) export their spans through. Every worker that runs
 * the shared bundle needs it, traced or not: without it each workflow task logs an "unregistered sink" error.
 */
export function tracingSinks(tracing: Tracing = noTracing('worker')): WorkerOptions['sinks'] {
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}

/** Tracing that records nothing. */
export function noTracing(serviceName: TracingOptions['serviceName']): Tracing {
  return {
    spanProcessor: new NoopSpanProcessor(),
    resource: new Resource({ 'service.name': `qbo-sync-${serviceName}` }),
    shutdown: async () => {},
  };
}
