import type { Admin } from 'kafkajs';
import { EventEnvelope, type EventDefinition } from '@careloop/contracts';
import { kafkaClient, uniqueName } from '@careloop/testing';

/** The Kafka client id of the bench's own clients. */
export const BENCH_CLIENT_ID = 'gateway-bench';

/** High watermark per partition. */
export async function topicOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

export function recordsBetween(before: ReadonlyMap<number, bigint>, after: ReadonlyMap<number, bigint>): number {
  let total = 0n;
  for (const [partition, high] of after) total += high - (before.get(partition) ?? 0n);
  return Number(total);
}

/**
 * Reads the records between two offset snapshots and counts the events of one
 * type and tenant, and how many distinct event ids they carry.
 */
export async function countEvents(
  brokers: string,
  definition: EventDefinition<unknown>,
  tenantId: string,
  from: ReadonlyMap<number, bigint>,
  to: ReadonlyMap<number, bigint>,
  timeoutMs = 120_000,
): Promise<{ events: number; distinctIds: number }> {
  const open = new Map<number, bigint>(); // partition -> next offset still expected
  for (const [partition, end] of to) if (end > (from.get(partition) ?? 0n)) open.set(partition, from.get(partition) ?? 0n);
  if (open.size === 0) return { events: 0, distinctIds: 0 };

  const consumer = kafkaClient(brokers, BENCH_CLIENT_ID).consumer({ groupId: uniqueName('gateway-bench-count'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const ids = new Set<string>();
  let events = 0;
  const counted = new Map<number, bigint>(); // highest offset counted + 1, per partition (batches may repeat after a seek)
  let finish: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: definition.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const start = from.get(batch.partition) ?? 0n;
        const end = to.get(batch.partition) ?? 0n;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < start || offset >= end || offset < (counted.get(batch.partition) ?? 0n)) continue;
          counted.set(batch.partition, offset + 1n);
          const envelope = EventEnvelope.decode(message.value ?? Buffer.alloc(0));
          if (envelope.type === definition.type && envelope.tenantId === tenantId) {
            events++;
            ids.add(envelope.id);
          }
        }
        if ((counted.get(batch.partition) ?? 0n) >= end) open.delete(batch.partition);
        if (open.size === 0) finish?.();
        return Promise.resolve();
      },
    });
    for (const [partition, offset] of open) consumer.seek({ topic: definition.topic, partition, offset: offset.toString() });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${definition.topic} back took longer than ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return { events, distinctIds: ids.size };
}
