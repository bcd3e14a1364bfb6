import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { SpanKind } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import type { Connection } from 'mongoose';
import { DeadLetter, deadLetterTopic, type EventDefinition, type InboundMessage } from '@careloop/contracts';
import { KafkaEventBus, NonRetryableError, on, type EventConsumer } from '@careloop/bus';
import { connectMongo, connectRedis, MongoProcessedEvents, type Redis } from '@careloop/store';
import { infraEnv, installInMemoryTracing, kafkaClient, repoRoot, sleep, uniqueName, waitFor, type InMemoryTracing } from '@careloop/testing';
import { effectsModel } from './fixtures/effects';
import { testEvent, textMessage } from './fixtures/test-events';

const env = infraEnv();
const brokers = env.KAFKA_BROKERS.split(',');

describe('KafkaEventBus against a real Kafka broker', () => {
  let bus: KafkaEventBus;
  let tracing: InMemoryTracing;
  let mongo: Connection;
  const dbName = uniqueName('bus_test').replace(/-/g, '_');
  const consumers: EventConsumer[] = [];
  const children: ChildProcess[] = [];
  const redisClients: Redis[] = [];

  beforeAll(async () => {
    tracing = installInMemoryTracing();
    bus = new KafkaEventBus({ brokers, service: 'bus-test' });
    await bus.connect();
    mongo = await connectMongo({ uri: env.MONGODB_URI, dbName });
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await bus.close();
    await mongo.dropDatabase().catch(() => undefined);
    await mongo.close();
    for (const redis of redisClients) redis.disconnect();
    await tracing.uninstall();
  });

  async function provisioned(entity: string): Promise<EventDefinition<InboundMessage>> {
    const definition = testEvent(entity);
    await bus.ensureTopics([definition]);
    return definition;
  }

  // With the store alone, and with Redis in front of it (recent marks, as services run it).
  it.each([
    ['the store alone', false],
    ['Redis in front of the store', true],
  ])('consumes an event exactly once when the consumer dies between processing and commit (dedupe: %s)', async (_name, withRedis) => {
    const definition = await provisioned(withRedis ? 'exactly-once-redis' : 'exactly-once');
    const redisPrefix = `${uniqueName('exactly-once')}:`;
    const redis = withRedis ? await connectRedis({ url: env.REDIS_URL, keyPrefix: redisPrefix }) : undefined;
    if (redis) redisClients.push(redis);
    const group = uniqueName('exactly-once-group');
    const processed = new MongoProcessedEvents(mongo, undefined, redis ? { redis } : undefined);
    await processed.init();
    const effects = effectsModel(mongo);

    const first = await bus.publish(definition, textMessage('wamid.1', 'first'), { key: 'contact-1', tenantId: 'tenant-a' });

    // A consumer in another process handles the event, records it, and is killed before committing.
    const child = fork(join(__dirname, 'fixtures', 'crashing-consumer.ts'), [], {
      cwd: repoRoot(),
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, KAFKA_BROKERS: env.KAFKA_BROKERS, MONGODB_URI: env.MONGODB_URI, TEST_DB: dbName, TEST_TOPIC: definition.topic, TEST_GROUP: group, ...(redis ? { TEST_REDIS_PREFIX: redisPrefix, REDIS_URL: env.REDIS_URL } : {}) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const processedInChild = new Promise<string>((resolve, reject) => {
      child.on('message', (m: { processed?: string }) => {
        if (m.processed) resolve(m.processed);
      });
      child.on('exit', (code) => reject(new Error(`crashing consumer exited early with ${String(code)}`)));
    });
    expect(await processedInChild).toBe(first.id);
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    // A restarted consumer of the same group gets the uncommitted event again and must skip it.
    const second = await bus.publish(definition, textMessage('wamid.2', 'second'), { key: 'contact-1', tenantId: 'tenant-a' });
    const metrics = new Registry();
    const restartedBus = new KafkaEventBus({ brokers, service: 'bus-test-restarted', metrics });
    const handled: string[] = [];
    const consumer = restartedBus.consumer({
      group,
      processed,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      handlers: [
        on(definition, async (event) => {
          handled.push(event.id);
          await effects.updateOne({ _id: event.id }, { $inc: { count: 1 } }, { upsert: true });
        }),
      ],
    });
    consumers.push(consumer);
    await consumer.start();
    await waitFor('the second event to be handled', () => handled.includes(second.id), 60_000);
    await restartedBus.close();

    const counts = Object.fromEntries((await effects.find({ _id: { $in: [first.id, second.id] } }).lean()).map((d) => [d._id, d.count]));
    expect(counts).toEqual({ [first.id]: 1, [second.id]: 1 });
    expect(handled).toEqual([second.id]);
    const consumed = await metrics.getSingleMetric('careloop_bus_consumed_events_total')?.get();
    const duplicates = consumed?.values.find((v) => v.labels['outcome'] === 'duplicate')?.value;
    expect(duplicates).toBe(1); // proves the first event really was redelivered and skipped
  });

  it('handles different keys of one partition in parallel, each key in order, each record once', async () => {
    const definition = await provisioned('keys-concurrently');
    const keys = ['contact-a', 'contact-b', 'contact-c', 'contact-d'];
    // Published before the consumer starts, so they arrive in one batch of the single partition.
    const published = await Promise.all(
      keys.flatMap((key) => [1, 2, 3, 4, 5].map((n) => bus.publish(definition, textMessage(`wamid.${key}.${n}`, `${key}#${n}`), { key, tenantId: 'tenant-a' }))),
    );
    const seen = new Map<string, string[]>();
    let inFlight = 0;
    let mostInFlight = 0;
    const consumer = bus.consumer({
      group: uniqueName('keys-group'),
      keysConcurrently: 4,
      handlers: [
        on(definition, async (event) => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 20));
          const body = event.payload.content?.$case === 'text' ? event.payload.content.value.body : '';
          seen.set(event.key ?? '', [...(seen.get(event.key ?? '') ?? []), body]);
          inFlight -= 1;
        }),
      ],
    });
    consumers.push(consumer);
    await consumer.start();
    await waitFor('every record', () => ([...seen.values()].flat().length >= published.length ? true : undefined), 60_000);
    for (const key of keys) expect(seen.get(key)).toEqual([1, 2, 3, 4, 5].map((n) => `${key}#${n}`));
    expect([...seen.values()].flat()).toHaveLength(published.length);
    expect(mostInFlight).toBeGreaterThan(1);
  });

  it('gives two buses with different group prefixes every event each, though their services name the same group', async () => {
    const definition = await provisioned('group-prefix');
    const group = uniqueName('shared-group');
    const copies = ['copy-a.', 'copy-b.'].map((groupPrefix) => new KafkaEventBus({ brokers, service: 'bus-test', groupPrefix }));
    const seen = copies.map(() => new Set<string>());
    try {
      for (const [i, copy] of copies.entries()) {
        await copy.connect();
        const consumer = copy.consumer({ group, handlers: [on(definition, async (event) => void seen[i]?.add(event.id))] });
        consumers.push(consumer);
        await consumer.start();
      }
      const ids = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => bus.publish(definition, textMessage(`wamid.gp.${n}`, `#${n}`), { key: `k${n}`, tenantId: 'tenant-a' })));
      await waitFor('both copies to see every event', () => (seen.every((s) => s.size >= ids.length) ? true : undefined), 60_000);
      for (const s of seen) expect([...s].sort()).toEqual(ids.map((e) => e.id).sort());
    } finally {
      await Promise.allSettled(copies.map((c) => c.close()));
    }
  });

  it('starts a new group at the latest offset when the bus says so, and at the earliest by default', async () => {
    const definition = await provisioned('new-groups-start');
    const before = await bus.publish(definition, textMessage('wamid.ngs.1', 'before'), { key: 'k1', tenantId: 'tenant-a' });
    const latest = new KafkaEventBus({ brokers, service: 'bus-test', groupPrefix: 'latest.', newGroupsStartAt: 'latest' });
    const admin = kafkaClient(brokers.join(','), 'bus-test-admin').admin();
    await admin.connect();
    const seen = { latest: new Set<string>(), earliest: new Set<string>() };
    try {
      await latest.connect();
      const group = uniqueName('ngs');
      const late = latest.consumer({ group, handlers: [on(definition, async (event) => void seen.latest.add(event.id))] });
      const early = bus.consumer({ group: uniqueName('ngs'), handlers: [on(definition, async (event) => void seen.earliest.add(event.id))] });
      consumers.push(late, early);
      await late.start();
      await early.start();
      await waitFor('the earliest group to read the older event', () => (seen.earliest.has(before.id) ? true : undefined), 60_000);
      await waitFor('the latest group to have its partitions', async () => ((await admin.describeGroups([`latest.${group}`])).groups[0]?.state === 'Stable' ? true : undefined), 60_000);
      await sleep(2_000);
      const after = await bus.publish(definition, textMessage('wamid.ngs.2', 'after'), { key: 'k2', tenantId: 'tenant-a' });
      await waitFor('both groups to read the newer event', () => (seen.latest.has(after.id) && seen.earliest.has(after.id) ? true : undefined), 60_000);
      expect(seen.latest.has(before.id)).toBe(false);
    } finally {
      await latest.close();
      await admin.disconnect();
    }
  });

  it('starts a new group at a point in time when the bus says so: nothing older, everything since, even what came before it joined', async () => {
    const definition = await provisioned('new-groups-from');
    const older = await bus.publish(definition, textMessage('wamid.ngf.1', 'older'), { key: 'k1', tenantId: 'tenant-a' });
    await sleep(1_500);
    const from = new Date();
    const since = await Promise.all([2, 3, 4].map((n) => bus.publish(definition, textMessage(`wamid.ngf.${n}`, `since ${n}`), { key: `k${n}`, tenantId: 'tenant-a' })));
    const timed = new KafkaEventBus({ brokers, service: 'bus-test', groupPrefix: 'from.', newGroupsStartAt: from });
    const seen = new Set<string>();
    try {
      await timed.connect();
      const consumer = timed.consumer({ group: uniqueName('ngf'), handlers: [on(definition, async (event) => void seen.add(event.id))] });
      consumers.push(consumer);
      await consumer.start();
      await waitFor('the events since the start time', () => (since.every((e) => seen.has(e.id)) ? true : undefined), 60_000);
      const later = await bus.publish(definition, textMessage('wamid.ngf.5', 'later'), { key: 'k5', tenantId: 'tenant-a' });
      await waitFor('an event published after joining', () => (seen.has(later.id) ? true : undefined), 60_000);
      expect(seen.has(older.id)).toBe(false);
      expect(seen.size).toBe(since.length + 1);
    } finally {
      await timed.close();
    }
  });

  it("makes the consumer's span a child of the producer's span", async () => {
    const definition = await provisioned('tracing');
    let consumerTraceId: string | undefined;
    const consumer = bus.consumer({
      group: uniqueName('tracing-group'),
      handlers: [
        on(definition, async () => {
          const { trace, context } = await import('@opentelemetry/api');
          consumerTraceId = trace.getSpan(context.active())?.spanContext().traceId;
        }),
      ],
    });
    consumers.push(consumer);
    await consumer.start();
    const published = await bus.publish(definition, textMessage('wamid.t', 'traced'), { key: 'k', tenantId: 'tenant-a' });
    await waitFor('the consumer span', () =>
      tracing.spans().find((s) => s.name === `process ${definition.topic}` && s.attributes['messaging.message.id'] === published.id),
    );
    const spans = tracing.spans();
    const producer = spans.find((s) => s.name === `send ${definition.topic}` && s.attributes['messaging.message.id'] === published.id);
    const processSpan = spans.find((s) => s.name === `process ${definition.topic}` && s.attributes['messaging.message.id'] === published.id);
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(processSpan?.kind).toBe(SpanKind.CONSUMER);
    expect(processSpan?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(processSpan?.spanContext().traceId).toBe(producer?.spanContext().traceId);
    expect(consumerTraceId).toBe(producer?.spanContext().traceId);
    await consumer.stop();
  });

  it('dead-letters an event whose handler always fails, with the reason, and keeps the partition flowing', async () => {
    const definition = await provisioned('dlq');
    const handled: string[] = [];
    const attempts = new Map<string, number>();
    const consumer = bus.consumer({
      group: uniqueName('dlq-group'),
      retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
      handlers: [
        on(definition, async (event) => {
          attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
          if (event.payload.messageId === 'wamid.poison') throw new Error('appointment service rejected the slot');
          if (event.payload.messageId === 'wamid.hopeless') throw new NonRetryableError('tenant does not exist');
          handled.push(event.payload.messageId);
        }),
      ],
    });
    consumers.push(consumer);
    await consumer.start();

    const poison = await bus.publish(definition, textMessage('wamid.poison', 'x'), { key: 'same', tenantId: 'tenant-a' });
    const hopeless = await bus.publish(definition, textMessage('wamid.hopeless', 'x'), { key: 'same', tenantId: 'tenant-a' });
    await bus.publishRaw(definition.topic, { key: 'same', value: Buffer.from('not an envelope') });
    await bus.publish(definition, textMessage('wamid.after', 'y'), { key: 'same', tenantId: 'tenant-a' });

    await waitFor('the event after the poison ones', () => handled.includes('wamid.after'), 30_000);
    expect(attempts.get(poison.id)).toBe(3);
    expect(attempts.get(hopeless.id)).toBe(1);

    const letters = await readTopic(deadLetterTopic(definition.topic), 3);
    const decoded = letters.map((m) => ({ letter: DeadLetter.decode(m.value), headers: m.headers }));
    const byEvent = (id: string) => decoded.find((d) => d.letter.eventId === id);
    expect(byEvent(poison.id)?.letter).toMatchObject({ attempts: 3, sourceTopic: definition.topic, errorType: 'Error', tenantId: 'tenant-a' });
    expect(byEvent(poison.id)?.letter.reason).toContain('appointment service rejected the slot');
    expect(byEvent(poison.id)?.headers['careloop-dlq-attempts']).toBe('3');
    expect(byEvent(hopeless.id)?.letter).toMatchObject({ attempts: 1, errorType: 'NonRetryableError' });
    const undecodable = decoded.find((d) => d.letter.eventId === '');
    expect(undecodable?.letter.reason).toContain('not an event envelope');
    expect(undecodable?.letter.originalValue.toString()).toBe('not an envelope');
    await consumer.stop();
  });

  it('keeps its group membership while one handler runs longer than the session timeout (no rebalance, no second delivery)', async () => {
    const definition = await provisioned('slow-handler');
    const calls = new Map<string, number>();
    const consumer = bus.consumer({
      group: uniqueName('slow-group'),
      // The broker's smallest session timeout (group.min.session.timeout.ms), and a handler that takes 1.5 times it.
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      handlers: [
        on(definition, async (event) => {
          calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
          if (event.payload.messageId === 'wamid.slow') await sleep(9_000);
        }),
      ],
    });
    consumers.push(consumer);
    await consumer.start();
    const slow = await bus.publish(definition, textMessage('wamid.slow', 'slow'), { key: 'k', tenantId: 'tenant-a' });
    const next = await bus.publish(definition, textMessage('wamid.next', 'next'), { key: 'k', tenantId: 'tenant-a' });
    await waitFor('both events handled', () => (calls.has(next.id) ? true : undefined), 60_000);
    // A lost membership would have the uncommitted slow event delivered again after the rejoin.
    await sleep(8_000);
    expect([calls.get(slow.id), calls.get(next.id)]).toEqual([1, 1]);
  }, 90_000);
});

async function readTopic(topic: string, count: number): Promise<{ value: Buffer; headers: Record<string, string> }[]> {
  const kafka = new Kafka({ brokers, clientId: 'dlq-reader', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  const out: { value: Buffer; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      out.push({ value: message.value ?? Buffer.alloc(0), headers });
    },
  });
  try {
    await waitFor(`${count} records on ${topic}`, () => out.length >= count, 30_000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}
