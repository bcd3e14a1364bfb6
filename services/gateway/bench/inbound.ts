/**
 * Inbound webhooks: the real gateway (durable Kafka publish before the 200)
 * against a bare node:http server that reads the body and answers 200, both
 * in a child process, loaded by autocannon from this process with the same
 * settings and the same kind of bodies: distinct signed WhatsApp webhooks.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Topics } from '@careloop/contracts';
import { BenchChild, CpuMeter, formatNumber as fmt, kafkaClient, MetricsSnapshot, sleep } from '@careloop/testing';
import { gatewayEnv, newGatewayRun, profileEnv, type BenchContext } from './support/context';
import { BENCH_CLIENT_ID, countEvents, recordsBetween, topicOffsets } from './support/kafka';
import { cleanUpRun } from './support/stores';
import { collectDiagnostics, startDiagnostics } from './support/diagnostics';
import { WebhookFactory } from './support/webhooks';

export interface InboundOptions {
  readonly connections: number;
  /** Seconds measured. */
  readonly duration: number;
  /** Seconds of load before measuring (JIT, connection pools, Kafka metadata). */
  readonly warmup: number;
  /** Distinct senders rotated through. */
  readonly patients: number;
}

export interface LoadFigures {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly completed: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly cpu: readonly { name: string; cores: number }[];
  /** Responses completed in each second of the measurement. */
  readonly perSecond: readonly number[];
}

export interface InboundFigures {
  readonly baseline: LoadFigures;
  readonly gateway: LoadFigures;
  readonly ratio: number;
  readonly correct: boolean;
}

const PATH = '/webhooks/whatsapp';
const CHILDREN = join(__dirname, 'support');

async function load(url: string, factory: WebhookFactory, options: InboundOptions, seconds: number): Promise<{ result: autocannon.Result; perSecond: number[] }> {
  const instance = autocannon({
    url,
    connections: options.connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: PATH,
        // A new message (new wamid, next sender) and its signature for every request.
        setupRequest: (request) => {
          const webhook = factory.next();
          return { ...request, body: webhook.body, headers: { ...request.headers, 'content-type': 'application/json', 'x-hub-signature-256': webhook.signature } };
        },
      },
    ],
  });
  const perSecond: number[] = [];
  instance.on('tick', (tick: { counter: number }) => perSecond.push(tick.counter));
  return { result: await instance, perSecond };
}

function figures({ result, perSecond }: { result: autocannon.Result; perSecond: number[] }, cpu: readonly { name: string; cores: number }[]): LoadFigures {
  return {
    perSecond,
    reqPerSec: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    cpu,
  };
}

function printLoad(name: string, f: LoadFigures): void {
  const codes = Object.entries(f.statusCodes).map(([c, n]) => `${c}: ${fmt(n)}`).join(', ');
  console.log(`  ${name.padEnd(20)} ${fmt(f.reqPerSec).padStart(8)} req/s   p50 ${fmt(f.p50Ms, 1).padStart(6)} ms   p99 ${fmt(f.p99Ms, 1).padStart(6)} ms   ${fmt(f.completed)} responses in ${fmt(f.seconds, 1)} s (${codes || 'none'}), non-2xx ${fmt(f.non2xx)}, errors ${fmt(f.errors)}, timeouts ${fmt(f.timeouts)}`);
  console.log(`  ${''.padEnd(20)} responses per second: ${f.perSecond.map((n) => fmt(n)).join(' ')}`);
  console.log(`  ${''.padEnd(20)} CPU (cores): ${f.cpu.map((c) => `${c.name} ${c.cores.toFixed(2)}`).join(', ')}`);
}

/** Waits (30 s at most) until the gateway has answered `requests` webhooks in all, by its own count. */
async function answeredAll(opsPort: number, requests: number): Promise<void> {
  const until = Date.now() + 30_000;
  let answered = 0;
  while (Date.now() < until) {
    answered = (await MetricsSnapshot.scrape(opsPort)).sum('careloop_gateway_webhooks_total');
    if (answered >= requests) return;
    await sleep(200);
  }
  console.log(`  (the gateway answered ${fmt(answered)} of the ${fmt(requests)} requests written within 30 s of the end of the load; figures below may be off by the rest)`);
}

export async function runInbound(ctx: BenchContext, options: InboundOptions): Promise<InboundFigures> {
  const run = newGatewayRun('inbound');
  const factory = new WebhookFactory({ appSecret: run.appSecret, phoneNumberId: run.endpointId, displayPhoneNumber: run.displayPhoneNumber, wabaId: '102290129340398', patients: options.patients });
  const sample = factory.next();
  console.log(
    `\ninbound webhooks: ${options.connections} connections, no pipelining, ${options.warmup} s warm-up + ${options.duration} s measured per target; ` +
      `distinct signed WhatsApp text webhooks (~${sample.body.length} B, ${options.patients} senders)`,
  );

  // (b) the baseline first, on a machine not yet busy with what the gateway's run leaves behind (Kafka log flushes, FerretDB).
  const { child: bare, ready: bareReady } = await BenchChild.fork('baseline', join(CHILDREN, 'baseline-child.ts'), {});
  let baseline: LoadFigures;
  try {
    const url = `http://127.0.0.1:${bareReady.httpPort}`;
    await load(url, factory, options, options.warmup);
    const meter = new CpuMeter({ 'baseline server': bare.pid });
    const result = await load(url, factory, options, options.duration);
    baseline = figures(result, meter.stop('bench (autocannon)'));
  } finally {
    await bare.stop();
  }
  printLoad('(b) bare node:http', baseline);

  // (a) the gateway, publishing every message to Kafka (acks=all) before it answers.
  ctx.defer(() => cleanUpRun(ctx.infra, run));
  const { child: gw, ready } = await BenchChild.fork('gateway', join(CHILDREN, 'gateway-child.ts'), gatewayEnv(ctx, run, profileEnv(ctx, 'inbound')));
  const admin = kafkaClient(ctx.brokers, BENCH_CLIENT_ID).admin();
  let gateway: LoadFigures;
  let published: number;
  let accepted: number;
  let duplicates: number;
  let from: Map<number, bigint>;
  let to: Map<number, bigint>;
  let after: MetricsSnapshot;
  let before: MetricsSnapshot;
  let printDiagnostics: () => void;
  try {
    await admin.connect();
    const url = `http://127.0.0.1:${ready.httpPort}`;
    const opsPort = ready.opsPort ?? 0;
    const warm = await load(url, factory, options, options.warmup);
    // Requests autocannon wrote are still being handled after it stops: wait until the gateway answered all of them.
    let written = warm.result.requests.sent ?? warm.result.requests.total;
    await answeredAll(opsPort, written);
    from = await topicOffsets(admin, Topics.inboundMessage.topic);
    before = await MetricsSnapshot.scrape(opsPort);
    const meter = new CpuMeter({ gateway: gw.pid, ...ctx.infraPids });
    startDiagnostics(Boolean(ctx.profileDir), gw);
    const result = await load(url, factory, options, options.duration);
    gateway = figures(result, meter.stop('bench (autocannon)'));
    written += result.result.requests.sent ?? result.result.requests.total;
    printDiagnostics = await collectDiagnostics(Boolean(ctx.profileDir), gw, result.result.duration);
    await answeredAll(opsPort, written);
    to = await topicOffsets(admin, Topics.inboundMessage.topic);
    after = await MetricsSnapshot.scrape(opsPort);
    published = recordsBetween(from, to);
    const messages = { channel: 'whatsapp', kind: 'message' };
    accepted = after.sum('careloop_gateway_inbound_items_total', messages) - before.sum('careloop_gateway_inbound_items_total', messages);
    const dup = { channel: 'whatsapp', kind: 'duplicate' };
    duplicates = after.sum('careloop_gateway_inbound_items_total', dup) - before.sum('careloop_gateway_inbound_items_total', dup);
  } finally {
    await admin.disconnect().catch(() => undefined);
    await gw.stop();
  }
  printLoad('(a) gateway', gateway);

  const ratio = gateway.reqPerSec / baseline.reqPerSec;
  console.log(`  ratio (a)/(b) = ${ratio.toFixed(3)} req/s   (target >= 0.50: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);

  // Every 200 must stand for exactly one event in Kafka.
  const counted = await countEvents(ctx.brokers, Topics.inboundMessage, run.tenantId, from, to);
  const inFlight = accepted - duplicates - gateway.ok2xx;
  const correct = gateway.non2xx === 0 && gateway.errors === 0 && duplicates === 0 && counted.events === accepted && counted.distinctIds === counted.events && inFlight >= 0 && inFlight <= options.connections;
  console.log(
    `  correctness: ${fmt(counted.events)} InboundMessage events of the bench tenant on ${Topics.inboundMessage.topic} (${fmt(counted.distinctIds)} distinct ids; ${fmt(published)} records on the topic in that time); ` +
      `${fmt(accepted)} messages accepted by the gateway (its metrics), ${fmt(duplicates)} duplicates; autocannon counted ${fmt(gateway.ok2xx)} 2xx ` +
      `(${fmt(inFlight)} answered after it stopped counting) and ${fmt(gateway.non2xx)} non-2xx → ${correct ? 'OK' : 'FAILED'}`,
  );
  const answer = MetricsSnapshot.meanBetween(before, after, 'careloop_gateway_webhook_duration_seconds');
  const publish = MetricsSnapshot.meanBetween(before, after, 'careloop_bus_publish_duration_seconds', { topic: Topics.inboundMessage.topic });
  if (answer && publish) {
    console.log(`  inside the gateway (its metrics, means): webhook handled in ${fmt(answer.mean * 1000, 1)} ms, of which waiting for the Kafka ack ${fmt(publish.mean * 1000, 1)} ms`);
  }
  printDiagnostics();
  return { baseline, gateway, ratio, correct };
}
