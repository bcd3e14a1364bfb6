/**
 * `npm run bench:reminders [-- --reminders 1000000 --fire 50000 --paced 30000 --cap 1000]`
 *
 * 1. Seeds N pending reminders straight into the service's store and due-index (bulk, as the
 *    service itself writes them), almost all due days ahead: the "million pending" the service
 *    must hold without loading them.
 * 2. (a) A morning batch of `--fire` reminders comes due at once with a no-op sender and no
 *    pacing: timers fired per second, as a ratio to WhatsApp's upgraded per-number cap.
 * 3. (b) Another batch of `--paced` reminders due at once, sent for real: reminders paced at the
 *    cap → gateway (WHATSAPP_THROUGHPUT_PER_SECOND = cap) → the Cloud API simulator enforcing the
 *    cap. Sends per second at the simulator as a ratio of the cap, throughput errors (130429).
 *    (c) p99 lateness beyond what the cap forces: the i-th send of a batch due at T cannot leave
 *    before T + i / cap; lateness = accepted_at − (T + i / cap).
 * 4. (d) Memory: Redis used_memory per million pending, and the service's RSS with them pending.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type TemplateDefinition } from '@careloop/cloud-api-simulator';
import { BenchChild, formatNumber as fmt, infraEnv, MetricsSnapshot, percentiles, repoRoot, sleep, uniqueName } from '@careloop/testing';
import { appointmentReminder, openStores, type SeedStores } from '../test/support/seed';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number`);
  return v;
}

const TOTAL = arg('reminders', 1_000_000);
const FIRE = Math.min(arg('fire', 50_000), TOTAL);
const PACED = Math.min(arg('paced', 30_000), TOTAL - FIRE);
const CAP = arg('cap', 1_000);
const CONTACTS = 1_000;

const TEMPLATE: TemplateDefinition = {
  name: 'appointment_reminder',
  language: 'es',
  category: 'utility',
  body: 'Recordatorio: cita el {{1}} a las {{2}} en {{3}} con {{4}}.',
  buttons: [{ type: 'quick_reply', text: 'Confirmar' }, { type: 'quick_reply', text: 'Cambiar hora' }, { type: 'quick_reply', text: 'Cancelar' }],
};

async function redisUsedMemory(stores: SeedStores): Promise<number> {
  const info = await stores.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

function rssBytes(pid: number | undefined): number {
  if (!pid) return 0;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

/** Bulk-inserts reminders for one number in batches (store first, then index, as the service does). */
async function seed(stores: SeedStores, tenantId: string, endpointId: string, count: number, due: (i: number) => Date, prefix: string): Promise<number> {
  const started = performance.now();
  const BATCH = 5_000;
  for (let from = 0; from < count; from += BATCH) {
    const records = [];
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      const dueAt = due(i);
      records.push(
        appointmentReminder(stores, {
          tenantId,
          endpointId,
          contactId: `contact-${i % CONTACTS}`,
          waId: `34${String(600_000_000 + i)}`,
          key: `${prefix}:${i}`,
          dueAt,
          start: new Date(dueAt.getTime() + 48 * 3_600_000),
        }),
      );
    }
    await stores.reminders.collectionModel.collection.insertMany(records as unknown as Record<string, unknown>[], { ordered: false });
    await stores.index.schedule(endpointId, records.map((r) => ({ tenantId, reminderId: r._id, dueAt: r.dueAt })));
  }
  return count / ((performance.now() - started) / 1000);
}

function reminderEnv(env: ReturnType<typeof infraEnv>, stores: SeedStores, database: string, namespace: string, overrides: Record<string, string>): Record<string, string> {
  return {
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    MONGODB_URI: env.MONGODB_URI,
    REDIS_URL: env.REDIS_URL,
    MONGODB_DATABASE: database,
    OPS_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
    OTEL_SDK_DISABLED: 'true',
    KAFKA_TOPIC_PARTITIONS: '3',
    PHI_ENCRYPTION_KEYS: stores.keys.encryption,
    PHI_BLIND_INDEX_KEYS: stores.keys.blindIndex,
    REMINDERS_REDIS_NAMESPACE: namespace,
    ...overrides,
  };
}

async function main(): Promise<void> {
  const env = infraEnv();
  const tenantId = uniqueName('bench-network');
  const database = uniqueName('reminders_bench').replace(/-/g, '_');
  const namespace = uniqueName('bench');
  const numbers = { future: '1900000001', noop: '1900000002', paced: `19${Math.floor(Math.random() * 1e8)}` };
  const stores = await openStores({ mongoUri: env.MONGODB_URI, database, redisUrl: env.REDIS_URL, namespace });
  const children: BenchChild[] = [];
  try {
    console.log(`reminders benchmark: ${fmt(TOTAL)} pending reminders (${fmt(TOTAL - FIRE - PACED)} due in the coming 30 days, ${fmt(FIRE)} in a no-op batch, ${fmt(PACED)} in a paced batch); cap ${fmt(CAP)}/s per number`);
    for (let i = 0; i < CONTACTS; i++) await stores.contacts.recordConsent(tenantId, `contact-${i}`, 'opted-in', new Date());

    // 1. The pending million (minus the two batches), and Redis's memory for them.
    const redisBefore = await redisUsedMemory(stores);
    const now = Date.now();
    const future = TOTAL - FIRE - PACED;
    const seedRate = await seed(stores, tenantId, numbers.future, future, (i) => new Date(now + 86_400_000 + ((i * 2_591_999) % (29 * 86_400_000))), 'future');
    console.log(`  seeded ${fmt(future)} future reminders at ${fmt(seedRate)}/s (store + index)`);

    // 2. (a) A batch due at once, no-op sender, unpaced.
    const dueA = Date.now() + 1_000;
    await seed(stores, tenantId, numbers.noop, FIRE, () => new Date(dueA), 'noop');
    const redisAfter = await redisUsedMemory(stores);
    const perMillionRedis = ((redisAfter - redisBefore) / (future + FIRE)) * 1_000_000;

    const noop = await BenchChild.fork(
      'reminders',
      join(__dirname, 'support', 'reminders-child.ts'),
      reminderEnv(env, stores, database, namespace, { REMINDERS_SENDER: 'noop', REMINDERS_RATE_PER_NUMBER: '0', REMINDERS_BATCH: '50', REMINDERS_BATCHES_PER_NUMBER: '4' }),
    );
    children.push(noop.child);
    const firedOf = async () => (await MetricsSnapshot.scrape(noop.ready.opsPort ?? 0)).sum('careloop_reminders_fired_total');
    let firstAt = 0;
    let lastCount = 0;
    let lastAt = performance.now();
    for (;;) {
      const fired = await firedOf();
      if (fired > 0 && firstAt === 0) firstAt = performance.now();
      if (fired !== lastCount) [lastCount, lastAt] = [fired, performance.now()];
      if (fired >= FIRE || performance.now() - lastAt > 60_000) break;
      await sleep(100);
    }
    const noopSeconds = (lastAt - firstAt) / 1000;
    const noopRate = lastCount / Math.max(noopSeconds, 0.001);
    const serviceRss = rssBytes(noop.child.pid);
    const lateness = await MetricsSnapshot.scrape(noop.ready.opsPort ?? 0);
    console.log(
      `  (a) no-op sender: ${fmt(lastCount)} timers fired in ${fmt(noopSeconds, 1)} s = ${fmt(noopRate)}/s → ${fmt(noopRate / CAP, 2)} × the ${fmt(CAP)}/s cap (target ≥ 5); ` +
        `mean lateness ${fmt((lateness.sum('careloop_reminders_lateness_seconds_sum') / Math.max(1, lateness.sum('careloop_reminders_lateness_seconds_count'))) * 1000)} ms`,
    );
    console.log(`  (d) memory with ${fmt(future)} pending: service RSS ${mb(serviceRss)}; Redis ${mb(perMillionRedis)} per million pending (due-index)`);
    await noop.child.stop();

    // 3. (b)+(c): paced through gateway to the simulator enforcing the cap.
    if (PACED > 0) {
      const secrets = { appSecret: randomBytes(16).toString('hex'), accessToken: randomBytes(16).toString('hex'), verifyToken: randomBytes(8).toString('hex') };
      const simulator = await startSimulator({
        ...secrets,
        phoneNumbers: [{ id: numbers.paced, displayPhoneNumber: '+34 910 000 009' }],
        throughputPerSecond: CAP,
        pairRateLimit: false,
        templates: [TEMPLATE],
        statusTiming: { sentMs: 3_600_000, deliveredMs: 3_600_000, readMs: 3_600_000 },
        log: () => undefined,
      });
      try {
        const key = () => randomBytes(32).toString('base64');
        const gateway = await BenchChild.fork('gateway', join(repoRoot(), 'services', 'gateway', 'bench', 'support', 'gateway-child.ts'), {
          KAFKA_BROKERS: env.KAFKA_BROKERS,
          MONGODB_URI: env.MONGODB_URI,
          REDIS_URL: env.REDIS_URL,
          MONGODB_DATABASE: uniqueName('gateway_bench').replace(/-/g, '_'),
          HTTP_PORT: '0',
          OPS_PORT: '0',
          LOG_LEVEL: 'warn',
          OTEL_SDK_DISABLED: 'true',
          KAFKA_TOPIC_PARTITIONS: '3',
          PHI_ENCRYPTION_KEYS: `g1:${key()}`,
          PHI_BLIND_INDEX_KEYS: `gi1:${key()}`,
          WHATSAPP_APP_SECRETS: secrets.appSecret,
          WHATSAPP_VERIFY_TOKEN: secrets.verifyToken,
          WHATSAPP_ACCESS_TOKEN: secrets.accessToken,
          WHATSAPP_GRAPH_BASE_URL: simulator.url,
          WHATSAPP_THROUGHPUT_PER_SECOND: String(CAP),
          GATEWAY_ENDPOINTS: JSON.stringify([{ channel: 'whatsapp', endpointId: numbers.paced, tenantId, facilityId: 'madrid-central' }]),
        });
        children.push(gateway.child);
        const dueB = Date.now() + 8_000;
        await seed(stores, tenantId, numbers.paced, PACED, () => new Date(dueB), 'paced');
        const paced = await BenchChild.fork(
          'reminders',
          join(__dirname, 'support', 'reminders-child.ts'),
          reminderEnv(env, stores, database, namespace, { REMINDERS_SENDER: 'gateway', REMINDERS_RATE_PER_NUMBER: String(CAP), REMINDERS_BATCH: '50', REMINDERS_BATCHES_PER_NUMBER: '4' }),
        );
        children.push(paced.child);
        let last = 0;
        let lastProgress = Date.now();
        for (;;) {
          const accepted = simulator.stats().acceptedMessages;
          if (accepted !== last) [last, lastProgress] = [accepted, Date.now()];
          if (accepted >= PACED || Date.now() - lastProgress > 20_000) break;
          await sleep(250);
        }
        const sent = simulator
          .sentMessages()
          .map((m) => m.acceptedAt)
          .sort((x, y) => x - y);
        const stats = simulator.stats();
        const first = sent[0] ?? 0;
        const lastSent = sent[sent.length - 1] ?? 0;
        const rate = sent.length > 1 ? (sent.length - 1) / ((lastSent - first) / 1000) : 0;
        // The cap forces the i-th send to leave no earlier than due + i / cap.
        const beyond = sent.map((t, i) => Math.max(0, t - (dueB + (i * 1000) / CAP)));
        const p = percentiles(beyond);
        const throttled = stats.errorsByCode['130429'] ?? 0;
        console.log(
          `  (b) through gateway to the simulator at ${fmt(CAP)}/s: ${fmt(sent.length)} of ${fmt(PACED)} sent at ${fmt(rate)}/s → ${fmt(rate / CAP, 3)} of the cap (target ≥ 0.95); throughput errors (130429): ${fmt(throttled)}; ` +
            `first send ${fmt(first - dueB)} ms after the due time`,
        );
        console.log(`  (c) lateness beyond the cap's own delay: p50 ${fmt(p.p50)} ms, p99 ${fmt(p.p99)} ms, max ${fmt(p.max)} ms (target p99 ≤ 1000 ms)`);
        await paced.child.stop();
        await gateway.child.stop();
      } finally {
        await simulator.close();
      }
    }
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    await stores.mongo.dropDatabase().catch(() => undefined);
    await stores.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
