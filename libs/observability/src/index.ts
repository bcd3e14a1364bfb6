export { createLogger, phiRedactPaths, PHI_FIELDS, type Logger, type LoggerSettings } from './logger';
export {
  createMetricsRegistry,
  LATENCY_BUCKETS_SECONDS,
  Counter,
  Gauge,
  Histogram,
  Registry,
  Summary,
} from './metrics';
export { startTelemetry, shutdownTelemetry, type TelemetrySettings } from './telemetry';
