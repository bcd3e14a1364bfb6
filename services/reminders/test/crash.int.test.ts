import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Topics } from '@careloop/contracts';
import { infraEnv, repoRoot, TopicTap, uniqueName, waitFor, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import { appointmentReminder, openStores, type SeedStores } from './support/seed';

const COUNT = 400;
const BATCH = 20;
const BATCHES_PER_NUMBER = 2;

/**
 * SIGKILL while a batch is firing, restart: every due reminder is published exactly once as an
 * outbound command (counted on Kafka by command id, which is what gateway dedupes on: its own
 * tests show a command id is sent at most once), none lost. A command published twice is allowed
 * only in the crash window (taken, published, killed before its timer was released), bounded by
 * what was in flight.
 */
describe('firing survives SIGKILL (real Kafka, FerretDB, Redis)', () => {
  const env = infraEnv();
  const tenantId = uniqueName('network');
  const endpointId = `1${Math.floor(Math.random() * 1e9)}`;
  const database = uniqueName('reminders_crash').replace(/-/g, '_');
  const namespace = uniqueName('crash');
  const children: ChildProcess[] = [];
  let stores: SeedStores;

  beforeAll(async () => {
    stores = await openStores({ mongoUri: env.MONGODB_URI, database, redisUrl: env.REDIS_URL, namespace });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await stores.close();
  });

  function startChild(): ChildProcess {
    const child = fork(join(repoRoot(), 'services', 'reminders', 'src', 'main.ts'), [], {
      cwd: repoRoot(),
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        ...env,
        KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
        KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
        OPS_PORT: '0',
        GRPC_PORT: '0',
        MONGODB_DATABASE: database,
        KAFKA_TOPIC_PARTITIONS: '3',
        PHI_ENCRYPTION_KEYS: stores.keys.encryption,
        PHI_BLIND_INDEX_KEYS: stores.keys.blindIndex,
        REMINDERS_REDIS_NAMESPACE: namespace,
        REMINDERS_RATE_PER_NUMBER: '100',
        REMINDERS_BATCH: String(BATCH),
        REMINDERS_BATCHES_PER_NUMBER: String(BATCHES_PER_NUMBER),
        REMINDERS_LEASE_MS: '3000',
        REMINDERS_OWNER_TTL_MS: '2000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    return child;
  }

  it('sends every due reminder once across a SIGKILL mid-batch and a restart', async () => {
    const now = Date.now();
    const records = Array.from({ length: COUNT }, (_, i) =>
      appointmentReminder(stores, {
        tenantId,
        endpointId,
        contactId: `contact-${i % 40}`,
        waId: `3460${String(1_000_000 + i)}`,
        key: `crash:${i}`,
        dueAt: new Date(now + 5_000 + (i % 10)),
        start: new Date(now + 3_600_000),
      }),
    );
    for (let i = 0; i < 40; i++) await stores.contacts.recordConsent(tenantId, `contact-${i}`, 'opted-in', new Date());
    await stores.reminders.collectionModel.insertMany(records);
    await stores.index.schedule(endpointId, records.map((r) => ({ tenantId, reminderId: r._id, dueAt: r.dueAt })));
    const expected = new Set(records.map((r) => r.commandId));

    const tap = await TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [tenantId]);
    try {
      const first = startChild();
      const distinct = () => new Set(tap.received().map((e) => e.payload.commandId)).size;
      // Kill it in the middle of the morning batch: some sent, most still due.
      await waitFor('the batch under way', () => distinct() >= 60, 60_000, 5);
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      const beforeRestart = distinct();
      expect(beforeRestart).toBeLessThan(COUNT);

      startChild();
      await waitFor(`all ${COUNT} sent`, () => distinct() >= COUNT, 60_000);
      // Let stragglers (a wrong second send) arrive before counting.
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      const ids = tap.received().map((e) => e.payload.commandId);
      expect(new Set(ids)).toEqual(expected);
      const duplicates = ids.length - new Set(ids).size;
      // Only what the killed loop had in flight may be published again (same command id: gateway sends it once).
      expect(duplicates).toBeLessThanOrEqual(BATCH * BATCHES_PER_NUMBER);

      const states = await stores.reminders.collectionModel.aggregate<{ _id: string; n: number }>([{ $match: { tenantId } }, { $group: { _id: '$state', n: { $sum: 1 } } }]);
      // Each published and awaiting gateway's result (there is no gateway here): none skipped, none left scheduled.
      expect(Object.fromEntries(states.map((s) => [s._id, s.n]))).toEqual({ firing: COUNT });
      expect(await stores.index.pending(endpointId)).toBe(0);
    } finally {
      await tap.stop();
    }
  });
});
