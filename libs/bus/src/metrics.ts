import { Counter, Histogram, type Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type ConsumeOutcome = 'processed' | 'duplicate' | 'dead_lettered' | 'retried';

/** Bus metrics; labels are topic, group and outcome only (bounded, no PHI). */
export class BusMetrics {
  private readonly publishedTotal?: Counter<'topic'>;
  private readonly publishFailedTotal?: Counter<'topic'>;
  private readonly publishSeconds?: Histogram<'topic'>;
  private readonly consumedTotal?: Counter<'topic' | 'group' | 'outcome'>;
  private readonly handleSeconds?: Histogram<'topic' | 'group'>;

  constructor(registry?: Registry) {
    if (!registry) return;
    const registers = [registry];
    this.publishedTotal = new Counter({ name: 'careloop_bus_published_events_total', help: 'Events acknowledged by Kafka.', labelNames: ['topic'], registers });
    this.publishFailedTotal = new Counter({ name: 'careloop_bus_publish_failures_total', help: 'Events Kafka did not acknowledge.', labelNames: ['topic'], registers });
    this.publishSeconds = new Histogram({ name: 'careloop_bus_publish_duration_seconds', help: 'From publish() to acknowledgement.', labelNames: ['topic'], buckets: BUCKETS, registers });
    this.consumedTotal = new Counter({ name: 'careloop_bus_consumed_events_total', help: 'Records handled by consumers, by outcome.', labelNames: ['topic', 'group', 'outcome'], registers });
    this.handleSeconds = new Histogram({ name: 'careloop_bus_handler_duration_seconds', help: 'Handler time per successful event.', labelNames: ['topic', 'group'], buckets: BUCKETS, registers });
  }

  published(topic: string, seconds: number): void {
    this.publishedTotal?.inc({ topic });
    this.publishSeconds?.observe({ topic }, seconds);
  }

  publishFailed(topic: string): void {
    this.publishFailedTotal?.inc({ topic });
  }

  consumed(topic: string, group: string, outcome: ConsumeOutcome): void {
    this.consumedTotal?.inc({ topic, group, outcome });
  }

  handled(topic: string, group: string, seconds: number): void {
    this.handleSeconds?.observe({ topic, group }, seconds);
  }
}
