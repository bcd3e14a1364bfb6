/**
 * Gateway benchmarks, each against a baseline measured in the same run.
 *   npm run bench:gateway [-- --only inbound|outbound] [--connections 50] [--duration 15] [--warmup 3]
 *                         [--patients 1000] [--commands 20000] [--limit 1000] [--concurrency 12] [--drain-limit 110]
 *                         [--kafka own|shared] [--profile]
 * See services/gateway/bench/README.md for what each figure means.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics, type EventDefinition } from '@careloop/contracts';
import { ensureInfra, repoRoot } from '@careloop/testing';
import { GATEWAY_TOPICS } from '../src/service';
import { BenchKafka, ensureTopics, kafkaClient } from './support/kafka';
import { killAllChildren, stopAllChildren } from './support/processes';
import { fmt, sleep, type BenchContext } from './support/context';
import { runInbound, type InboundFigures } from './inbound';
import { runOutbound, type OutboundFigures } from './outbound';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
function number(name: string, fallback: number): number {
  const raw = option(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer (got ${String(raw)})`);
  return value;
}
function choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = option(name) ?? fallback;
  const found = allowed.find((a) => a === raw);
  if (!found) throw new Error(`--${name} must be one of ${allowed.join(', ')} (got ${raw})`);
  return found;
}

const only = choice('only', ['all', 'inbound', 'outbound'], 'all');
const kafkaMode = choice('kafka', ['own', 'shared'], 'own');
const inboundOptions = { connections: number('connections', 50), duration: number('duration', 15), warmup: number('warmup', 3), patients: number('patients', 1_000) };
const commands = number('commands', 20_000);
const limit = number('limit', 1_000);
const outboundOptions = {
  commands,
  limit,
  concurrency: number('concurrency', 12),
  // Four times what the backlog needs at the limit, plus start-up; bounded so that a slow gateway cannot keep the run going.
  drainLimit: number('drain-limit', Math.ceil(Math.max(60, (4 * commands) / limit) + 30)),
};
const profile = process.argv.includes('--profile');

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllChildren(15_000);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the gateway, the simulator and the bench Kafka broker ...`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', killAllChildren);

/** pids of the shared infrastructure's processes, from `infra.sh status`. */
function infraPids(): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = {};
  try {
    const out = execFileSync('bash', [join(repoRoot(), 'deploy', 'local', 'infra.sh'), 'status'], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const m = /^(\w+)\s+running\s+pid=(\d+)/.exec(line.trim());
      if (m?.[1] && m[2]) pids[m[1] === 'mongo' ? 'ferretdb' : m[1]] = Number(m[2]);
    }
  } catch {
    // External infrastructure (KAFKA_BROKERS, MONGODB_URI, REDIS_URL set): no local processes to account.
  }
  return pids;
}

async function main(): Promise<number> {
  const started = Date.now();
  const infra = ensureInfra();
  const pids = infraPids();
  let brokers = infra.KAFKA_BROKERS;
  if (kafkaMode === 'own') {
    console.log('starting a throw-away Kafka broker for this run (see README: the gateway’s consumer groups must not meet other gateways) ...');
    const kafka = await BenchKafka.start();
    cleanups.push(() => kafka.destroy());
    brokers = kafka.brokers;
    pids['kafka'] = kafka.pid();
    // Topics as the run needs them: the outbound commands spread over as many partitions as the gateway handles in parallel.
    await ensureTopics(brokers, [Topics.outboundCommand], outboundOptions.concurrency);
    await ensureTopics(brokers, GATEWAY_TOPICS.filter((d: EventDefinition<unknown>) => d.topic !== Topics.outboundCommand.topic), 3);
    // A first group lookup makes the new broker create __consumer_offsets now, not while the gateway joins its groups.
    const warm = kafkaClient(brokers).admin();
    await warm.connect();
    for (const until = Date.now() + 60_000; ; ) {
      try {
        await warm.fetchOffsets({ groupId: 'gateway-bench-warm-up', topics: [Topics.outboundCommand.topic] });
        break;
      } catch (error) {
        if (Date.now() > until) throw error;
        await sleep(250); // the coordinator is still loading
      }
    }
    await warm.disconnect();
  }
  const ctx: BenchContext = {
    infra,
    brokers,
    kafkaMode,
    infraPids: pids,
    profileDir: profile ? join(tmpdir(), `careloop-gateway-bench-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined,
    defer: (cleanup) => cleanups.push(cleanup),
  };

  const admin = kafkaClient(brokers).admin();
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

main().then(
  async (code) => {
    await cleanUp();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(error);
    await cleanUp();
    process.exit(1);
  },
);
