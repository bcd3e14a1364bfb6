import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Consumer } from 'kafkajs';
import { AppointmentChanged, crmApi, DeadLetter, schedulingApi, Topics, type AppointmentSnapshot, type ConsentChanged, type ObservationRecorded, type ReminderChanged } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { createLogger } from '@careloop/observability';
import { promiseClient, startService, type PromiseClient, type RunningService } from '@careloop/service-kit';
import { infraEnv, kafkaClient, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT, uniqueName, waitFor } from '@careloop/testing';
import type { CrmSyncSettings } from '../../src/config';
import { crmSyncService } from '../../src/service';

export const FHIR_BASE_URL = (process.env['FHIR_BASE_URL'] ?? 'http://127.0.0.1:18090/fhir').replace(/\/+$/, '');

/** Fails fast and says what to do when the real FHIR server is not there (instead of timing out test by test). */
export async function requireFhirServer(): Promise<void> {
  try {
    const res = await fetch(`${FHIR_BASE_URL}/metadata`, { headers: { accept: 'application/fhir+json' }, signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as Resource;
    if (res.ok && body.resourceType === 'CapabilityStatement') return;
  } catch {
    // below
  }
  throw new Error(`FHIR server not reachable at ${FHIR_BASE_URL}: run bash deploy/local/infra.sh up`);
}

/** Plain FHIR REST against the real server, for what the tests set up and check. */
export const fhir = {
  async search<T extends Resource>(type: T['resourceType'], params: Record<string, string>): Promise<T[]> {
    const res = await fetch(`${FHIR_BASE_URL}/${type}?${new URLSearchParams(params).toString()}`, { headers: { accept: 'application/fhir+json', 'cache-control': 'no-cache' } });
    const bundle = (await res.json()) as Bundle<T>;
    return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
  },
  async history<T extends Resource>(type: T['resourceType'], id: string): Promise<T[]> {
    const res = await fetch(`${FHIR_BASE_URL}/${type}/${id}/_history`, { headers: { accept: 'application/fhir+json' } });
    const bundle = (await res.json()) as Bundle<T>;
    return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type).reverse();
  },
  async create<T extends Resource>(resource: T): Promise<T> {
    const res = await fetch(`${FHIR_BASE_URL}/${resource.resourceType}`, {
      method: 'POST',
      headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', prefer: 'return=representation' },
      body: JSON.stringify(resource),
    });
    if (res.status !== 201) throw new Error(`create ${resource.resourceType}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  },
  async update<T extends Resource & { id: string }>(resource: T): Promise<T> {
    const res = await fetch(`${FHIR_BASE_URL}/${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', prefer: 'return=representation' },
      body: JSON.stringify(resource),
    });
    if (res.status !== 200) throw new Error(`update ${resource.resourceType}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  },
};

/**
 * Stand-in for scheduling's gRPC ImportAppointment (another service's API, not infrastructure):
 * records each request and answers with the appointment id scheduling would derive.
 */
export class SchedulingStandIn {
  readonly imports: schedulingApi.ImportAppointmentRequest[] = [];
  private readonly server = new grpc.Server();
  address = '';

  static async start(): Promise<SchedulingStandIn> {
    const standIn = new SchedulingStandIn();
    const implementation: Pick<schedulingApi.SchedulingServiceServer, 'importAppointment'> = {
      importAppointment: (call, callback) => {
        standIn.imports.push(call.request);
        callback(null, { appointment: undefined });
      },
    };
    standIn.server.addService(schedulingApi.SchedulingServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      standIn.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p)));
    });
    standIn.address = `127.0.0.1:${port}`;
    return standIn;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Dead letters of one tenant on a topic's .dlq. */
export class DeadLetterTap {
  readonly letters: DeadLetter[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string, topic: string, tenantId: string): Promise<DeadLetterTap> {
    const consumer = kafkaClient(brokers, 'dlq-tap').consumer({ groupId: uniqueName('dlq-tap'), sessionTimeout: 10_000, heartbeatInterval: 500 });
    const tap = new DeadLetterTap(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const letter = DeadLetter.decode(message.value ?? Buffer.alloc(0));
        if (letter.tenantId === tenantId) tap.letters.push(letter);
        return Promise.resolve();
      },
    });
    return tap;
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export interface CrmSyncUnderTest {
  readonly running: RunningService<CrmSyncSettings>;
  readonly tenantId: string;
  readonly bus: KafkaEventBus;
  readonly api: crmApi.CrmSyncServiceClient;
  readonly rpc: PromiseClient<crmApi.CrmSyncServiceServer>;
  readonly scheduling: SchedulingStandIn;
  putConnector(overrides?: Partial<crmApi.Connector>): Promise<crmApi.Connector>;
  publishAppointment(change: AppointmentChanged): Promise<void>;
  publishObservation(observation: ObservationRecorded): Promise<void>;
  publishConsent(consent: ConsentChanged): Promise<void>;
  publishReminder(change: ReminderChanged): Promise<void>;
  stop(): Promise<void>;
}

const key = () => randomBytes(32).toString('base64');
/** Signs the staff tokens the tests send to the audit API (crm-sync's AGENT_JWT_SECRET). */
export const STAFF_JWT_SECRET = 'crm-sync-test-staff-jwt-secret-0123456789';

export async function startCrmSync(overrides: Record<string, string> | ((tenantId: string) => Record<string, string>) = {}): Promise<CrmSyncUnderTest> {
  const env = infraEnv();
  const tenantId = uniqueName('network');
  const scheduling = await SchedulingStandIn.start();
  const running = await startService(crmSyncService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
      OPS_PORT: '0',
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      MONGODB_DATABASE: uniqueName('crm_sync_test').replace(/-/g, '_'),
      KAFKA_TOPIC_PARTITIONS: '3',
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      AGENT_JWT_SECRET: STAFF_JWT_SECRET,
      SCHEDULING_GRPC_ADDRESS: scheduling.address,
      // Loopback is private: the local FHIR server and the closed port of the outage test are allowed explicitly.
      CRM_ALLOWED_HOSTS: '127.0.0.1,localhost',
      CRM_PRIVATE_HOSTS_ALLOWED: '127.0.0.1,localhost',
      CRM_ALLOW_PLAIN_HTTP: 'true',
      CRM_RETRY_INITIAL_DELAY_MS: '100',
      CRM_RETRY_MAX_DELAY_MS: '1000',
      CRM_BREAKER_COOLDOWN_MS: '500',
      CRM_REQUEST_TIMEOUT_MS: '5000',
      CRM_POLL_TICK_MS: '300',
      LOG_LEVEL: 'silent',
      ...(typeof overrides === 'function' ? overrides(tenantId) : overrides),
    },
    logger: createLogger({ service: 'crm-sync', level: process.env['CRM_SYNC_TEST_LOG_LEVEL'] ?? 'silent' }),
    host: '127.0.0.1',
  });
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'crm-sync-test-double' });
  await bus.connect();
  const api = new crmApi.CrmSyncServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
  const rpc = promiseClient<crmApi.CrmSyncServiceServer>(api, crmApi.CrmSyncServiceService);
  return {
    running,
    tenantId,
    bus,
    api,
    rpc,
    scheduling,
    putConnector: async (o = {}) => {
      const res = await rpc.putConnector({
        connector: {
          tenantId,
          connectorId: 'ehr',
          kind: crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4,
          baseUrl: FHIR_BASE_URL,
          enabled: true,
          flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT, crmApi.SyncFlow.SYNC_FLOW_OBSERVATIONS_OUT, crmApi.SyncFlow.SYNC_FLOW_CONSENT_OUT, crmApi.SyncFlow.SYNC_FLOW_COMMUNICATIONS_OUT],
          ratePerSecond: 0,
          mrnSystem: '',
          import: undefined,
          auth: undefined,
          hasCredentials: false,
          updatedAt: undefined,
          webhook: undefined,
          ...o,
        },
      });
      if (!res.connector) throw new Error('PutConnector answered without a connector');
      return res.connector;
    },
    publishAppointment: async (change) => {
      const a = change.appointment as AppointmentSnapshot;
      await bus.publish(Topics.appointmentChanged, change, { key: a.appointmentId, tenantId: a.tenantId, facilityId: a.facilityId });
    },
    publishObservation: async (o) => {
      await bus.publish(Topics.observationRecorded, o, { key: o.contactId, tenantId: o.tenantId, facilityId: o.facilityId });
    },
    publishReminder: async (r) => {
      await bus.publish(Topics.reminderChanged, r, { key: r.reminderId, tenantId: r.tenantId });
    },
    publishConsent: async (c) => {
      await bus.publish(Topics.consentChanged, c, { key: c.contactId, tenantId });
    },
    stop: async () => {
      api.close();
      await bus.close();
      await running.stop();
      await scheduling.stop();
    },
  };
}

export { waitFor };
