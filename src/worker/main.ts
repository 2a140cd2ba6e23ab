import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig, outboundPolicy, retentionSettings } from '../config';
import { sweepExpired } from '../db/retention';
import { connectMongo } from '../db/connect';
import { Mailer, emailSettings } from '../email/mailer';
import { unsubscribeSettings } from '../followups/unsubscribe';
import { createLogger, redactUri } from '../logger';
import { stopWhenParentExits } from '../lifecycle';
import { QboAccess, qboAccessSettings } from '../activities/qbo-access';
import { OutboundGuard } from '../security/outbound-url';
import { onFreshness } from '../history/freshness';
import { laneDepths } from '../observability/lane-depths';
import { WorkerMetrics } from '../observability/metrics';
import { serveMetrics, type MetricsServer } from '../observability/metrics-server';
import { sdkMetricsSource } from '../observability/sdk-metrics';
import { temporalLogger } from '../observability/temporal-logger';
import { startTracing } from '../observability/tracing';
import { startIdlePollSweep } from '../temporal/idle-poll-sweep';
import { createWorker } from './create-worker';

/** How often the worker sweeps expired records itself (see src/db/retention.ts). */
const retentionSweepMs = 60 * 60_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('worker', config.LOG_LEVEL);
  // Before anything makes a request, so every outgoing call is instrumented.
  const tracing = startTracing({
    serviceName: 'worker',
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
  const sdkMetrics = await sdkMetricsSource();
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: {
      // Core's own lines come through the same logger (and its redaction) instead of straight to the console.
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      metrics: { prometheus: { bindAddress: sdkMetrics.bindAddress } },
    },
  });
  const mongo = await connectMongo(config.MONGODB_URI, config.DEPENDENCY_TIMEOUT_MS);
  const metrics = new WorkerMetrics({ laneDepths: () => laneDepths(mongo.connection) });
  const stopFreshness = onFreshness((direction, lagMs) => metrics.changeLanded(direction, lagMs));
  // Metrics are not worth stopping the sync for: a worker that cannot serve them says so and carries on.
  const metricsServer: MetricsServer | undefined = await serveMetrics({
    registry: metrics.registry,
    host: config.WORKER_METRICS_HOST,
    port: config.WORKER_METRICS_PORT,
    also: () => sdkMetrics.read(),
  }).catch((error: unknown) => {
    log.error(
      { err: error, host: config.WORKER_METRICS_HOST, port: config.WORKER_METRICS_PORT },
      'worker metrics unavailable: could not listen',
    );
    return undefined;
  });

  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const mailer = new Mailer(emailSettings(config));
  try {
    const worker = await createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      db: mongo.connection,
      qbo: new QboAccess(mongo.connection, qboAccessSettings(config), metrics.qboObservers()),
      mailer,
      unsubscribe: unsubscribeSettings(config),
      outbound: new OutboundGuard(outboundPolicy(config)),
      retention: retentionSettings(config),
      workflowBundlePath: config.TEMPORAL_WORKFLOW_BUNDLE,
      log,
      metrics,
      tracing,
    });
    // Idle companies are polled by the task queue's sweep: without it they fall back to their workflows' own slow
    // timer, so a failure to start it is logged, not fatal.
    await startIdlePollSweep(
      new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
      config.TEMPORAL_TASK_QUEUE,
    ).catch((error: unknown) => log.error({ err: error }, 'idle-poll sweep not started'));
    // MongoDB and the embedded server expire records by TTL; this does the same on a server that does not.
    const retention = setInterval(() => {
      sweepExpired(mongo.connection, new Date())
        .then((swept) => Object.keys(swept).length > 0 && log.info({ swept }, 'expired records removed'))
        .catch((error: unknown) => log.warn({ err: error }, 'retention sweep failed'));
    }, retentionSweepMs);
    retention.unref();
    log.info(
      {
        temporal: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        mongodb: redactUri(config.MONGODB_URI),
        ...(metricsServer ? { metrics: metricsServer.url } : {}),
        tracing: config.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'off',
      },
      'worker started',
    );
    // Runtime traps SIGINT/SIGTERM and drains the worker; run() resolves once it has stopped.
    stopWhenParentExits(() => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    });
    await worker.run();
    log.info('worker stopped');
  } finally {
    mailer.close();
    stopFreshness();
    await metricsServer?.close();
    await tracing.shutdown();
    await connection.close();
    await mongo.disconnect();
  }
}

main().catch((error: unknown) => {
  createLogger('worker').fatal({ err: error }, 'worker failed');
  process.exit(1);
});
