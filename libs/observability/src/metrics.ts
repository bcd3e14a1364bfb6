import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';

/**
 * One registry per service process. Metric names follow Prometheus conventions
 * (`careloop_<subsystem>_<what>_<unit>`); labels are bounded enums (topic,
 * outcome, code) and never carry PHI or ids of people.
 */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'careloop_' });
  return registry;
}

/** Latency buckets in seconds, from sub-millisecond hot paths to slow remote calls. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
