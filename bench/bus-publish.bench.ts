/**
 * Bus publish throughput vs raw kafkajs, same broker, same run.
 *   npm run bench:bus [-- --messages 20000 --rounds 9]
 * Both sides: 1 KB payloads, acks from all in-sync replicas (-1), one produce
 * request in flight, batches of up to 500 records. The baseline hands kafkajs
 * ready-made arrays; the bus gets one publish() call per event (as services
 * use it) and must batch, envelope and trace them itself. Both serialise the
 * same protobuf payload per event (any real Kafka producer has to), so the
 * ratio measures what the bus adds: envelope, tracing, batching, promises.
 */
import { Kafka, logLevel } from 'kafkajs';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { KafkaEventBus } from '@careloop/bus';
import { defineEvent, InboundMessage, Channel } from '@careloop/contracts';
import { ensureInfra, uniqueName } from '@careloop/testing';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MESSAGES = arg('messages', 20_000);
const ROUNDS = arg('rounds', 9);
const BATCH = 500;
const WINDOW = 1_000; // publishes outstanding at once on the bus side

async function main(): Promise<void> {
  const env = ensureInfra();
  const brokers = env.KAFKA_BROKERS.split(',');
  const payload = InboundMessage.fromPartial({
    messageId: 'wamid.bench',
    from: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '15550001111' },
    content: { $case: 'text', value: { body: 'x'.repeat(1_000) } },
  });

  const definition = defineEvent<InboundMessage>({
    topic: `bench.${uniqueName('bus')}.v1`,
    type: 'careloop.messaging.v1.InboundMessage',
    codec: InboundMessage,
    partitions: 3,
    retentionHours: 1,
    keyedBy: 'contact',
    description: 'benchmark',
  });
  const rawTopic = `bench.${uniqueName('raw')}.v1`;

  const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();

  const bus = new KafkaEventBus({ brokers, service: 'bench', maxBatchSize: BATCH });
  await bus.ensureTopics([definition], { partitions: 3 });
  await bus.connect();

  const writer = new BinaryWriter(); // reused, as the bus reuses its own
  const raw = async (n: number) => {
    const t = performance.now();
    for (let sent = 0; sent < n; sent += BATCH) {
      const messages = Array.from({ length: Math.min(BATCH, n - sent) }, (_, i) => {
        const bytes = InboundMessage.encode(payload, writer).finish();
        return { key: `contact-${(sent + i) % 1000}`, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
      });
      await producer.send({ topic: rawTopic, acks: -1, messages });
    }
    return n / ((performance.now() - t) / 1000);
  };
  const viaBus = async (n: number) => {
    const t = performance.now();
    // Count completions instead of keeping every publish promise: a service does not hold on
    // to its acknowledged events, and 20,000 retained promises (with their resolved metadata)
    // would make every young-generation GC copy them, a cost raw kafkajs's loop never pays.
    let outstanding = 0;
    let failed = 0;
    let wake: (() => void) | undefined;
    const settle = () => {
      outstanding--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    for (let i = 0; i < n; i++) {
      while (outstanding >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
      outstanding++;
      bus.publish(definition, payload, { key: `contact-${i % 1000}`, tenantId: 'bench' }).then(settle, () => {
        failed++;
        settle();
      });
    }
    while (outstanding > 0) await new Promise<void>((resolve) => (wake = resolve));
    if (failed > 0) throw new Error(`${failed} publishes failed`);
    return n / ((performance.now() - t) / 1000);
  };

  await raw(5_000);
  await viaBus(5_000);
  const rawRates: number[] = [];
  const busRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so neither side always runs on a warmer broker.
    if (r % 2 === 0) {
      rawRates.push(await raw(MESSAGES));
      busRates.push(await viaBus(MESSAGES));
    } else {
      busRates.push(await viaBus(MESSAGES));
      rawRates.push(await raw(MESSAGES));
    }
  }
  await producer.disconnect();
  await bus.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const rawMedian = median(rawRates);
  const busMedian = median(busRates);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`bus publish throughput, ${MESSAGES} x ~1 KB per round, ${ROUNDS} rounds, acks=-1`);
  console.log(`  raw kafkajs : ${rawRates.map(fmt).join(', ')} msg/s (median ${fmt(rawMedian)})`);
  console.log(`  event bus   : ${busRates.map(fmt).join(', ')} msg/s (median ${fmt(busMedian)})`);
  // Each round runs raw and bus back to back, so their ratio is taken under the same load; on a
  // shared machine the load drifts between rounds far more than within one.
  const paired = rawRates.map((raw, i) => (busRates[i] ?? 0) / raw);
  console.log(`  per-round ratio bus/raw : ${paired.map((r) => r.toFixed(2)).join(', ')}`);
  console.log(`  ratio of medians = ${(busMedian / rawMedian).toFixed(2)}; median per-round ratio = ${median(paired).toFixed(2)} (target >= 0.90)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
