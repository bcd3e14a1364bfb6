import { NodeSDK } from '@opentelemetry/sdk-node';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { NoopSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface TelemetrySettings {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** OTLP/HTTP base endpoint, e.g. http://otel-collector:4318. Unset: nothing is exported. */
  readonly otlpEndpoint?: string | undefined;
  /** Tests inject an in-memory exporter here. */
  readonly traceExporter?: SpanExporter;
}

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK. Must run before the application's modules are
 * loaded (see instrumentation.ts, loaded with `node --require`), otherwise the
 * auto-instrumentations cannot patch http, express, grpc, mongodb and ioredis.
 *
 * kafkajs is not auto-instrumented: the event bus creates the producer and
 * consumer spans and carries the W3C context in record headers itself, so that
 * tracing survives swapping the Kafka client; both together would double every
 * messaging span.
 */
export function startTelemetry(settings: TelemetrySettings): NodeSDK {
  if (sdk) return sdk;
  const traceExporter =
    settings.traceExporter ??
    (settings.otlpEndpoint ? new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : undefined);
  const metricReader = settings.otlpEndpoint
    ? new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${settings.otlpEndpoint.replace(/\/$/, '')}/v1/metrics` }),
      })
    : undefined;
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]: settings.serviceVersion ?? '0.0.0',
    }),
    // Without an endpoint nothing leaves the process; left to itself the SDK would send traces
    // and logs to localhost:4318 (its OTEL_*_EXPORTER default) and log every failed export.
    // Spans are still made, so trace ids reach the logs and the Kafka headers.
    ...(traceExporter ? { traceExporter } : { spanProcessors: [new NoopSpanProcessor()] }),
    ...(settings.otlpEndpoint ? {} : { logRecordProcessors: [] }),
    // Prometheus scrapes the ops port either way; OTLP metrics only where a collector is named.
    metricReaders: metricReader ? [metricReader] : [],
    instrumentations: [
      getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-fs': { enabled: false },
        '@opentelemetry/instrumentation-dns': { enabled: false },
        '@opentelemetry/instrumentation-net': { enabled: false },
        '@opentelemetry/instrumentation-kafkajs': { enabled: false },
        '@opentelemetry/instrumentation-pino': { enabled: true },
        '@opentelemetry/instrumentation-http': {
          // Probes and scrapes would drown the real traffic.
          ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? ''),
        },
      }),
    ],
  });
  sdk.start();
  return sdk;
}

export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (running) await running.shutdown();
}
