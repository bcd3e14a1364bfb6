/**
 * Gateway benchmarks, each against a baseline measured in the same run.
 *   npm run bench:gateway [-- --only inbound|outbound] [--connections 50] [--duration 15] [--warmup 3]
 *                         [--patients 1000] [--commands 20000] [--limit 1000] [--concurrency 12] [--key-concurrency 16] [--drain-limit 110] [--send-clock-nice -5]
 *                         [--kafka own|shared] [--profile]
 * See services/gateway/bench/README.md for what each figure means.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics, type EventDefinition } from '@careloop/contracts';
import { topicConfigs } from '@careloop/bus';
import { BenchArgs, ensureInfra, ensureTopics, formatNumber as fmt, kafkaClient, localInfraPids, runBench, ThrowawayKafka, warmGroupCoordinator, type BenchRun } from '@careloop/testing';
import { GATEWAY_TOPICS } from '../src/service';
import { BENCH_CLIENT_ID } from './support/kafka';
import type { BenchContext } from './support/context';
import { runInbound, type InboundFigures } from './inbound';
import { runOutbound, type OutboundFigures } from './outbound';

const args = new BenchArgs();
const only = args.choice('only', ['all', 'inbound', 'outbound'], 'all');
const kafkaMode = args.choice('kafka', ['own', 'shared'], 'own');
const inboundOptions = { connections: args.positive('connections', 50), duration: args.positive('duration', 15), warmup: args.positive('warmup', 3), patients: args.positive('patients', 1_000) };
const commands = args.positive('commands', 20_000);
const limit = args.positive('limit', 1_000);
const outboundOptions = {
  commands,
  limit,
  concurrency: args.positive('concurrency', 12),
  keyConcurrency: args.positive('key-concurrency', 16),
  // The gateway's SEND_CLOCK_NICE (its default -5 when not given): 0 measures the send clock at the process's own priority.
  sendClockNice: sendClockNice(args.value('send-clock-nice')),
  // Four times what the backlog needs at the limit, plus start-up; bounded so that a slow gateway cannot keep the run going.
  drainLimit: args.positive('drain-limit', Math.ceil(Math.max(60, (4 * commands) / limit) + 30)),
};
const profile = args.flag('profile');

function sendClockNice(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const nice = Number(raw);
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new Error(`--send-clock-nice must be an integer from -20 to 19 (got ${raw})`);
  return nice;
}

async function main(run: BenchRun): Promise<number> {
  const started = Date.now();
  const infra = ensureInfra();
  const pids = localInfraPids();
  let brokers = infra.KAFKA_BROKERS;
  if (kafkaMode === 'own') {
    // The gateway's consumer groups have fixed names (gateway.outbound, gateway.message-log): on the shared broker the
    // bench gateway would join those of any other gateway there. Its own broker also gets the partition counts the run asks for.
    console.log('starting a throw-away Kafka broker for this run (see README: the gateway’s consumer groups must not meet other gateways) ...');
    const kafka = await ThrowawayKafka.start({ dirPrefix: 'careloop-gateway-bench-kafka-', startTimeoutSeconds: 120 });
    run.defer(() => kafka.destroy());
    brokers = kafka.brokers;
    pids['kafka'] = kafka.pid();
    // Topics as the run needs them: the outbound commands spread over as many partitions as the gateway handles in parallel.
    // A broker that has just started may still answer "unknown topic" while it creates them: try again for a minute.
    const topics = { clientId: BENCH_CLIENT_ID, retryForMs: 60_000 };
    await ensureTopics(brokers, topicConfigs([Topics.outboundCommand], { partitions: outboundOptions.concurrency }), topics);
    await ensureTopics(brokers, topicConfigs(GATEWAY_TOPICS.filter((d: EventDefinition<unknown>) => d.topic !== Topics.outboundCommand.topic), { partitions: 3 }), topics);
    const warm = kafkaClient(brokers, BENCH_CLIENT_ID).admin();
    await warm.connect();
    await warmGroupCoordinator(warm, Topics.outboundCommand.topic, 'gateway-bench-warm-up');
    await warm.disconnect();
  }
  const ctx: BenchContext = {
    infra,
    brokers,
    kafkaMode,
    infraPids: pids,
    profileDir: profile ? join(tmpdir(), `careloop-gateway-bench-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined,
    defer: (cleanup) => run.defer(cleanup),
  };

  const admin = kafkaClient(brokers, BENCH_CLIENT_ID).admin();
  await admin.connect();
  const partitions = async (d: EventDefinition<unknown>) => (await admin.fetchTopicOffsets(d.topic).catch(() => [])).length;
  console.log(
    `gateway benchmarks: ${cpus().length} cores (load average ${loadavg()[0]?.toFixed(2) ?? '?'} at the start: other work on the machine skews every figure), Node ${process.version}; Kafka ${kafkaMode === 'own' ? `own broker ${brokers}` : `shared broker ${brokers}`} ` +
      `(${Topics.inboundMessage.topic}: ${await partitions(Topics.inboundMessage)} partitions, ${Topics.outboundCommand.topic}: ${await partitions(Topics.outboundCommand)}); ` +
      `FerretDB ${infra.MONGODB_URI}; Redis ${infra.REDIS_URL}${ctx.profileDir ? `; CPU profiles in ${ctx.profileDir}` : ''}`,
  );
  await admin.disconnect();

  let inbound: InboundFigures | undefined;
  let outbound: OutboundFigures | undefined;
  if (only !== 'outbound') inbound = await runInbound(ctx, inboundOptions);
  if (only !== 'inbound') outbound = await runOutbound(ctx, outboundOptions);

  console.log(`\nsummary (${fmt((Date.now() - started) / 1000)} s; load average now ${loadavg()[0]?.toFixed(2) ?? '?'})`);
  if (inbound) {
    const { gateway: a, baseline: b } = inbound;
    console.log(
      `  inbound : gateway ${fmt(a.reqPerSec)} req/s (p50 ${fmt(a.p50Ms, 1)} ms, p99 ${fmt(a.p99Ms, 1)} ms) / bare node:http ${fmt(b.reqPerSec)} req/s (p50 ${fmt(b.p50Ms, 1)} ms, p99 ${fmt(b.p99Ms, 1)} ms) ` +
        `= ${inbound.ratio.toFixed(3)} (target >= 0.50: ${inbound.ratio >= 0.5 ? 'met' : 'NOT met'}); correctness ${inbound.correct ? 'OK' : 'FAILED'}`,
    );
  }
  if (outbound) {
    console.log(
      `  outbound: ${fmt(outbound.sendsPerSec)} sends/s / ${fmt(outboundOptions.limit)}/s limit = ${outbound.ratio.toFixed(3)} (target >= 0.95: ${outbound.ratio >= 0.95 ? 'met' : 'NOT met'}); ` +
        `130429 responses: ${fmt(outbound.throttled)} (target 0); ${fmt(outbound.sent)} sent in ${fmt(outbound.seconds, 1)} s over ${outbound.partitions} partitions${outbound.complete ? '' : ` (backlog of ${fmt(outboundOptions.commands)} NOT drained in time)`}; correctness ${outbound.correct ? 'OK' : 'FAILED'}`,
    );
    const { pacing } = outbound;
    console.log(
      `            pacing layer alone ${fmt(pacing.sendsPerSec)} sends/s = ${(pacing.sendsPerSec / outboundOptions.limit).toFixed(3)}, 130429 responses: ${fmt(pacing.throttled)}; ` +
        `pacer admitted ${fmt(pacing.admittedInBusiestSecond)} in its busiest second (limit ${fmt(outboundOptions.limit)})`,
    );
  }
  return (inbound && !inbound.correct) || (outbound && !outbound.correct) ? 1 : 0;
}

runBench(main, { interruptMessage: 'stopping the gateway, the simulator and the bench Kafka broker ...' });
