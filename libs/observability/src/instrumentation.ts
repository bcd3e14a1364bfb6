/**
 * Preloaded before any application module: `node --require <this file> main.js`.
 * Reads the standard OTel env: OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT
 * (unset = no export), OTEL_SDK_DISABLED=true to switch it off.
 */
import { startTelemetry } from './telemetry';

if (process.env['OTEL_SDK_DISABLED'] !== 'true') {
  startTelemetry({
    serviceName: process.env['OTEL_SERVICE_NAME'] ?? 'careloop',
    serviceVersion: process.env['CARELOOP_VERSION'],
    otlpEndpoint: process.env['OTEL_EXPORTER_OTLP_ENDPOINT'],
  });
}
