/**
 * `npm run bench:crm-sync [-- --events 600 --steady-seconds 15 --steady-rate 0 --concurrency 16]`
 *
 * Against the local HAPI FHIR server (FHIR_BASE_URL, started by `bash deploy/local/infra.sh up`),
 * the real Kafka, FerretDB and Redis; crm-sync runs in this process (startService, as in tests).
 *
 * 1. Baseline: the same number of Appointments written by a plain loop of raw FHIR PUTs
 *    (client-assigned ids, `--concurrency` in flight, no Patient, no lookups): what the FHIR
 *    server alone sustains on this machine; run before and after step 2, the mean is the baseline.
 * 2. Throughput: `--events` AppointmentChanged (booked) published at once; events/s until the
 *    last one is applied (crm-sync's own resource-sync counter), and its ratio to the baseline.
 *    Every event costs crm-sync three requests on a first sight of its patient and two after
 *    (Patient conditional create, Appointment search, Appointment conditional create).
 * 3. Lag under steady load: events published at `--steady-rate` per second (default: half the
 *    measured throughput) for `--steady-seconds`; per event, lag = the Appointment's
 *    meta.lastUpdated on the server − the moment it was published. p50/p90/p99/max.
 */
import { randomBytes } from 'node:crypto';
import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { AppointmentChangeKind, ChangeSource, Topics, crmApi, type AppointmentSnapshot } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { createLogger } from '@careloop/observability';
import { promiseClient, startService } from '@careloop/service-kit';
import * as grpc from '@grpc/grpc-js';
import { formatNumber as fmt, infraEnv, MetricsSnapshot, percentiles, sleep, TEST_GROUP_PREFIX, uniqueName } from '@careloop/testing';
import { crmSyncService } from '../src/service';
import { changed, snapshot } from '../test/support/connection';
import { FHIR_BASE_URL, requireFhirServer } from '../test/support/harness';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number`);
  return v;
}

const EVENTS = arg('events', 600);
const STEADY_SECONDS = arg('steady-seconds', 15);
const STEADY_RATE = arg('steady-rate', 0);
const CONCURRENCY = Math.max(1, arg('concurrency', 16));
const SYNCED = 'careloop_crm_resource_sync_seconds_count';

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T);
  }));
}

function appointmentFor(tenantId: string, run: string, i: number): AppointmentSnapshot {
  const start = new Date(Date.now() + 86_400_000 + i * 60_000);
  return snapshot({ tenantId, appointmentId: `${run}-${i}`, patientId: `${run}-patient-${i % Math.max(1, Math.floor(EVENTS / 2))}`, contactId: '', start, end: new Date(start.getTime() + 20 * 60_000) });
}

async function baseline(run: string, count: number): Promise<number> {
  const body = (i: number): Appointment => ({
    resourceType: 'Appointment',
    id: `bench-${run}-${i}`,
    identifier: [{ system: `urn:careloop:bench-${run}:appointment`, value: String(i) }],
    status: 'booked',
    start: new Date(Date.now() + 86_400_000 + i * 60_000).toISOString(),
    end: new Date(Date.now() + 86_400_000 + i * 60_000 + 20 * 60_000).toISOString(),
    participant: [{ actor: { identifier: { system: `urn:careloop:bench-${run}:patient`, value: String(i) } }, status: 'needs-action' }],
  });
  const started = performance.now();
  await pool([...Array(count).keys()], CONCURRENCY, async (i) => {
    const res = await fetch(`${FHIR_BASE_URL}/Appointment/bench-${run}-${i}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }, body: JSON.stringify(body(i)) });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`baseline PUT answered ${res.status}`);
  });
  return count / ((performance.now() - started) / 1000);
}

async function lastUpdatedByAppointment(tenantId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let url: string | undefined = `${FHIR_BASE_URL}/Appointment?${new URLSearchParams({ identifier: `urn:careloop:${tenantId}:appointment|`, _count: '500', _elements: 'identifier' }).toString()}`;
  while (url) {
    const bundle = (await (await fetch(url, { headers: { accept: 'application/fhir+json' } })).json()) as Bundle<Appointment>;
    for (const a of (bundle.entry ?? []).map((e) => e.resource)) {
      if (!a) continue;
      const id = a.identifier?.find((x) => x.system === `urn:careloop:${tenantId}:appointment`)?.value;
      if (id && a.meta?.lastUpdated) out.set(id, Date.parse(a.meta.lastUpdated));
    }
    url = bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  return out;
}

async function main(): Promise<void> {
  await requireFhirServer();
  const env = infraEnv();
  const run = randomBytes(4).toString('hex');
  const tenantId = uniqueName('bench');
  const key = () => randomBytes(32).toString('base64');
  const running = await startService(crmSyncService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      OPS_PORT: '0',
      GRPC_PORT: '0',
      MONGODB_DATABASE: uniqueName('crm_sync_bench').replace(/-/g, '_'),
      PHI_ENCRYPTION_KEYS: `b1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      AGENT_JWT_SECRET: key(),
      CRM_ALLOWED_HOSTS: new URL(FHIR_BASE_URL).host,
      CRM_PRIVATE_HOSTS_ALLOWED: new URL(FHIR_BASE_URL).host,
      CRM_ALLOW_PLAIN_HTTP: 'true',
      CRM_DEFAULT_RATE_PER_SECOND: '10000',
      // The same number of writes in flight as the baseline: 2 partitions × concurrency/2 keys.
      CRM_PARTITIONS_CONCURRENTLY: '2',
      CRM_KEYS_CONCURRENTLY: String(Math.max(1, Math.floor(CONCURRENCY / 2))),
      CRM_POLL_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    },
    logger: createLogger({ service: 'crm-sync', level: 'silent' }),
    host: '127.0.0.1',
  });
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'crm-sync-bench' });
  await bus.connect();
  const api = new crmApi.CrmSyncServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
  const rpc = promiseClient<crmApi.CrmSyncServiceServer>(api, crmApi.CrmSyncServiceService);
  try {
    await rpc.putConnector({
      connector: {
        tenantId, connectorId: 'ehr', kind: crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4, baseUrl: FHIR_BASE_URL, enabled: true, flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT],
        ratePerSecond: 0, mrnSystem: '', import: undefined, auth: undefined, hasCredentials: false, updatedAt: undefined, webhook: undefined,
      },
    });
    const synced = async () => (await MetricsSnapshot.scrape(running.opsPort)).sum(SYNCED, { resource: 'Appointment' });
    const publish = (i: number) => {
      const a = appointmentFor(tenantId, run, i);
      return bus.publish(Topics.appointmentChanged, changed(a, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED, ChangeSource.CHANGE_SOURCE_PATIENT), { key: a.appointmentId, tenantId });
    };
    // Warm-up: JIT of both sides, the consumer's partitions assigned.
    const warm = 20;
    await Promise.all(Array.from({ length: warm }, (_, i) => publish(1_000_000 + i)));
    while ((await synced()) < warm) await sleep(200);
    await baseline(`${run}w`, warm);

    console.log(`crm-sync benchmark: ${EVENTS} events, ${CONCURRENCY} in flight, FHIR server ${FHIR_BASE_URL}`);
    const baseBefore = await baseline(run, EVENTS);

    const before = await synced();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: EVENTS }, (_, i) => publish(i)));
    while ((await synced()) - before < EVENTS) await sleep(100);
    const throughput = EVENTS / ((performance.now() - t0) / 1000);
    // Before and after: the server warms up (and the machine's load moves) during the run.
    const baseAfter = await baseline(`${run}a`, EVENTS);
    const base = (baseBefore + baseAfter) / 2;
    console.log(`baseline   raw FHIR PUTs from a plain loop          ${fmt(base, 1)} resources/s (before ${fmt(baseBefore, 1)}, after ${fmt(baseAfter, 1)})`);
    console.log(`crm-sync   events applied (burst of ${EVENTS})           ${fmt(throughput, 1)} events/s   ratio ${fmt(throughput / base, 2)} of the baseline`);

    const rate = STEADY_RATE || Math.max(1, Math.floor(throughput / 2));
    const steady = Math.max(1, Math.round(rate * STEADY_SECONDS));
    const publishedAt = new Map<string, number>();
    const startAt = Date.now();
    const steadyBefore = await synced();
    for (let i = 0; i < steady; i++) {
      const due = startAt + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const id = 2_000_000 + i;
      publishedAt.set(`${run}-${id}`, Date.now());
      void publish(id);
    }
    const deadline = Date.now() + 120_000;
    while ((await synced()) - steadyBefore < steady && Date.now() < deadline) await sleep(200);
    const applied = await lastUpdatedByAppointment(tenantId);
    const lags = [...publishedAt].map(([id, at]) => {
      const done = applied.get(id);
      return done === undefined ? Infinity : done - at;
    });
    const p = percentiles(lags);
    const inTime = lags.filter(Number.isFinite).length;
    console.log(`steady     ${fmt(rate)} events/s for ${STEADY_SECONDS} s: ${inTime}/${steady} applied; event → resource lag p50 ${fmt(p.p50)} ms, p90 ${fmt(p.p90)} ms, p99 ${fmt(p.p99)} ms, max ${fmt(p.max)} ms`);
    console.log(`           (lag floor: one baseline write takes ~${fmt((1000 / base) * CONCURRENCY)} ms at ${CONCURRENCY} in flight)`);
  } finally {
    api.close();
    await bus.close();
    await running.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
