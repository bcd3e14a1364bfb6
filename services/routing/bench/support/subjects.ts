import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Topics } from '@careloop/contracts';
import { BenchChild, freePort, MetricsSnapshot, repoRoot, sleep, type BenchChildOptions, type InfraEnv } from '@careloop/testing';
import { issueAgentToken } from '../../src/adapters/http/agent-auth';
import { FAQ } from './script';

const JWT_SECRET = 'routing-bench-jwt-secret-0123456789';

/** How the subjects run: few log lines, a stop that waits for routing's drain (and --cpu-prof's profile); they stop by themselves if the bench dies. */
const CHILD_OPTIONS: BenchChildOptions = { relayedLines: 15, maxLineLength: 300, stopGraceMs: 20_000, exitWithParent: true };

/** What a caller may add to a subject's process: Node.js flags and preloads, and a marker for lines meant for the bench. */
export type SubjectOptions = Pick<BenchChildOptions, 'nodeArgs' | 'marker' | 'onMarked'>;

export interface StartedRouting {
  readonly child: BenchChild;
  readonly opsPort: number;
  readonly httpPort: number;
}

/** Polls until `probe` is true; fails at once if the child exits, with its last log lines. */
async function untilReady(child: BenchChild, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running) throw new Error(`${child.name} exited before ${what}:\n${child.lastLines()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${child.name}: no ${what} within ${timeoutMs} ms:\n${child.lastLines()}`);
    await sleep(250);
  }
}

/**
 * routing as `npm start` runs it (`node --require tsx/cjs services/routing/src/main.ts`),
 * with its own database, tenant, keys and ports, ready when its ops port says so.
 */
export async function startRouting(
  infra: InfraEnv,
  brokers: string,
  settings: { tenantId: string; database: string; concurrency: number },
  options: SubjectOptions = {},
): Promise<StartedRouting> {
  const [opsPort, httpPort] = [await freePort(), await freePort()];
  const key = () => randomBytes(32).toString('base64');
  const child = BenchChild.spawn(
    'routing',
    join(repoRoot(), 'services', 'routing', 'src', 'main.ts'),
    {
      KAFKA_BROKERS: brokers,
      MONGODB_URI: infra.MONGODB_URI,
      REDIS_URL: infra.REDIS_URL,
      MONGODB_DATABASE: settings.database,
      HTTP_PORT: String(httpPort),
      OPS_PORT: String(opsPort),
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      AGENT_JWT_SECRET: JWT_SECRET,
      ROUTING_HOSPITAL_NAMES: JSON.stringify({ [settings.tenantId]: 'Hospital Bench' }),
      TURN_CONCURRENCY: String(settings.concurrency),
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
    },
    { ...CHILD_OPTIONS, ...options },
  );
  await untilReady(child, '/readyz', async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status === 200, 180_000);
  return { child, opsPort, httpPort };
}

/** The FAQ the script asks about, through the admin API as an administrator would. */
export async function seedFaq(httpPort: number, tenantId: string): Promise<void> {
  const token = issueAgentToken(JWT_SECRET, { id: 'bench-admin', tenantId, role: 'admin' });
  const res = await fetch(`http://127.0.0.1:${httpPort}/admin/faq`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(FAQ),
  });
  if (res.status !== 200) throw new Error(`PUT /admin/faq answered ${res.status}: ${await res.text()}`);
}

/** The baseline relay (bench/relay.ts) in its own process, in its own consumer group. */
export function startRelay(brokers: string, group: string, concurrency: number): BenchChild {
  return BenchChild.spawn(
    'relay',
    join(repoRoot(), 'services', 'routing', 'bench', 'relay.ts'),
    {
      KAFKA_BROKERS: brokers,
      RELAY_GROUP: group,
      RELAY_CONCURRENCY: String(concurrency),
    },
    CHILD_OPTIONS,
  );
}

/** From routing's /metrics: what its turn consumer did, and how long its publishes waited for Kafka. */
export interface BusFigures {
  readonly turnsProcessed: number;
  readonly handlerSeconds: number;
  readonly outboundPublished: number;
  readonly outboundPublishSeconds: number;
  readonly allPublished: number;
  readonly allPublishSeconds: number;
}

export async function readBusFigures(opsPort: number): Promise<BusFigures | undefined> {
  try {
    const metrics = await MetricsSnapshot.scrape(opsPort);
    const turns = (l: Readonly<Record<string, string>>) => l['topic'] === Topics.inboundMessage.topic && l['group'] === 'routing.turns';
    const outbound = { topic: Topics.outboundCommand.topic };
    return {
      turnsProcessed: metrics.sum('careloop_bus_consumed_events_total', (l) => turns(l) && l['outcome'] === 'processed'),
      handlerSeconds: metrics.sum('careloop_bus_handler_duration_seconds_sum', turns),
      outboundPublished: metrics.sum('careloop_bus_publish_duration_seconds_count', outbound),
      outboundPublishSeconds: metrics.sum('careloop_bus_publish_duration_seconds_sum', outbound),
      allPublished: metrics.sum('careloop_bus_publish_duration_seconds_count'),
      allPublishSeconds: metrics.sum('careloop_bus_publish_duration_seconds_sum'),
    };
  } catch {
    return undefined;
  }
}

export function busDelta(a: BusFigures | undefined, b: BusFigures | undefined): BusFigures | undefined {
  if (!a || !b) return undefined;
  return {
    turnsProcessed: b.turnsProcessed - a.turnsProcessed,
    handlerSeconds: b.handlerSeconds - a.handlerSeconds,
    outboundPublished: b.outboundPublished - a.outboundPublished,
    outboundPublishSeconds: b.outboundPublishSeconds - a.outboundPublishSeconds,
    allPublished: b.allPublished - a.allPublished,
    allPublishSeconds: b.allPublishSeconds - a.allPublishSeconds,
  };
}
