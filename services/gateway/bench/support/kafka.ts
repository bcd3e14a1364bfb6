import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { EventEnvelope, type EventDefinition } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { freePort, repoRoot, uniqueName } from '@careloop/testing';

const run = promisify(execFile);

/**
 * A throw-away Kafka broker for one benchmark run: the same jars and settings
 * as the shared local one (deploy/local/kafka.sh), its own ports on 127.0.0.1
 * and its own data directory. The gateway's consumer groups have fixed names
 * (`gateway.outbound`, `gateway.message-log`): on the shared broker the bench
 * gateway would join the groups of any gateway running there (integration
 * tests, `npm start`), take over their partitions and send their commands.
 * Its own broker also gives the topics the partition counts the run asks for.
 */
export class BenchKafka {
  private constructor(
    readonly brokers: string,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<BenchKafka> {
    const dataDir = mkdtempSync(join(tmpdir(), 'careloop-gateway-bench-kafka-'));
    const kafka = new BenchKafka(`127.0.0.1:${await freePort()}`, dataDir);
    const port = kafka.brokers.split(':')[1] ?? '';
    try {
      await kafka.script('start', '--port', port, '--controller-port', String(await freePort()), '--timeout', '120');
    } catch (error) {
      await kafka.destroy();
      throw error;
    }
    return kafka;
  }

  /** The broker's JVM, for CPU accounting. */
  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async destroy(): Promise<void> {
    await this.script('stop').catch((error: unknown) => console.error(`could not stop the bench Kafka broker in ${this.dataDir}:`, error));
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async script(command: string, ...args: string[]): Promise<void> {
    await run('bash', [join(repoRoot(), 'deploy', 'local', 'kafka.sh'), command, '--data-dir', this.dataDir, ...args], { timeout: 150_000 });
  }
}

export function kafkaClient(brokers: string): Kafka {
  return new Kafka({ brokers: brokers.split(','), clientId: 'gateway-bench', logLevel: logLevel.NOTHING });
}

/** Creates the topics that are missing with `partitions` partitions (existing ones are left alone, as services do). */
export async function ensureTopics(brokers: string, definitions: readonly EventDefinition<unknown>[], partitions: number): Promise<void> {
  const bus = new KafkaEventBus({ brokers: brokers.split(','), service: 'gateway-bench' });
  try {
    // A broker that has just started may still answer "unknown topic" while it creates them: try again.
    for (const until = Date.now() + 60_000; ; ) {
      try {
        await bus.ensureTopics(definitions, { partitions });
        return;
      } catch (error) {
        if (Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await bus.close();
  }
}

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

  const consumer = kafkaClient(brokers).consumer({ groupId: uniqueName('gateway-bench-count'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
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
