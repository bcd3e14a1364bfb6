import type { Consumer } from 'kafkajs';
import { EventEnvelope, type EventDefinition } from '@careloop/contracts';
import { ensureTopics, kafkaClient } from './bench/throwaway-kafka';
import { uniqueName, waitFor } from './wait';

/** The envelope's metadata (tests read it without the bus, which itself is tested with this library). */
export interface TappedMeta {
  readonly id: string;
  readonly type: string;
  readonly tenantId: string;
  readonly facilityId: string;
  readonly occurredAt: Date | undefined;
  readonly causationId: string;
  readonly correlationId: string;
  readonly producer: string;
}

export interface TappedEvent<T> {
  readonly meta: TappedMeta;
  readonly payload: T;
  readonly key: string | null;
}

/**
 * Listens to a topic from "now" on and keeps the events of the tenants a test
 * cares about — the way to assert what a service published to the real broker.
 */
export class TopicTap<T> {
  private readonly events: TappedEvent<T>[] = [];

  private constructor(
    private readonly consumer: Consumer,
    private readonly definition: EventDefinition<T>,
    private readonly tenants: ReadonlySet<string>,
  ) {}

  static async start<T>(brokers: string, definition: EventDefinition<T>, tenants: readonly string[]): Promise<TopicTap<T>> {
    const consumer = kafkaClient(brokers, 'topic-tap').consumer({ groupId: uniqueName('tap'), sessionTimeout: 10_000, heartbeatInterval: 500 });
    const tap = new TopicTap(consumer, definition, new Set(tenants));
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    // On a new cluster the services under test may not have created the topic yet; subscribing
    // to a missing topic fails ("does not host this topic-partition"). Same settings as theirs.
    await ensureTopics(brokers, [{ topic: definition.topic, numPartitions: definition.partitions, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: String(definition.retentionHours * 3_600_000) }] }], { retryForMs: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: definition.topic, fromBeginning: false });
    await consumer.run({
      eachMessage: ({ message }) => {
        try {
          const { payload: bytes, ...meta } = EventEnvelope.decode(message.value ?? Buffer.alloc(0));
          if (meta.type === definition.type && tap.tenants.has(meta.tenantId)) {
            tap.events.push({ meta, payload: definition.codec.decode(bytes), key: message.key?.toString() ?? null });
          }
        } catch {
          // Not an envelope of this type: not ours to judge here.
        }
        return Promise.resolve();
      },
    });
    await waitFor(`the tap on ${definition.topic} to join its group`, () => joined, 30_000);
    // The consumer resolves "latest" on its first fetch, right after joining.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return tap;
  }

  received(): readonly TappedEvent<T>[] {
    return this.events;
  }

  async waitForCount(count: number, timeoutMs = 20_000): Promise<readonly TappedEvent<T>[]> {
    await waitFor(`${count} event(s) on ${this.definition.topic}`, () => this.events.length >= count, timeoutMs);
    return this.events;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
