/**
 * routing's turn latency (inbound event consumed → first outbound command
 * produced) against a minimal consume-and-produce relay on the same topics,
 * in the same run, at the same steady rate from many patients.
 *
 *   npm run bench:routing [-- --rate 300 --warmup 5 --duration 20 --contacts 3000 --think 2
 *                            --answer-timeout 10 --concurrency 12 --seed 1 --only both|relay|routing
 *                            --kafka own|shared --profile --profile-duration 10]
 *
 * See services/routing/bench/README.md for what each figure means.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Topics } from '@careloop/contracts';
import { KafkaEventBus, topicConfigs } from '@careloop/bus';
import {
  BenchArgs,
  ensureInfra,
  ensureTopics,
  formatMs as ms,
  formatMsWithUnit as msUnit,
  formatNumber as fmt,
  kafkaClient,
  localInfraPids,
  newestCpuProfile,
  padCell as pad,
  percentiles,
  processCpuSeconds,
  repoRoot,
  runBench,
  sleep,
  summariseCpuProfile,
  ThrowawayKafka,
  uniqueName,
  warmGroupCoordinator,
  type BenchChild,
  type BenchRun,
  type InfraEnv,
  type Percentiles,
} from '@careloop/testing';
import { BENCH_CLIENT_ID, EnvelopeTap, groupLag, groupMembers, pinGroupToEnd, waitForGroup } from './support/kafka';
import { Patients, probe, runLoad, TurnRegistry, type LoadOptions, type LoadResult, type Turn } from './support/load';
import { SCRIPT, TURN_KINDS, type TurnKind } from './support/script';
import { busDelta, readBusFigures, seedFaq, startRelay, startRouting, type BusFigures, type SubjectOptions } from './support/subjects';
import { TRACE_MARKER, type TraceSnapshot } from './support/trace';
import { ROUTING_TOPICS } from '../src/service';

// ---------------------------------------------------------------- options

const args = new BenchArgs();
const load: LoadOptions = {
  rate: args.positive('rate', 300),
  warmupSeconds: args.positive('warmup', 5),
  durationSeconds: args.positive('duration', 20),
  contacts: args.positive('contacts', 3_000),
  thinkSeconds: args.positive('think', 2, { integer: false }),
  seed: args.positive('seed', 1),
  answerTimeoutMs: args.positive('answer-timeout', 10, { integer: false }) * 1000,
};
const concurrency = args.positive('concurrency', 12);
const only = args.choice('only', ['both', 'relay', 'routing'], 'both');
const kafkaMode = args.choice('kafka', ['own', 'shared'], 'own');
const profile = args.flag('profile');
const profileSeconds = args.positive('profile-duration', 10);
const brokerWarmupSeconds = args.positive('broker-warmup', 10);
const TARGET = 1.5;
const ROUTING_GROUP = 'routing.turns';

// ---------------------------------------------------------------- context

interface Context {
  readonly infra: InfraEnv;
  readonly brokers: string;
  readonly admin: Admin;
  readonly bus: KafkaEventBus;
  readonly tap: EnvelopeTap;
  readonly registry: TurnRegistry;
  readonly pids: { readonly ferretdb: number | undefined; readonly kafka: number | undefined };
  readonly databases: string[];
}

/** routing's group may only be used on a broker where no other routing is in it. */
async function checkRoutingGroup(ctx: Context): Promise<void> {
  if (kafkaMode === 'own') {
    await pinGroupToEnd(ctx.admin, ROUTING_GROUP, Topics.inboundMessage.topic);
    return;
  }
  const members = await groupMembers(ctx.admin, ROUTING_GROUP);
  if (members > 0) {
    throw new Error(
      `${ROUTING_GROUP} has ${members} active member(s) on the shared broker (npm start, an integration test...): the bench's routing would share the partitions with it. Run with --kafka own (the default).`,
    );
  }
  const lag = await groupLag(ctx.admin, ROUTING_GROUP, Topics.inboundMessage.topic);
  if (lag > 0) console.log(`  warning: ${ROUTING_GROUP} has ${fmt(lag)} uncommitted inbound event(s) on the shared broker; routing works through them first (--kafka own avoids this)`);
}

// ---------------------------------------------------------------- one subject

interface KindFigures {
  readonly kind: TurnKind;
  readonly latency: Percentiles;
  readonly answersPerTurn: number;
  readonly expected: number;
}

interface Figures {
  readonly name: string;
  readonly load: LoadResult;
  readonly latency: Percentiles;
  readonly answered: number;
  readonly missing: number;
  readonly wrongAnswerCounts: number;
  readonly byKind: readonly KindFigures[];
  /** CPU cores used during the measured window. */
  readonly cpu: Readonly<Record<string, number | undefined>>;
  readonly bus: BusFigures | undefined;
}

interface Subject {
  readonly name: 'relay' | 'routing';
  readonly tenantId: string;
  readonly group: string;
  /** Outbound commands per turn, if not the script's. */
  readonly fixedAnswers?: number;
  start(): Promise<{ child: BenchChild; opsPort?: number }>;
  prepare?(): Promise<void>;
  /** Extra hooks at the window's edges, and work to do before the child stops. */
  readonly onMeasureStart?: (child: BenchChild) => void;
  readonly onMeasureEnd?: (child: BenchChild) => void;
  readonly beforeLoad?: (child: BenchChild, patients: Patients) => Promise<void>;
}

function latencyOf(turn: Turn): number {
  if (turn.firstAnswerAt === undefined) return Infinity;
  const latency = turn.firstAnswerAt - turn.sentAt;
  return latency <= load.answerTimeoutMs ? latency : Infinity;
}

async function measure(ctx: Context, subject: Subject, options: LoadOptions): Promise<Figures> {
  console.log(`\n${subject.name}: starting (tenant ${subject.tenantId}, consumer group ${subject.group}) ...`);
  const { child, opsPort } = await subject.start();
  try {
    await waitForGroup(ctx.admin, subject.group);
    ctx.tap.watch(subject.tenantId);
    await subject.prepare?.();
    const patients = new Patients(ctx.bus, subject.tenantId);
    // One patient first: does it answer at all (and a first warm-up of its paths).
    for (const step of subject.name === 'routing' ? [0, 1] : [0]) {
      const answered = await probe(patients, ctx.registry, options.contacts + 1, step, 60_000);
      if (answered.firstAnswerAt === undefined) throw new Error(`${subject.name} did not answer a first message within 60 s:\n${child.lastLines()}`);
    }
    await subject.beforeLoad?.(child, patients);
    console.log(`${subject.name}: ready; ${fmt(options.rate)} messages/s for ${fmt(options.warmupSeconds)} s warm-up + ${fmt(options.durationSeconds)} s measured ...`);

    const cpuNow = () => {
      const own = process.cpuUsage();
      return {
        [subject.name]: child.cpuSeconds(),
        kafka: ctx.pids.kafka === undefined ? undefined : processCpuSeconds(ctx.pids.kafka),
        ferretdb: ctx.pids.ferretdb === undefined ? undefined : processCpuSeconds(ctx.pids.ferretdb),
        bench: (own.user + own.system) / 1e6,
      };
    };
    let cpuStart: Record<string, number | undefined> = {};
    let cpuEnd: Record<string, number | undefined> = {};
    let busStart: Promise<BusFigures | undefined> = Promise.resolve(undefined);
    let busEnd: Promise<BusFigures | undefined> = Promise.resolve(undefined);
    const result = await runLoad(patients, ctx.registry, subject.fixedAnswers === undefined ? options : { ...options, fixedAnswers: subject.fixedAnswers }, {
      onMeasureStart: () => {
        cpuStart = cpuNow();
        if (opsPort !== undefined) busStart = readBusFigures(opsPort);
        subject.onMeasureStart?.(child);
      },
      onMeasureEnd: () => {
        cpuEnd = cpuNow();
        if (opsPort !== undefined) busEnd = readBusFigures(opsPort);
        subject.onMeasureEnd?.(child);
      },
    });
    const bus = busDelta(await busStart, await busEnd);

    const cpu: Record<string, number | undefined> = {};
    for (const [k, v] of Object.entries(cpuEnd)) {
      const s = cpuStart[k];
      cpu[k] = v === undefined || s === undefined ? undefined : (v - s) / result.windowSeconds;
    }
    const latencies = result.turns.map(latencyOf);
    const answered = latencies.filter(Number.isFinite).length;
    const byKind = TURN_KINDS.flatMap((kind): KindFigures[] => {
      const turns = result.turns.filter((t) => t.kind === kind);
      if (turns.length === 0) return [];
      const done = turns.filter((t) => t.firstAnswerAt !== undefined);
      return [{ kind, latency: percentiles(turns.map(latencyOf)), answersPerTurn: done.reduce((a, t) => a + t.answers, 0) / Math.max(1, done.length), expected: turns[0]?.expected ?? 0 }];
    });
    return {
      name: subject.name,
      load: result,
      latency: percentiles(latencies),
      answered,
      missing: result.turns.length - answered,
      wrongAnswerCounts: result.turns.filter((t) => t.firstAnswerAt !== undefined && t.answers !== t.expected).length,
      byKind,
      cpu,
      bus,
    };
  } finally {
    await child.stop();
  }
}

function printFigures(f: Figures): void {
  const l = f.latency;
  const t = load.answerTimeoutMs;
  console.log(`\n${f.name}`);
  console.log(
    `  input    ${fmt(f.load.sent)} messages sent (${fmt(f.load.turns.length)} measured over ${fmt(f.load.windowSeconds, 1)} s = ${fmt(f.load.achievedRate, 1)}/s achieved), ${fmt(f.load.contactsUsed)} contacts; ` +
      `sender at most ${fmt(f.load.maxSendLagMs, 1)} ms behind schedule; publish failures ${fmt(f.load.publishFailures)}`,
  );
  console.log(
    `  answers  ${fmt(f.answered)} of ${fmt(f.load.turns.length)} turns answered within ${fmt(t / 1000)} s (${fmt((100 * f.answered) / Math.max(1, f.load.turns.length), 2)}%), missing ${fmt(f.missing)}; ` +
      `turns with an unexpected number of answers ${fmt(f.wrongAnswerCounts)}`,
  );
  console.log(`  latency  p50 ${msUnit(l.p50, t)}   p90 ${msUnit(l.p90, t)}   p99 ${msUnit(l.p99, t)}   max ${msUnit(l.max, t)}   (mean of the answered ${msUnit(l.mean, t)})`);
  const cores = Object.entries(f.cpu)
    .map(([k, v]) => `${k} ${v === undefined ? '?' : fmt(v, 2)}`)
    .join(', ');
  console.log(`  CPU      cores used in the window: ${cores}${f.cpu['ferretdb'] !== undefined ? ' (FerretDB is shared: anyone else’s load counts too)' : ''}`);
  if (f.bus && f.bus.turnsProcessed > 0) {
    const b = f.bus;
    console.log(
      `  inside   ${fmt(b.turnsProcessed)} turns handled in the window (${fmt(b.turnsProcessed / f.load.windowSeconds, 1)}/s); handler time mean ${fmt((1000 * b.handlerSeconds) / b.turnsProcessed, 1)} ms per turn; ` +
        `publish → Kafka ack mean ${fmt((1000 * b.allPublishSeconds) / Math.max(1, b.allPublished), 1)} ms (${fmt(b.allPublished / b.turnsProcessed, 2)} events per turn)`,
    );
  }
  if (f.name === 'routing') {
    console.log(`  by kind  ${pad('kind', 17)}${pad('turns', 7, true)}${pad('p50', 9, true)}${pad('p90', 9, true)}${pad('p99', 9, true)}${pad('max', 9, true)}  answers/turn (expected)  what routing does`);
    for (const k of f.byKind) {
      const what = SCRIPT.find((s) => s.kind === k.kind)?.what ?? '';
      console.log(
        `           ${pad(k.kind, 17)}${pad(fmt(k.latency.count), 7, true)}${pad(ms(k.latency.p50, t), 9, true)}${pad(ms(k.latency.p90, t), 9, true)}${pad(ms(k.latency.p99, t), 9, true)}${pad(ms(k.latency.max, t), 9, true)}  ${pad(`${fmt(k.answersPerTurn, 2)} (${k.expected})`, 23)}  ${what}`,
      );
    }
  }
}

// ---------------------------------------------------------------- subjects

function relaySubject(ctx: Context): Subject {
  const group = uniqueName('routing-bench-relay');
  return {
    name: 'relay',
    tenantId: uniqueName('bench-relay'),
    group,
    fixedAnswers: 1,
    start: async () => {
      await pinGroupToEnd(ctx.admin, group, Topics.inboundMessage.topic);
      return { child: startRelay(ctx.brokers, group, concurrency) };
    },
  };
}

function routingSubject(ctx: Context, extra: Partial<Pick<Subject, 'onMeasureStart' | 'onMeasureEnd' | 'beforeLoad'>> & Pick<SubjectOptions, 'nodeArgs' | 'onMarked'> = {}): Subject {
  const tenantId = uniqueName('bench-routing');
  const database = uniqueName('routing_bench').replace(/-/g, '_');
  let httpPort = 0;
  return {
    name: 'routing',
    tenantId,
    group: ROUTING_GROUP,
    start: async () => {
      await checkRoutingGroup(ctx);
      ctx.databases.push(database);
      const started = await startRouting(ctx.infra, ctx.brokers, { tenantId, database, concurrency }, {
        ...(extra.nodeArgs ? { nodeArgs: extra.nodeArgs } : {}),
        ...(extra.onMarked ? { marker: TRACE_MARKER, onMarked: extra.onMarked } : {}),
      });
      httpPort = started.httpPort;
      return { child: started.child, opsPort: started.opsPort };
    },
    prepare: () => seedFaq(httpPort, tenantId),
    ...(extra.onMeasureStart ? { onMeasureStart: extra.onMeasureStart } : {}),
    ...(extra.onMeasureEnd ? { onMeasureEnd: extra.onMeasureEnd } : {}),
    ...(extra.beforeLoad ? { beforeLoad: extra.beforeLoad } : {}),
  };
}

// ---------------------------------------------------------------- profiling run

const IGNORED_COMMANDS = new Set(['ping', 'hello', 'ismaster', 'isMaster', 'endSessions', 'distinct']);

async function profileRouting(ctx: Context): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-routing-bench-profile-'));
  const waiters: ((snapshot: TraceSnapshot) => void)[] = [];
  const snapshot = (child: BenchChild) =>
    new Promise<TraceSnapshot | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 10_000);
      waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      child.signal('SIGUSR2');
    });
  let windowStart: Promise<TraceSnapshot | undefined> = Promise.resolve(undefined);
  let windowEnd: Promise<TraceSnapshot | undefined> = Promise.resolve(undefined);
  const census: { turn: Turn; snapshot: TraceSnapshot | undefined }[] = [];

  const subject = routingSubject(ctx, {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--require', join(repoRoot(), 'services', 'routing', 'bench', 'support', 'mongo-trace.ts')],
    onMarked: (payload) => waiters.shift()?.(JSON.parse(payload) as TraceSnapshot),
    onMeasureStart: (child) => {
      windowStart = snapshot(child);
    },
    onMeasureEnd: (child) => {
      windowEnd = snapshot(child);
    },
    beforeLoad: async (child, patients) => {
      // One new patient through the whole script, one turn at a time, before the load: what each kind of turn asks of FerretDB.
      await sleep(1_000); // the probe's last writes
      for (let step = 0; step < SCRIPT.length; step++) {
        await snapshot(child);
        const turn = await probe(patients, ctx.registry, load.contacts + 2, step, 10_000);
        await sleep(500); // the last history record and the dedupe mark come after the last answer
        census.push({ turn, snapshot: await snapshot(child) });
      }
    },
  });
  const figures = await measure(ctx, subject, { ...load, durationSeconds: profileSeconds });
  printFigures({ ...figures, name: 'routing (profiled: --cpu-prof and MongoDB command monitoring on)' });

  const start = await windowStart;
  const end = await windowEnd;
  const turns = figures.bus?.turnsProcessed ?? 0;
  const seconds = figures.load.windowSeconds;
  if (end) {
    const rows = Object.entries(end.counters).filter(([key]) => !IGNORED_COMMANDS.has(key.slice(key.lastIndexOf('.') + 1)));
    const count = rows.reduce((a, [, c]) => a + c.count, 0);
    const time = rows.reduce((a, [, c]) => a + c.totalMs, 0);
    console.log(
      `\n  in the window: ${fmt(turns)} turns handled (${fmt(turns / seconds, 1)}/s); routing's event loop busy ${fmt(100 * end.eventLoopUtilization)}%, event-loop delay p99 ${fmt(end.eventLoopDelayP99Ms, 1)} ms, ` +
        `${fmt(end.cpuSeconds / seconds, 2)} cores`,
    );
    console.log(
      `  MongoDB commands: ${fmt(count / seconds)}/s, mean ${fmt(time / Math.max(1, count), 1)} ms each (driver-measured, FerretDB's queueing included); ` +
        `${fmt(time / 1000 / seconds, 1)} commands in flight on average`,
    );
    console.log(`    ${pad('collection.command', 36)}${pad('per s', 9, true)}${pad('mean ms', 10, true)}${pad('max ms', 10, true)}`);
    for (const [key, c] of rows.sort((a, b) => b[1].count - a[1].count)) {
      console.log(`    ${pad(key, 36)}${pad(fmt(c.count / seconds, 1), 9, true)}${pad(fmt(c.totalMs / c.count, 1), 10, true)}${pad(fmt(c.maxMs), 10, true)}`);
    }
  }

  console.log('\n  one patient, one turn at a time before the load (each MongoDB command: ms from the inbound publish to its start, then its duration in ms):');
  for (const { turn, snapshot: s } of census) {
    const sentWall = performance.timeOrigin + turn.sentAt;
    const firstWall = turn.firstAnswerAt === undefined ? Infinity : performance.timeOrigin + turn.firstAnswerAt;
    const log = (s?.log ?? []).filter((c) => !IGNORED_COMMANDS.has(c.command));
    const before = log.filter((c) => c.at < firstWall).length;
    const dbMs = log.reduce((a, c) => a + c.ms, 0);
    console.log(
      `  ${pad(turn.kind, 17)} ${fmt(log.length)} round trips (${fmt(before)} before the first answer arrived), FerretDB ${fmt(dbMs, 1)} ms; first answer at +${turn.firstAnswerAt === undefined ? '?' : fmt(turn.firstAnswerAt - turn.sentAt, 1)} ms, ${fmt(turn.answers)} answer(s)`,
    );
    console.log(`      ${log.map((c) => `+${fmt(c.at - sentWall, 1)} ${c.collection ?? '-'}.${c.command} ${fmt(c.ms, 1)}`).join(' | ')}`);
  }

  const file = newestCpuProfile(dir);
  if (!file) {
    console.log(`\n  no CPU profile was written in ${dir}`);
    return;
  }
  const summary = summariseCpuProfile(file, start && end ? { window: { fromUs: start.hrtimeUs, toUs: end.hrtimeUs } } : {});
  const busy = summary.busyMs;
  const areas = summary.areas.filter((a) => a.selfMs > 0).slice(0, 12);
  console.log(`\n  CPU profile ${summary.file}${summary.wholeProfile ? ' (whole process: the window could not be applied)' : ' (measured window only)'}: ${fmt(busy)} ms busy of ${fmt(summary.totalMs)} ms sampled`);
  console.log(`  self time by area: ${areas.map((a) => `${a.area} ${fmt((100 * a.selfMs) / busy, 1)}%`).join(', ')}`);
  console.log(`  top self-time functions (% of busy time):`);
  for (const f of summary.functions) console.log(`    ${pad(fmt((100 * f.selfMs) / busy, 1), 5, true)}%  ${pad(f.name, 34)} ${pad(f.area, 26)} ${f.where}`);
}

// ---------------------------------------------------------------- main

async function main(run: BenchRun): Promise<number> {
  const started = Date.now();
  const infra = ensureInfra();
  let brokers = infra.KAFKA_BROKERS;
  let kafkaPid: number | undefined;
  if (kafkaMode === 'own') {
    console.log('starting a throw-away Kafka broker for this run (routing’s consumer group must not meet any other routing: see README) ...');
    const kafka = await ThrowawayKafka.start({ dirPrefix: 'careloop-routing-bench-kafka-', startTimeoutSeconds: 120, sweepOrphans: true });
    run.defer(() => kafka.destroy());
    brokers = kafka.brokers;
    kafkaPid = kafka.pid();
  }
  // All of routing's topics, with their definitions' partition counts, before routing starts (it would create them itself, then wait for their leaders).
  await ensureTopics(brokers, topicConfigs(ROUTING_TOPICS), { clientId: BENCH_CLIENT_ID });
  const admin = kafkaClient(brokers, BENCH_CLIENT_ID).admin();
  await admin.connect();
  run.defer(() => admin.disconnect());
  await warmGroupCoordinator(admin, Topics.inboundMessage.topic, 'routing-bench-warm-up');

  const bus = new KafkaEventBus({ brokers: brokers.split(','), service: 'gateway-double' });
  await bus.connect();
  run.defer(() => bus.close());
  const registry = new TurnRegistry();
  const tap = await EnvelopeTap.start(brokers, Topics.outboundCommand.topic, (arrival) => registry.arrived(arrival));
  run.defer(() => tap.stop());
  const databases: string[] = [];
  run.defer(async () => {
    if (databases.length === 0) return;
    const client = new MongoClient(infra.MONGODB_URI, { serverSelectionTimeoutMS: 5_000 });
    try {
      await client.connect();
      for (const name of databases) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });
  const ctx: Context = { infra, brokers, admin, bus, tap, registry, pids: { ferretdb: localInfraPids()['ferretdb'], kafka: kafkaPid }, databases };

  const partitions = async (topic: string) => (await admin.fetchTopicOffsets(topic)).length;
  console.log(
    `routing turn latency vs a minimal relay: ${fmt(load.rate)} messages/s, ${fmt(load.warmupSeconds)} s warm-up + ${fmt(load.durationSeconds)} s measured per subject, ` +
      `${fmt(load.contacts)} contacts (≥ ${fmt(load.thinkSeconds, 1)} s between one patient's messages), answer timeout ${fmt(load.answerTimeoutMs / 1000)} s, ` +
      `${fmt(concurrency)} partitions handled concurrently by each subject`,
  );
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2) ?? '?'} at the start (other work on the machine skews every figure), Node ${process.version}; ` +
      `Kafka ${kafkaMode === 'own' ? 'own broker' : 'shared broker'} ${brokers} (${Topics.inboundMessage.topic}: ${await partitions(Topics.inboundMessage.topic)} partitions, ` +
      `${Topics.outboundCommand.topic}: ${await partitions(Topics.outboundCommand.topic)}); FerretDB ${infra.MONGODB_URI}; Redis ${infra.REDIS_URL}`,
  );

  // The first subject's warm-up is longer: a new broker's JVM is still compiling its hot paths.
  const first = kafkaMode === 'own' ? { ...load, warmupSeconds: load.warmupSeconds + brokerWarmupSeconds } : load;
  const relay = only === 'routing' ? undefined : await measure(ctx, relaySubject(ctx), first);
  const routing = only === 'relay' ? undefined : await measure(ctx, routingSubject(ctx), relay ? load : first);
  if (relay) printFigures(relay);
  if (routing) printFigures(routing);
  if (relay && routing) {
    const t = load.answerTimeoutMs;
    // A percentile that falls on missing answers is only known to exceed the timeout: the ratio is then a lower bound.
    const ratio = (a: number, b: number) => {
      if (!Number.isFinite(b) || b <= 0) return { value: NaN, text: 'n/a (the relay missed answers)' };
      if (!Number.isFinite(a)) return { value: Infinity, text: `> ${fmt(t / b)}x (routing's answers missing beyond ${fmt(t / 1000)} s)` };
      return { value: a / b, text: `${(a / b).toFixed(2)}x` };
    };
    const p50 = ratio(routing.latency.p50, relay.latency.p50);
    const p99 = ratio(routing.latency.p99, relay.latency.p99);
    console.log(`\nrouting / relay at ${fmt(load.rate)} messages/s`);
    console.log(`  p50  ${msUnit(routing.latency.p50, t)} / ${msUnit(relay.latency.p50, t)} = ${p50.text}`);
    console.log(`  p99  ${msUnit(routing.latency.p99, t)} / ${msUnit(relay.latency.p99, t)} = ${p99.text}`);
    console.log(`  target ≤ ${TARGET} for both: ${p50.value <= TARGET && p99.value <= TARGET ? 'met' : 'NOT met'}`);
  }
  if (profile && only !== 'relay') {
    console.log(`\nprofiling run: routing again, ${fmt(profileSeconds)} s measured, CPU profile and MongoDB command monitoring on (slower than the run above) ...`);
    await profileRouting(ctx);
  }
  console.log(`\ndone in ${fmt((Date.now() - started) / 1000)} s; load average now ${loadavg()[0]?.toFixed(2) ?? '?'}`);
  return 0;
}

runBench(main, { interruptMessage: 'stopping the children and the bench Kafka broker ...' });
