/**
 * Outbound pacing: a backlog of template commands, published before the
 * gateway starts, drained by the gateway through its pacing layer into the
 * Cloud API simulator with its throughput limit at 1,000/s. Measured at the
 * simulator: sends per second from the first to the last accepted message,
 * against the limit, and how often the simulator answered 130429.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { Channel, OutboundMessageCommand, TemplateComponentType, Topics } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import type { SimulatorOptions, SimulatorStats, TemplateDefinition } from '@careloop/cloud-api-simulator';
import { connectRedis, redisKeyPrefix } from '@careloop/store';
import { Pacer } from '../src/adapters/pacer';
import { gatewaySettings } from '../src/config';
import { SendClock } from '../src/adapters/send-clock';
import { WhatsappAdapter } from '../src/channels/whatsapp/adapter';
import { deriveSendLimits, SLOT_LATENESS_MS } from '../src/use-cases/send-outbound-command';
import { BenchChild, CpuMeter, formatNumber as fmt, kafkaClient, MetricsSnapshot, sleep } from '@careloop/testing';
import { gatewayEnv, newGatewayRun, profileEnv, type BenchContext, type GatewayRun } from './support/context';
import { BENCH_CLIENT_ID, recordsBetween, topicOffsets } from './support/kafka';
import { cleanUpRun } from './support/stores';
import { collectDiagnostics, startDiagnostics } from './support/diagnostics';

export interface OutboundOptions {
  /** Commands in the backlog. */
  readonly commands: number;
  /** The simulator's throughput limit and the gateway's WHATSAPP_THROUGHPUT_PER_SECOND. */
  readonly limit: number;
  /** OUTBOUND_CONCURRENCY: partitions of messaging.outbound-command.v1 handled in parallel. */
  readonly concurrency: number;
  /** OUTBOUND_KEY_CONCURRENCY: recipients of one partition sent to in parallel. */
  readonly keyConcurrency: number;
  /** Seconds the gateway gets to drain the backlog before the benchmark stops waiting. */
  readonly drainLimit: number;
  /** SEND_CLOCK_NICE for the gateway (undefined: its default). */
  readonly sendClockNice?: number | undefined;
}

export interface PacingFigures {
  /** Pacer admission test: tokens granted in the busiest sliding second. */
  readonly admittedInBusiestSecond: number;
  /** The pacing layer alone (Pacer + adapter, no Kafka/MongoDB). */
  readonly sendsPerSec: number;
  readonly throttled: number;
}

export interface OutboundFigures {
  readonly pacing: PacingFigures;
  readonly sent: number;
  readonly sendsPerSec: number;
  readonly ratio: number;
  readonly throttled: number;
  readonly seconds: number;
  readonly partitions: number;
  readonly correct: boolean;
  /** Whether the whole backlog was sent before the time limit. */
  readonly complete: boolean;
}

const TEMPLATE: TemplateDefinition = {
  name: 'appointment_reminder',
  language: 'es',
  category: 'utility',
  body: 'Recordatorio: su cita es el {{1}}. Responda para confirmar o cancelar.',
  buttons: [{ type: 'quick_reply', text: 'Confirmar' }, { type: 'quick_reply', text: 'Cancelar' }],
};
const SLOTS = ['lunes 08:15', 'martes 09:30', 'miércoles 11:45', 'jueves 16:00', 'viernes 12:20'];

/** Most sends the simulator accepted within any 1-second sliding window (its own throughput rule). */
function busiestSecond(times: readonly number[]): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[start] ?? 0) <= (times[end] ?? 0) - 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** A template command to the i-th patient of the backlog (a different patient each time: no per-person pacing in the way). */
function templateCommand(endpointId: string, i: number): OutboundMessageCommand {
  const to = `49151${String(10_000_000 + i).padStart(8, '0')}`;
  return OutboundMessageCommand.fromPartial({
    commandId: randomUUID(),
    from: { channel: Channel.CHANNEL_WHATSAPP, endpointId },
    to: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: to },
    requestedBy: 'reminders',
    contactId: `contact-${i}`,
    content: {
      $case: 'template',
      value: {
        name: TEMPLATE.name,
        languageCode: TEMPLATE.language,
        components: [{ type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: [{ value: { $case: 'text', value: SLOTS[i % SLOTS.length] ?? '' }, parameterName: '' }] }],
      },
    },
  });
}

async function publishBacklog(ctx: BenchContext, tenantId: string, endpointId: string, count: number): Promise<number> {
  const bus = new KafkaEventBus({ brokers: ctx.brokers.split(','), service: 'gateway-bench-skill' });
  const started = performance.now();
  try {
    await bus.connect();
    let outstanding = 0;
    let wake: (() => void) | undefined;
    const done: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      if (outstanding >= 1_000) await new Promise<void>((resolve) => (wake = resolve));
      const command = templateCommand(endpointId, i);
      const to = command.to?.channelUserId ?? '';
      outstanding++;
      done.push(
        bus.publish(Topics.outboundCommand, command, { key: `whatsapp:${to}`, tenantId, facilityId: 'bench-facility' }).finally(() => {
          outstanding--;
          wake?.();
          wake = undefined;
        }),
      );
    }
    await Promise.all(done);
  } finally {
    await bus.close();
  }
  return (performance.now() - started) / 1000;
}

interface SimulatorReport {
  readonly stats: SimulatorStats;
  readonly sent: readonly { readonly phoneNumberId: string; readonly userKey: string; readonly acceptedAt: number }[];
  /** When each 130429 was answered. */
  readonly throttledAt: readonly number[];
  /** How late the simulator's event loop ran over its life (its stalls bunch the stamps it counts). */
  readonly loopLagMs: { readonly p99: number; readonly max: number };
  /** Its GC pauses over its life. */
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
}
const isAcceptedReply = (m: unknown): m is { type: 'sim-accepted'; accepted: number } => (m as { type?: unknown } | null)?.type === 'sim-accepted';
const isReport = (m: unknown): m is { type: 'sim-report' } & SimulatorReport => (m as { type?: unknown } | null)?.type === 'sim-report';

/**
 * Meta's servers do not share the gateway's two cores. The simulator stamps a send when its event loop
 * reads it and counts a sliding second of stamps, so a stall while the OS runs the gateway, Kafka or
 * FerretDB bunches its stamps, and bunched stamps read as a burst the gateway never sent. A higher CPU
 * priority (root only) keeps its clock closer to a remote server's.
 */
const SIMULATOR_PRIORITY = -10;
let priorityWarned = false;

/**
 * The Cloud API simulator for one run's business number (`limit` sends per second, no pair limit, the
 * template), in its own process: see support/simulator-child.ts.
 */
class RunSimulator {
  private constructor(
    private readonly child: BenchChild,
    readonly url: string,
  ) {}

  static async start(run: GatewayRun, displayPhoneNumber: string, limit: number): Promise<RunSimulator> {
    const options: SimulatorOptions = {
      appSecret: run.appSecret,
      accessToken: run.accessToken,
      verifyToken: run.verifyToken,
      phoneNumbers: [{ id: run.endpointId, displayPhoneNumber }],
      throughputPerSecond: limit,
      pairRateLimit: false,
      templates: [TEMPLATE],
    };
    const { child, ready } = await BenchChild.fork('simulator', join(__dirname, 'support', 'simulator-child.ts'), { BENCH_SIM_OPTIONS: JSON.stringify(options) });
    if (child.pid !== undefined) {
      try {
        // Every thread, not only the main one (a pid's nice value is its main thread's): V8's GC
        // helpers, which the main thread waits for, run on threads of their own.
        for (const tid of threadsOf(child.pid)) setPriority(tid, SIMULATOR_PRIORITY);
      } catch {
        if (!priorityWarned) console.log(`  (could not raise the simulator's CPU priority to ${SIMULATOR_PRIORITY}: not root; its stalls then count as the gateway's jitter)`);
        priorityWarned = true;
      }
    }
    return new RunSimulator(child, `http://127.0.0.1:${ready.httpPort}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async acceptedMessages(): Promise<number> {
    return (await this.child.request('accepted', isAcceptedReply))?.accepted ?? 0;
  }

  async report(): Promise<SimulatorReport> {
    const report = await this.child.request('report', isReport, 30_000);
    if (!report) throw new Error('the simulator did not report its sends');
    return report;
  }

  close(): Promise<void> {
    return this.child.stop(5_000);
  }
}

/** The send clock's priority for the run: the option, else the service's own default. */
function sendClockNice(options: OutboundOptions): number {
  return options.sendClockNice ?? gatewaySettings.shape.SEND_CLOCK_NICE.parse(undefined);
}

/** The task ids of a process's threads (Linux); just the pid where /proc cannot tell. */
function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => Number.isInteger(tid) && tid > 0);
  } catch {
    return [pid];
  }
}

function throttledSeconds(at: readonly number[], first: number): string {
  const bySecond = new Map<number, number>();
  for (const t of at) {
    const second = Math.floor((t - first) / 1000);
    bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
  }
  return [...bySecond].sort(([a], [b]) => a - b).map(([s, n]) => `${s}s x${n}`).join(', ');
}

/** What the simulator saw from one business number: send rate from the first to the last acceptance, throttling. */
async function atSimulator(simulator: RunSimulator, endpointId: string) {
  const { stats, sent: all, throttledAt, loopLagMs, gc } = await simulator.report();
  const sent = all.filter((m) => m.phoneNumberId === endpointId);
  const times = sent.map((m) => m.acceptedAt).sort((a, b) => a - b);
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  const seconds = (last - first) / 1000;
  const lo = Math.floor(times.length * 0.1);
  const hi = Math.floor(times.length * 0.9);
  const spanMiddle = ((times[hi] ?? 0) - (times[lo] ?? 0)) / 1000;
  return {
    sent: times.length,
    first,
    last,
    seconds,
    sendsPerSec: times.length > 1 && seconds > 0 ? (times.length - 1) / seconds : 0,
    /** The middle 80% of the sends: the steady state, without start and end effects. */
    steadyPerSec: spanMiddle > 0 ? (hi - lo) / spanMiddle : 0,
    busiestSecond: busiestSecond(times),
    recipients: new Set(sent.map((m) => m.userKey)).size,
    throttled: stats.errorsByCode['130429'] ?? 0,
    /** Seconds after the first acceptance at which 130429s were answered, with their counts ("3s x12"). */
    throttledWhen: throttledSeconds(throttledAt, first),
    otherErrors: Object.entries(stats.errorsByCode).filter(([code]) => code !== '130429'),
    loopLagMs,
    gc,
  };
}

/**
 * The pacing layer alone: the gateway's own Pacer (GCRA in Redis, limits
 * computed as src/service.ts computes them) and WhatsApp adapter, driven by
 * `concurrency` workers in this process — no Kafka, no MongoDB. What the
 * gateway could reach if everything around the send were free.
 */
async function pacingLayerOnly(ctx: BenchContext, options: OutboundOptions, count: number): Promise<PacingFigures> {
  const run = newGatewayRun('pacing');
  const sim = await RunSimulator.start(run, '+34 910 000 002', options.limit);
  const redis = await connectRedis({ url: ctx.infra.REDIS_URL, keyPrefix: redisKeyPrefix('gateway') });
  // The gateway's send clock as it runs in the service, at the run's SEND_CLOCK_NICE.
  const clock = new SendClock(undefined, { nice: sendClockNice(options) });
  await clock.start();
  try {
    const pacer = new Pacer(redis);
    const adapter = new WhatsappAdapter({ appSecrets: [run.appSecret], verifyToken: run.verifyToken, accessToken: run.accessToken, graphBaseUrl: sim.url, apiVersion: 'v23.0', sendTimeoutMs: 10_000, transport: clock });
    // As src/service.ts derives them from WHATSAPP_THROUGHPUT_PER_SECOND, the default headroom (0.97) and the default pair limits.
    const { perNumber, perPair } = deriveSendLimits({ throughputPerSecond: options.limit, headroom: 0.97, pairPerMinute: 10, pairBurst: 20, pairBurstWindowMs: 5_000 });

    // How many sends the pacer itself admits in the busiest sliding second when asked far faster than the limit
    // (Meta and the simulator count a rolling second: above the limit there means 130429).
    const admissionKey = `pace:number:${run.endpointId}-admission`;
    const granted: number[] = [];
    const target = Math.round(perNumber.perSecond * 2.5);
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (granted.length < target) {
          const wait = (await pacer.reserve(admissionKey, perNumber)) ?? 0;
          await sleep(wait);
          granted.push(Date.now());
        }
      }),
    );
    granted.sort((a, b) => a - b);
    const admitted = busiestSecond(granted);
    console.log(
      `  pacer admission: ${fmt(granted.length)} tokens asked for by 32 concurrent callers: busiest 1-s window ${fmt(admitted)} ` +
        `(limit ${fmt(options.limit)}; should be at most ${fmt(perNumber.perSecond + perNumber.burst)}: ${fmt(perNumber.perSecond)}/s plus a burst of ${perNumber.burst})` +
        (admitted > options.limit ? ' → the pacer lets more through than the limit when asked faster than its rate (see README)' : ''),
    );
    await redis.del(admissionKey);

    let next = 0;
    const worker = async () => {
      while (next < count) {
        const command = templateCommand(run.endpointId, next++);
        const content = command.content;
        if (!content) return;
        for (let attempt = 1; attempt <= 6; attempt++) {
          // In the gateway's order: the person's limit, then the number's next slot, sent at the slot by the
          // send clock (a slot missed by more than the gateway's allowance is given up for the next free one).
          await pacer.acquire(`pace:pair-burst:${run.endpointId}:${command.to?.channelUserId ?? ''}`, perPair);
          let outcome;
          do {
            const at = (await pacer.reserveAt(`pace:number:${run.endpointId}`, perNumber)) ?? Date.now();
            outcome = await adapter.send(command, content, { at, maxLatenessMs: SLOT_LATENESS_MS });
          } while (outcome.kind === 'slot_missed');
          if (outcome.kind === 'accepted' || outcome.retry !== 'throttled') break;
          await sleep(500 * 2 ** (attempt - 1)); // the gateway's retry policy: 500 ms, doubling
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const at = await atSimulator(sim, run.endpointId);
    console.log(
      `  (i) pacing layer alone (the gateway's Pacer + WhatsApp adapter, ${options.concurrency} workers in the bench process, no Kafka/MongoDB): ` +
        `${fmt(at.sent)} sends in ${fmt(at.seconds, 2)} s = ${fmt(at.sendsPerSec)}/s, ratio ${(at.sendsPerSec / options.limit).toFixed(3)}; middle 80%: ${fmt(at.steadyPerSec)}/s; ` +
        `130429 responses: ${fmt(at.throttled)}; busiest 1-s window: ${fmt(at.busiestSecond)} sends`,
    );
    return { admittedInBusiestSecond: admitted, sendsPerSec: at.sendsPerSec, throttled: at.throttled };
  } finally {
    await clock.close();
    redis.disconnect();
    await sim.close();
    await cleanUpRun(ctx.infra, run);
  }
}

export async function runOutbound(ctx: BenchContext, options: OutboundOptions): Promise<OutboundFigures> {
  const run = newGatewayRun('outbound');
  const paced = options.limit * 0.97; // the gateway's default WHATSAPP_THROUGHPUT_HEADROOM
  const admin = kafkaClient(ctx.brokers, BENCH_CLIENT_ID).admin();
  await admin.connect();
  let partitions: number;
  let sim: RunSimulator | undefined;
  let gw: BenchChild | undefined;
  try {
    partitions = (await admin.fetchTopicOffsets(Topics.outboundCommand.topic)).length;
    console.log(
      `\noutbound pacing: ${fmt(options.commands)} template commands to distinct recipients, published before the gateway starts; simulator limit ${fmt(options.limit)}/s ` +
        `(WHATSAPP_THROUGHPUT_PER_SECOND=${options.limit}, paced at ${fmt(paced)}/s with the default 0.97 headroom); OUTBOUND_CONCURRENCY=${options.concurrency}, OUTBOUND_KEY_CONCURRENCY=${options.keyConcurrency}, SEND_CLOCK_NICE=${sendClockNice(options)}${options.sendClockNice === undefined ? ' (the default)' : ''}; ` +
        `${Topics.outboundCommand.topic} has ${partitions} partitions${partitions < options.concurrency ? ` (fewer than the concurrency: only ${partitions} run in parallel)` : ''}`,
    );

    const pacing = await pacingLayerOnly(ctx, options, Math.min(options.commands, options.limit * 10));

    sim = await RunSimulator.start(run, '+34 910 000 001', options.limit);
    const simulator = sim;
    ctx.defer(() => simulator.close());

    const resultsBefore = await topicOffsets(admin, Topics.outboundResult.topic);
    const publishSeconds = await publishBacklog(ctx, run.tenantId, run.endpointId, options.commands);
    console.log(`  backlog published in ${fmt(publishSeconds, 1)} s`);

    ctx.defer(() => cleanUpRun(ctx.infra, run));
    const started = await BenchChild.fork(
      'gateway',
      join(__dirname, 'support', 'gateway-child.ts'),
      gatewayEnv(ctx, run, {
        WHATSAPP_GRAPH_BASE_URL: simulator.url,
        WHATSAPP_THROUGHPUT_PER_SECOND: String(options.limit),
        OUTBOUND_CONCURRENCY: String(options.concurrency),
        OUTBOUND_KEY_CONCURRENCY: String(options.keyConcurrency),
        ...(options.sendClockNice === undefined ? {} : { SEND_CLOCK_NICE: String(options.sendClockNice) }),
        KAFKA_TOPIC_PARTITIONS: String(options.concurrency),
        ...profileEnv(ctx, 'outbound'),
      }),
    );
    gw = started.child;
    const readyAt = Date.now();
    const meter = new CpuMeter({ gateway: gw.pid, simulator: simulator.pid, ...ctx.infraPids });
    startDiagnostics(Boolean(ctx.profileDir), gw);

    // Wait for the backlog to drain: done, stalled (nothing accepted for 20 s), or out of time.
    const deadline = readyAt + options.drainLimit * 1000;
    let last = 0;
    let lastProgress = Date.now();
    for (;;) {
      const accepted = await simulator.acceptedMessages();
      if (accepted !== last) {
        last = accepted;
        lastProgress = Date.now();
      }
      if (accepted >= options.commands) break;
      if (Date.now() - lastProgress > 20_000 || Date.now() > deadline) {
        console.log(`  stopped waiting: ${fmt(accepted)} of ${fmt(options.commands)} sent (${Date.now() > deadline ? 'time limit' : 'no progress for 20 s'})`);
        break;
      }
      await sleep(250);
    }
    const cpu = meter.stop('bench');

    const metrics = await MetricsSnapshot.scrape(started.ready.opsPort ?? 0);
    const printDiagnostics = await collectDiagnostics(Boolean(ctx.profileDir), gw, (Date.now() - readyAt) / 1000);
    // Stopping drains: commands in flight finish (and publish their OutboundResult) before the gateway exits.
    await gw.stop();
    const results = recordsBetween(resultsBefore, await topicOffsets(admin, Topics.outboundResult.topic));

    const at = await atSimulator(simulator, run.endpointId);
    const { sendsPerSec, seconds, throttled, otherErrors, recipients } = at;
    const ratio = sendsPerSec / options.limit;

    console.log(
      `  (ii) the gateway: sent ${fmt(at.sent)} in ${fmt(seconds, 2)} s from the first to the last acceptance = ${fmt(sendsPerSec)}/s; ratio to the ${fmt(options.limit)}/s limit = ${ratio.toFixed(3)} ` +
        `(target >= 0.95: ${ratio >= 0.95 ? 'met' : 'NOT met'}); middle 80% of the sends: ${fmt(at.steadyPerSec)}/s`,
    );
    console.log(
      `  130429 (throughput) responses: ${fmt(throttled)}${throttled === 0 ? '' : '  (target: 0)'}; other error responses: ${otherErrors.length ? otherErrors.map(([c, n]) => `${c} x${fmt(n)}`).join(', ') : 'none'}; ` +
        `busiest 1-s window at the simulator: ${fmt(at.busiestSecond)} sends${at.throttledWhen ? `; 130429s by second after the first send: ${at.throttledWhen}` : ''}; ` +
        `simulator event loop lag p99 ${fmt(at.loopLagMs.p99, 1)} ms, max ${fmt(at.loopLagMs.max, 1)} ms (GC: ${fmt(at.gc.count)} pauses, ${fmt(at.gc.totalMs)} ms in all, longest ${fmt(at.gc.maxMs, 1)} ms)`,
    );
    console.log(
      `  total: ${fmt((at.last - readyAt) / 1000, 1)} s from gateway ready to the last send (first send ${fmt((at.first - readyAt) / 1000, 2)} s after ready: consumer group join); ` +
        `OutboundResult events on Kafka: ${fmt(results)}`,
    );
    const handler = MetricsSnapshot.meanBetween(undefined, metrics, 'careloop_bus_handler_duration_seconds', { topic: Topics.outboundCommand.topic });
    const send = MetricsSnapshot.meanBetween(undefined, metrics, 'careloop_gateway_send_duration_seconds');
    const waitNumber = MetricsSnapshot.meanBetween(undefined, metrics, 'careloop_gateway_pacing_wait_seconds', { limit: 'number' });
    const waitPair = MetricsSnapshot.meanBetween(undefined, metrics, 'careloop_gateway_pacing_wait_seconds', { limit: 'pair' });
    const publish = MetricsSnapshot.meanBetween(undefined, metrics, 'careloop_bus_publish_duration_seconds', { topic: Topics.outboundResult.topic });
    if (handler && send && waitNumber && waitPair && publish) {
      const ms = (x: { mean: number }) => fmt(x.mean * 1000, 2);
      const rest = handler.mean - send.mean - waitNumber.mean - waitPair.mean - publish.mean;
      console.log(
        `  per command inside the gateway (its metrics, means over ${fmt(handler.count)} commands): handler ${ms(handler)} ms = pacing wait ${ms(waitNumber)} ms (number) + ${ms(waitPair)} ms (pair) ` +
          `+ Graph API call ${ms(send)} ms + OutboundResult publish ${ms(publish)} ms + the rest (message-log writes, dedupe) ${fmt(rest * 1000, 2)} ms; ` +
          `${options.concurrency} partitions × ${options.keyConcurrency} recipients in parallel → at most ~${fmt((Math.min(options.concurrency, partitions) * options.keyConcurrency) / handler.mean)}/s`,
      );
    }
    console.log(
      `  throughput slots missed (a send late for its slot took a later one): ${fmt(metrics.sum('careloop_gateway_pacing_slots_missed_total'))} (handed to the send clock late: ${fmt(metrics.sum('careloop_gateway_pacing_slots_missed_total', { cause: 'handover' }))}, released late by it: ${fmt(metrics.sum('careloop_gateway_pacing_slots_missed_total', { cause: 'clock' }))}); ` +
        `gateway event loop lag p50 ${fmt(metrics.sum('careloop_nodejs_eventloop_lag_p50_seconds') * 1000, 1)} ms, p99 ${fmt(metrics.sum('careloop_nodejs_eventloop_lag_p99_seconds') * 1000, 1)} ms, max ${fmt(metrics.sum('careloop_nodejs_eventloop_lag_max_seconds') * 1000, 1)} ms`,
    );
    console.log(`  CPU while draining (cores): ${cpu.map((c) => `${c.name} ${c.cores.toFixed(2)}`).join(', ')}`);
    printDiagnostics();

    const complete = at.sent === options.commands;
    // Each send to its own recipient (none twice), no error but throttling, and one OutboundResult per send.
    const correct = recipients === at.sent && otherErrors.length === 0 && results === at.sent;
    console.log(
      `  correctness: ${correct ? 'OK' : 'FAILED'} (${fmt(recipients)} distinct recipients for ${fmt(at.sent)} sends, ${fmt(results)} OutboundResult events` +
        `${complete ? '' : `; the backlog was NOT drained: ${fmt(options.commands - at.sent)} commands left when the time limit hit`})`,
    );
    return { pacing, sent: at.sent, sendsPerSec, ratio, throttled, seconds, partitions, correct, complete };
  } finally {
    await gw?.stop();
    await admin.disconnect().catch(() => undefined);
  }
}
