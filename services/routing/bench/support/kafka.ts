import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { EventEnvelope, type EventDefinition } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { freePort, repoRoot, sleep, uniqueName, waitFor } from '@careloop/testing';

const run = promisify(execFile);
const DIR_PREFIX = 'careloop-routing-bench-kafka-';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A throw-away Kafka broker for one run: the jars and settings of the shared
 * local broker (deploy/local/kafka.sh), its own ports on 127.0.0.1 and its own
 * data directory. routing's consumer group has a fixed name (`routing.turns`):
 * on the shared broker the bench's routing would join the group of any routing
 * running there (`npm start`, integration tests), split the partitions with it
 * and have part of the load answered by someone else's process.
 */
export class BenchKafka {
  private constructor(
    readonly brokers: string,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<BenchKafka> {
    await BenchKafka.sweepOrphans();
    const dataDir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    // Who owns this broker: a later run stops it if this process dies without cleaning up (SIGKILL).
    writeFileSync(join(dataDir, 'bench.pid'), String(process.pid));
    const port = await freePort();
    const kafka = new BenchKafka(`127.0.0.1:${port}`, dataDir);
    try {
      await kafka.script('start', '--port', String(port), '--controller-port', String(await freePort()), '--timeout', '120');
    } catch (error) {
      await kafka.destroy();
      throw error;
    }
    return kafka;
  }

  /** Stops the brokers of earlier runs whose bench process is gone (killed before its clean-up). */
  static async sweepOrphans(): Promise<void> {
    for (const entry of readdirSync(tmpdir()).filter((e) => e.startsWith(DIR_PREFIX))) {
      const kafka = new BenchKafka('', join(tmpdir(), entry));
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(tmpdir(), entry, 'bench.pid'), 'utf8'));
      } catch {
        // no owner recorded: being created right now, or not ours to judge
        continue;
      }
      if (alive(owner)) continue;
      console.log(`stopping the broker of an earlier bench run that did not clean up (${entry}) ...`);
      await kafka.destroy();
    }
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

export function kafkaClient(brokers: string, clientId = 'routing-bench'): Kafka {
  return new Kafka({ brokers: brokers.split(','), clientId, logLevel: logLevel.NOTHING });
}

/** Creates the missing topics with their definitions' partition counts, as routing itself would. */
export async function ensureTopics(brokers: string, definitions: readonly EventDefinition<unknown>[]): Promise<void> {
  const bus = new KafkaEventBus({ brokers: brokers.split(','), service: 'routing-bench' });
  try {
    await bus.ensureTopics(definitions);
  } finally {
    await bus.close();
  }
}

/** A first group lookup makes a new broker create __consumer_offsets now, not while the subjects join. */
export async function warmGroupCoordinator(admin: Admin, topic: string): Promise<void> {
  for (const until = Date.now() + 60_000; ; ) {
    try {
      await admin.fetchOffsets({ groupId: 'routing-bench-warm-up', topics: [topic] });
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(250); // the coordinator is still loading
    }
  }
}

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
