import type { Admin, Consumer } from 'kafkajs';
import { EventEnvelope } from '@careloop/contracts';
import { kafkaClient, sleep, uniqueName, waitFor } from '@careloop/testing';

/** The Kafka client id of the bench's own clients. */
export const BENCH_CLIENT_ID = 'routing-bench';

/** Active members of a consumer group (0 when it does not exist). */
export async function groupMembers(admin: Admin, groupId: string): Promise<number> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]?.members.length ?? 0;
}

/** Records of `topic` that `groupId` has not committed yet. */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, e) => sum + Number(e.high) - Math.max(0, done.get(e.partition) ?? 0), 0);
}

/**
 * Commits the topic's current end for an idle group, so the subject starts
 * with nothing to catch up on: not the other subject's events, not an
 * earlier run's.
 */
export async function pinGroupToEnd(admin: Admin, groupId: string, topic: string): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
}

/** Waits until the group has a member and a settled assignment. */
export async function waitForGroup(admin: Admin, groupId: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `consumer group ${groupId} to be stable`,
    async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return group?.state === 'Stable' && group.members.length > 0;
    },
    timeoutMs,
    250,
  );
}

export interface EnvelopeArrival {
  readonly id: string;
  readonly tenantId: string;
  readonly causationId: string;
  /** performance.now() when the fetch that carried the record was handed over. */
  readonly arrivedAt: number;
}

/**
 * Reads a topic from "now" on in its own consumer group and hands over the
 * envelopes of the tenants it was told about; the clock is taken once per
 * fetched batch, before any record of it is looked at.
 */
export class EnvelopeTap {
  private readonly tenants = new Set<string>();

  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string, topic: string, sink: (arrival: EnvelopeArrival) => void): Promise<EnvelopeTap> {
    const consumer = kafkaClient(brokers, 'routing-bench-tap').consumer({ groupId: uniqueName('routing-bench-tap'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    const tap = new EnvelopeTap(consumer);
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: true,
      eachBatch: ({ batch }) => {
        const arrivedAt = performance.now();
        for (const message of batch.messages) {
          if (!message.value) continue;
          let envelope: EventEnvelope;
          try {
            envelope = EventEnvelope.decode(message.value);
          } catch {
            continue; // not an envelope: not ours
          }
          if (tap.tenants.has(envelope.tenantId)) sink({ id: envelope.id, tenantId: envelope.tenantId, causationId: envelope.causationId, arrivedAt });
        }
        return Promise.resolve();
      },
    });
    await waitFor(`the tap on ${topic} to join its group`, () => joined, 60_000);
    // The consumer resolves "latest" on its first fetch, right after joining.
    await sleep(1_000);
    return tap;
  }

  watch(tenantId: string): void {
    this.tenants.add(tenantId);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
