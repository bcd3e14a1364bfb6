/**
 * `npm run bench:scheduling`: slot search through scheduling's gRPC API vs the same query on the
 * native MongoDB driver, over a network of 500 practitioners × 60 days, in the same run; then
 * booking throughput under contention (four clients per slot). Real local FerretDB, Kafka, Redis.
 *   --seconds N      each measured phase (default 10)
 *   --held-every N   one seat in N held before searching (default 10)
 *   --clients N   concurrent callers (default 16)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { BookingChannel, ChangeSource, schedulingApi } from '@careloop/contracts';
import { startService } from '@careloop/service-kit';
import { createLogger } from '@careloop/observability';
import { readInfraEnv, uniqueName } from '@careloop/testing';
import { schedulingService } from '../src/service';
import { offsetClock } from '../src/domain/clock';
import { slotIdOf } from '../src/domain/ids';
import { applyNetwork } from '../src/seed/apply-network';
import { DAYS_PER_ROUND, EXTRA_DATES } from '../src/use-cases/search-slots';
import type { Network } from '../src/seed/demo-network';
import type { SlotDay } from '../src/adapters/slot-store';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
/** One seat in this many is held before the search phases. */
const HELD_EVERY = arg('held-every', 10);
const CLIENTS = arg('clients', 16);
const PRACTITIONERS = arg('practitioners', 500);
const DAYS = arg('days', 60);
const DEPARTMENTS = 10;
const FACILITIES = [
  { facilityId: 'f-madrid', name: 'Madrid', timeZone: 'Europe/Madrid', address: '', city: 'Madrid', country: 'ES' },
  { facilityId: 'f-berlin', name: 'Berlin', timeZone: 'Europe/Berlin', address: '', city: 'Berlin', country: 'DE' },
  { facilityId: 'f-istanbul', name: 'Istanbul', timeZone: 'Europe/Istanbul', address: '', city: 'Istanbul', country: 'TR' },
  { facilityId: 'f-newyork', name: 'New York', timeZone: 'America/New_York', address: '', city: 'New York', country: 'US' },
  { facilityId: 'f-lisbon', name: 'Lisbon', timeZone: 'Europe/Lisbon', address: '', city: 'Lisboa', country: 'PT' },
];

function network(tenantId: string): Network {
  const departments = Array.from({ length: DEPARTMENTS }, (_, d) => ({ departmentId: `d${d}`, name: `Department ${d}`, serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 20 }], maxFutureBookingsPerPatient: 1000 }));
  const practitioners = Array.from({ length: PRACTITIONERS }, (_, i) => ({ practitionerId: `p${i}`, name: `Dr. ${i}`, departmentIds: [`d${i % DEPARTMENTS}`], facilityIds: [FACILITIES[i % FACILITIES.length]?.facilityId ?? ''], roles: ['doctor'], languages: i % 3 === 0 ? ['es', 'en'] : ['en'], active: true }));
  const schedules = practitioners.map((p, i) => ({
    scheduleId: `s${i}`,
    practitionerId: p.practitionerId,
    facilityId: p.facilityIds[0] ?? '',
    departmentId: p.departmentIds[0] ?? '',
    serviceType: 'consultation',
    slotMinutes: 20,
    capacity: 1,
    hours: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '14:00' }, { weekdays: [1, 3], start: '15:00', end: '18:00' }],
    exceptions: [],
    validFrom: '2020-01-01',
    validTo: '',
  }));
  return { tenantId, facilities: FACILITIES, departments, practitioners, schedules };
}

async function forSeconds(seconds: number, clients: number, op: (client: number) => Promise<void>): Promise<{ ops: number; perSecond: number }> {
  const deadline = Date.now() + seconds * 1000;
  let ops = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (Date.now() < deadline) {
        await op(c);
        ops++;
      }
    }),
  );
  return { ops, perSecond: ops / ((Date.now() - started) / 1000) };
}

async function main(): Promise<void> {
  const infra = readInfraEnv();
  const dbName = uniqueName('scheduling_bench').replace(/-/g, '_');
  const key = () => randomBytes(32).toString('base64');
  const running = await startService(schedulingService, {
    env: { ...process.env, ...infra, HTTP_PORT: '0', OPS_PORT: '0', GRPC_PORT: '0', MONGODB_DATABASE: dbName, KAFKA_TOPIC_PARTITIONS: '3', PHI_ENCRYPTION_KEYS: `b1:${key()}`, PHI_BLIND_INDEX_KEYS: `b2:${key()}`, LOG_LEVEL: 'warn', SCHEDULING_SWEEP_MS: '600000' },
    logger: createLogger({ service: 'scheduling', level: 'warn' }),
    host: '127.0.0.1',
  });
  const mongo = running.context.mongo;
  if (!mongo) throw new Error('no MongoDB');
  const tenantId = 'bench';
  let t = Date.now();
  const net = network(tenantId);
  const seeded = await applyNetwork(mongo, net, offsetClock(0), DAYS);
  console.log(`dataset: ${PRACTITIONERS} practitioners, ${DEPARTMENTS} departments, ${FACILITIES.length} facilities, ${DAYS} days → ${seeded.slotDays} slot days, ${seeded.slots} slots in ${Date.now() - t} ms`);

  // Some seats already taken, so searches skip held seats as in real life.
  t = Date.now();
  const days = await mongo.collection<SlotDay>('slot_days').find({ tenantId }).toArray();
  const holds = days.flatMap((d) => d.slots.filter((_, i) => i % HELD_EVERY === 0).map((s) => ({ _id: `${tenantId}|${d.practitionerId}|${s.m}|0`, tenantId, practitionerId: d.practitionerId, facilityId: d.facilityId, departmentId: d.departmentId, date: d.date, m: s.m, seat: 0, appointmentId: randomUUID(), createdAt: new Date() })));
  for (let i = 0; i < holds.length; i += 1000) await mongo.collection('slot_holds').insertMany(holds.slice(i, i + 1000) as never[], { ordered: false });
  console.log(`held ${holds.length} seats in ${Date.now() - t} ms`);

  const client = new schedulingApi.SchedulingServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
  const search = (request: schedulingApi.SearchSlotsRequest) =>
    new Promise<schedulingApi.SearchSlotsResponse>((resolve, reject) => {
      client.searchSlots(request, (e, res) => (e ? reject(e) : resolve(res)));
    });
  const book = (request: schedulingApi.BookRequest) =>
    new Promise<schedulingApi.BookResponse>((resolve, reject) => {
      client.book(request, (e, res) => (e ? reject(e) : resolve(res)));
    });
  // The same queries in both phases: a department, a start day in the horizon, ten earliest slots.
  const query = (i: number) => ({ departmentId: `d${i % DEPARTMENTS}`, from: new Date(Date.now() + ((i * 7) % (DAYS - 5)) * 86_400_000) });

  let n = 0;
  const grpcSearch = await forSeconds(SECONDS, CLIENTS, async () => {
    const q = query(n++);
    const r = await search({ tenantId, departmentId: q.departmentId, practitionerId: '', facilityId: '', serviceType: '', language: '', from: q.from, to: undefined, limit: 10 });
    if (r.slots.length !== 10) throw new Error('search returned fewer than 10 slots');
  });

  // The same search on the native driver: the same equality reads per date, the same merge.
  const native = new MongoClient(infra.MONGODB_URI);
  await native.connect();
  const db = native.db(dbName);
  n = 0;
  const nativeSearch = await forSeconds(SECONDS, CLIENTS, async () => {
    const q = query(n++);
    const found: { start: number; id: string }[] = [];
    const fromMinute = Math.ceil(q.from.getTime() / 60_000);
    const first = new Date(q.from.getTime() - 86_400_000);
    let extra = -1;
    for (let i = 0; ; i += DAYS_PER_ROUND) {
      const dates = Array.from({ length: DAYS_PER_ROUND }, (_, k) => k).map((k) => new Date(first.getTime() + (i + k) * 86_400_000).toISOString().slice(0, 10));
      const reads = await Promise.all(dates.map(async (date) => Promise.all([db.collection('slot_days').find({ tenantId, departmentId: q.departmentId, date }).toArray(), db.collection('slot_holds').find({ tenantId, departmentId: q.departmentId, date }).toArray()])));
      for (const [dayDocs, held] of reads) {
        const taken = new Set(held.map((h) => `${String(h['practitionerId'])}|${String(h['m'])}`));
        for (const d of dayDocs) for (const s of d['slots'] as { m: number; len: number }[]) if (s.m >= fromMinute && !taken.has(`${String(d['practitionerId'])}|${s.m}`)) found.push({ start: s.m, id: slotIdOf({ practitionerId: String(d['practitionerId']), facilityId: String(d['facilityId']), startMinute: s.m }) });
      }
      if (extra < 0 && found.length >= 10) extra = i + DAYS_PER_ROUND + EXTRA_DATES;
      if ((extra >= 0 && i + DAYS_PER_ROUND >= extra) || i > DAYS + 4) break;
    }
    found.sort((a, b) => a.start - b.start);
    if (found.slice(0, 10).length !== 10) throw new Error('native search returned fewer than 10 slots');
  });
  await native.close();

  // Booking under contention: four clients per slot, each slot booked once.
  const free = (await search({ tenantId, departmentId: 'd1', practitionerId: '', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 100 })).slots.map((s) => s.slotId);
  let attempt = 0;
  let booked = 0;
  let takenCount = 0;
  const booking = await forSeconds(Math.min(SECONDS, 10), CLIENTS, async (c) => {
    const slot = free[Math.floor(attempt++ / 4) % free.length] ?? '';
    const r = await book({ tenantId, requestId: randomUUID(), slotId: slot, patientId: `bench-patient-${c}-${attempt}`, contactId: '', bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT, endpoint: undefined, recipient: undefined, language: 'en', source: ChangeSource.CHANGE_SOURCE_STAFF });
    if (r.outcome === schedulingApi.BookOutcome.BOOK_OUTCOME_BOOKED) booked++;
    else takenCount++;
  });
  const doubles = await mongo.collection('appointments').aggregate([{ $match: { tenantId, status: 'booked' } }, { $group: { _id: '$slotId', n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }]).toArray();

  client.close();
  await running.stop();
  const f = (x: number) => x.toFixed(1);
  console.log('');
  console.log(`slot search, ${CLIENTS} clients, ${SECONDS} s each, 10 earliest free slots of a department from a random day:`);
  console.log(`  gRPC SearchSlots      ${f(grpcSearch.perSecond)} ops/s (${grpcSearch.ops} ops)`);
  console.log(`  native driver         ${f(nativeSearch.perSecond)} ops/s (${nativeSearch.ops} ops)`);
  console.log(`  ratio gRPC / native   ${(grpcSearch.perSecond / nativeSearch.perSecond).toFixed(2)} (target ≥ 0.7)`);
  console.log(`booking under contention (4 clients per slot, ${free.length} slots): ${f(booking.perSecond)} requests/s, ${booked} booked, ${takenCount} taken, ${doubles.length} slots booked twice`);
  process.exit(doubles.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
