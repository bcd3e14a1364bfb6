import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InfraEnv } from '@careloop/testing';

/** What every benchmark of a run shares. */
export interface BenchContext {
  readonly infra: InfraEnv;
  /** The Kafka the gateway talks to: the run's own broker, or the shared one with --kafka shared. */
  readonly brokers: string;
  readonly kafkaMode: 'own' | 'shared';
  /** Processes whose CPU time is reported next to the gateway's (Kafka, FerretDB, Redis). */
  readonly infraPids: Readonly<Record<string, number | undefined>>;
  /** Set with --profile: where the gateway child writes its V8 CPU profile; MongoDB commands are timed too. */
  readonly profileDir: string | undefined;
  /** Registers cleanup (run in reverse order at the end, also after errors and Ctrl-C). */
  defer(cleanup: () => Promise<void>): void;
}

/** The identity of one gateway under test: unique tenant, business number and database per run. */
export interface GatewayRun {
  readonly tenantId: string;
  readonly endpointId: string;
  readonly displayPhoneNumber: string;
  readonly database: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly verifyToken: string;
}

export function newGatewayRun(kind: string): GatewayRun {
  const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return {
    tenantId: `bench-${kind}-${tag}`,
    // A phone_number_id of its own: pacing and window keys in the shared Redis cannot meet another run's.
    endpointId: `9${String(Date.now()).slice(-9)}${String(randomBytes(2).readUInt16BE()).padStart(5, '0')}`,
    displayPhoneNumber: '34910000001',
    database: `gateway_bench_${kind}_${tag}`,
    appSecret: randomBytes(24).toString('hex'),
    accessToken: randomBytes(24).toString('hex'),
    verifyToken: randomBytes(12).toString('hex'),
  };
}

/** Every variable the gateway reads (see src/config.ts and the service kit's base settings). */
export function gatewayEnv(ctx: BenchContext, run: GatewayRun, overrides: Record<string, string> = {}): Record<string, string> {
  const key = () => randomBytes(32).toString('base64');
  const mongoUri = new URL(ctx.infra.MONGODB_URI);
  if (ctx.profileDir) mongoUri.searchParams.set('monitorCommands', 'true');
  return {
    KAFKA_BROKERS: ctx.brokers,
    MONGODB_URI: mongoUri.toString(),
    ...(ctx.profileDir ? { BENCH_DB_TIMINGS: '1' } : {}),
    MONGODB_DATABASE: run.database,
    REDIS_URL: ctx.infra.REDIS_URL,
    HTTP_PORT: '0',
    OPS_PORT: '0',
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: 'true',
    OTEL_SERVICE_NAME: 'gateway',
    KAFKA_TOPIC_PARTITIONS: '3',
    PHI_ENCRYPTION_KEYS: `bench1:${key()}`,
    PHI_BLIND_INDEX_KEYS: `benchi1:${key()}`,
    WHATSAPP_APP_SECRETS: run.appSecret,
    WHATSAPP_VERIFY_TOKEN: run.verifyToken,
    WHATSAPP_ACCESS_TOKEN: run.accessToken,
    GATEWAY_ENDPOINTS: JSON.stringify([{ channel: 'whatsapp', endpointId: run.endpointId, tenantId: run.tenantId, facilityId: 'bench-facility' }]),
    ...overrides,
  };
}

/** With --profile: the directory the gateway child writes its CPU profile of the measured stretch to (BENCH_PROFILE_DIR). */
export function profileEnv(ctx: BenchContext, bench: string): Record<string, string> {
  if (!ctx.profileDir) return {};
  const dir = join(ctx.profileDir, bench);
  mkdirSync(dir, { recursive: true });
  return { BENCH_PROFILE_DIR: dir };
}
