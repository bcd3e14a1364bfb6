import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { startSimulator, type CloudApiSimulator, type SimulatedPatient, type TemplateDefinition } from '@careloop/cloud-api-simulator';
import { createLogger } from '@careloop/observability';
import type { z } from 'zod';
import { promiseClient, startService, type PromiseClient, type ServiceDefinition } from '@careloop/service-kit';
import { infraEnv, uniqueName, waitFor, TopicTap, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import * as grpc from '@grpc/grpc-js';
import { Channel, crmApi, remindersApi, schedulingApi, Topics, type ConsentChanged } from '@careloop/contracts';
import { analyticsService } from '@careloop/analytics/service';
import { crmSyncService } from '@careloop/crm-sync/service';
import { EhrAudit, type EhrAuditEntry } from '@careloop/crm-sync/adapters/ehr-audit';
import { remindersService } from '@careloop/reminders/service';
import { gatewayService } from '@careloop/gateway/service';
import { routingService } from '@careloop/routing/service';
import { issueAgentToken } from '@careloop/routing/adapters/http/agent-auth';
import { schedulingService } from '@careloop/scheduling/service';
import { triageService } from '@careloop/triage/service';
import { waitForConsumersCaughtUp } from './catch-up';
import { resultsPolicy } from './ehr';

/** The hospital's WhatsApp number in the simulator, served by gateway for this run's tenant. */
export const WHATSAPP_NUMBER = '1000001';
/** The name routing gives the run's tenant in its messages. */
export const HOSPITAL_NAME = 'Hospital Demo';
const FACILITY = 'madrid-central';
const APP_SECRET = 'e2e-app-secret';
const VERIFY_TOKEN = 'e2e-verify-token';
const ACCESS_TOKEN = 'e2e-access-token';
const AGENT_JWT_SECRET = 'e2e-agent-jwt-secret-0123456789abcdef';

/** Every consumer group of the platform's services (after the run's group prefix). */
const REMINDERS_GROUPS = ['reminders.events', 'reminders.statuses', 'reminders.turns'];
const CONSUMER_GROUPS = [
  'gateway.outbound',
  'gateway.message-log',
  'routing.turns',
  'routing.skill-outcomes',
  'routing.statuses',
  'scheduling.turns',
  'triage.turns',
  ...REMINDERS_GROUPS,
  'analytics.rollups',
  'analytics.surveys',
  'analytics.survey-turns',
  'crm-sync.out',
  'crm-sync.ehr-turns',
];
const LANGUAGES = ['en', 'es', 'de', 'fr', 'tr', 'ru'] as const;
/**
 * The tenant's approved templates the journeys' flows send (the simulator refuses any other,
 * as Meta does): routing's one-time code (an authentication template: the code in the body and
 * in the copy-code button) and crm-sync's refill update (no parameters, no clinical detail).
 */
const TEMPLATES: readonly TemplateDefinition[] = LANGUAGES.flatMap((language): TemplateDefinition[] => [
  {
    name: 'careloop_verification_code',
    language,
    category: 'authentication',
    body: '*{{1}}* is your verification code. For your security, do not share this code.',
    buttons: [{ type: 'url', text: 'Copy code', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code={{1}}' }],
  },
  { name: 'careloop_request_update', language, category: 'utility', body: 'There is an update on your request. Reply to this message to see it.' },
]);
/** How long the consumer groups may take to get their partitions before the platform counts as failed to start. */
const CATCH_UP_MS = 120_000;

type Running = { readonly httpPort?: number | undefined; readonly grpcPort?: number | undefined; stop(): Promise<void> };

export interface Platform {
  readonly tenantId: string;
  readonly sim: CloudApiSimulator;
  readonly services: Readonly<Record<string, Running>>;
  readonly routingUrl: string;
  /** How long the consumer groups took, after the services started, to be stable with their partitions. */
  readonly startup: { readonly groupsReadyMs: number };
  /** scheduling's gRPC API (directory admin, appointments). */
  readonly scheduling: SchedulingApi;
  /** reminders' gRPC API (medication and vital-sign plans, preferences). */
  readonly reminders: RemindersApi;
  /** crm-sync's gRPC API (the tenant's EHR connectors). */
  readonly crmSync: CrmSyncApi;
  /** The EHR: the real FHIR R4 server crm-sync's connectors reach. */
  readonly fhirBaseUrl: string;
  /** Where crm-sync serves result PDFs (`EHR_DOCUMENT_BASE_URL`): document links start with it. */
  readonly ehrDocumentsUrl: string;
  /** crm-sync's audit of what the chat did with a patient's results (its `ehr_audit`, read as a privacy officer would). */
  ehrAudit(patientId: string): Promise<EhrAuditEntry[]>;
  /** The hospital's WhatsApp number as the services name it (endpoint of bookings and plans). */
  readonly endpoint: { readonly channel: Channel; readonly endpointId: string; readonly displayAddress: string; readonly accountId: string };
  patient(name: string, waId?: string): SimulatedPatient;
  /** routing's contact id of a patient, from the consent routing published when they accepted. */
  contactIdOf(patient: SimulatedPatient): Promise<string>;
  /** A staff member's bearer token for routing's inbox API (and analytics' reports: same secret). */
  agentToken(claims: { sub: string; role: 'agent' | 'supervisor'; queues?: string[]; tenant?: string }): string;
  inbox(path: string, token: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; json: Record<string, unknown> }>;
  /** An analytics report over REST (`/v1/reports/<name>?...`) as a supervisor of this tenant. */
  report(name: 'no-show' | 'csat' | 'reminders' | 'conversations' | 'messaging', query: Record<string, string>): Promise<Report>;
  /**
   * Restarts one service with extra settings, keeping its database and everything else: how a
   * test moves reminders' clock (REMINDERS_CLOCK_OFFSET_MS) to a later hour mid-run.
   */
  restart(name: 'reminders', env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** analytics' report body (REST). */
export interface Report {
  readonly total: { readonly values: Record<string, number | null> };
  /** One row per value of `group_by` (the key as analytics shows it, e.g. "confirmed"). */
  readonly rows: readonly { readonly key: string; readonly values: Record<string, number | null> }[];
}

/**
 * Waits for every promise, failed or not, then throws the first failure: services started or
 * stopped side by side are all settled (and those that started are in the list the caller
 * stops) before an error propagates.
 */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Starts services side by side; the tuple of what each start returned. */
function startAll<const T extends readonly (() => Promise<unknown>)[]>(starts: T): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  return settleAll(starts.map((s) => s())) as Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }>;
}

/**
 * The platform as `npm start` runs it — gateway, routing, scheduling, triage, reminders,
 * analytics (with its survey skill) and crm-sync (to the real FHIR server), each through its own composition root with its own
 * database — against the real local Kafka, FerretDB and Redis, with the Cloud API simulator
 * playing Meta. One process, so a test can see every span; each service still talks to the
 * others only over Kafka and gRPC.
 *
 * Time-bound settings are short so journeys need no waiting: appointment reminders 24 h before
 * (this tenant's policy, no quiet hours), no-show and survey sweeps every second, surveys one
 * second after the visit, no survey quiet hours.
 */
export async function startPlatform(): Promise<Platform> {
  const infra = infraEnv();
  const tenantId = uniqueName('e2e-network');
  const key = () => randomBytes(32).toString('base64');
  const common = {
    ...infra,
    HTTP_PORT: '0',
    OPS_PORT: '0',
    GRPC_PORT: '0',
    KAFKA_TOPIC_PARTITIONS: '3',
    KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
    // The shared cluster's history is other runs' traffic: this run's new groups start at the
    // records written since the file began (committed before they join, so a rebalance cannot
    // skip to the end and lose what came in between, as 'latest' could).
    KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
    PHI_ENCRYPTION_KEYS: `e2e:${key()}`,
    PHI_BLIND_INDEX_KEYS: `e2ei:${key()}`,
    LOG_LEVEL: 'silent',
  };
  const sim = await startSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    verifyToken: VERIFY_TOKEN,
    phoneNumbers: [{ id: WHATSAPP_NUMBER, displayPhoneNumber: '+34 910 000 001' }],
    autoRead: true,
    templates: TEMPLATES,
  });
  const started: Running[] = [];
  const envOf = new Map<string, Record<string, string>>();
  const start = async <S extends z.ZodObject>(definition: ServiceDefinition<S>, env: Record<string, string>) => {
    const full = { ...common, MONGODB_DATABASE: uniqueName(`e2e_${definition.name}`).replace(/-/g, '_'), ...env };
    envOf.set(definition.name, full);
    const running = await startService(definition, {
      env: full,
      logger: createLogger({ service: definition.name, level: process.env['E2E_LOG_LEVEL'] ?? 'silent' }),
      host: '127.0.0.1',
    });
    started.push(running);
    return running;
  };
  const consents = await TopicTap.start<ConsentChanged>(infra.KAFKA_BROKERS, Topics.consentChanged, [tenantId]);
  try {
    // Started in three tiers, each tier at once: a service waits only for the gRPC addresses it needs.
    const [gateway, scheduling, triage, analytics] = await startAll([
      () =>
        start(gatewayService, {
          WHATSAPP_APP_SECRETS: APP_SECRET,
          WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
          WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
          WHATSAPP_GRAPH_BASE_URL: sim.url,
          MESSENGER_GRAPH_BASE_URL: sim.url,
          GATEWAY_ENDPOINTS: JSON.stringify([{ channel: 'whatsapp', endpointId: WHATSAPP_NUMBER, tenantId, facilityId: FACILITY }]),
        }),
      () =>
        start(schedulingService, {
          SCHEDULING_PUBLIC_BASE_URL: 'http://127.0.0.1:1',
          SCHEDULING_SWEEP_MS: '1000',
          // Three days of slots are enough for "tomorrow" and keep one-minute schedules small.
          SCHEDULING_HORIZON_DAYS: '3',
        }),
      () => start(triageService, { TRIAGE_FACILITIES: JSON.stringify({ [FACILITY]: { country: 'ES' } }) }),
      () =>
        start(analyticsService, {
          AGENT_JWT_SECRET,
          SURVEY_DELAY_SECONDS: '1',
          SURVEY_SWEEP_MS: '1000',
          SURVEY_QUIET_HOURS_START: '0',
          SURVEY_QUIET_HOURS_END: '0',
        }),
    ]);
    sim.setWebhookUrl(`http://127.0.0.1:${gateway.httpPort ?? 0}/webhooks/whatsapp`);
    const fhirHost = new URL(infra.FHIR_BASE_URL).host;
    // A fixed HTTP port: result links name it (EHR_DOCUMENT_BASE_URL) before crm-sync listens.
    const ehrDocumentsUrl = `http://127.0.0.1:${await freePort()}`;
    const [crmSync, remindersRunning] = await startAll([
      () =>
        start(crmSyncService, {
          // Staff tokens on its audit API, like routing's and analytics'.
          AGENT_JWT_SECRET,
          HTTP_PORT: new URL(ehrDocumentsUrl).port,
          EHR_DOCUMENT_BASE_URL: ehrDocumentsUrl,
          EHR_RESULTS_POLICY: JSON.stringify(resultsPolicy(tenantId)),
          SCHEDULING_GRPC_ADDRESS: `127.0.0.1:${scheduling.grpcPort ?? 0}`,
          // The local FHIR server is on loopback: allowed explicitly, as npm start's local.env does.
          CRM_ALLOWED_HOSTS: fhirHost,
          CRM_PRIVATE_HOSTS_ALLOWED: fhirHost,
          CRM_ALLOW_PLAIN_HTTP: 'true',
          CRM_POLL_TICK_MS: '500',
        }),
      () =>
        start(remindersService, {
          SCHEDULING_GRPC_ADDRESS: `127.0.0.1:${scheduling.grpcPort ?? 0}`,
          REMINDERS_POLICIES: JSON.stringify({ [tenantId]: { offsets: [{ id: '24h', before: 'PT24H', askConfirmation: true }], quietHours: null } }),
          REMINDERS_REDIS_NAMESPACE: uniqueName('e2e').toLowerCase().replace(/[^a-z0-9-]/g, '-'),
        }),
    ]);
    const routing = await start(routingService, {
      AGENT_JWT_SECRET,
      ROUTING_AVAILABLE_SKILLS: 'scheduling,triage,reminders,survey,ehr',
      ROUTING_HOSPITAL_NAMES: JSON.stringify({ [tenantId]: HOSPITAL_NAME }),
      ROUTING_SLA_CHECK_MS: '1000',
      // Identity verification's patient lookup, then a one-time code (this tenant's policy asks for one).
      CRM_SYNC_GRPC_ADDRESS: `127.0.0.1:${crmSync.grpcPort ?? 0}`,
      ROUTING_VERIFICATION_OTP_TENANTS: tenantId,
    });
    const services: Record<string, Running> = { gateway, routing, scheduling, triage, reminders: remindersRunning, analytics, 'crm-sync': crmSync };
    const caughtUp = await waitForConsumersCaughtUp(infra.KAFKA_BROKERS, TEST_GROUP_PREFIX, CONSUMER_GROUPS, CATCH_UP_MS);
    const routingUrl = `http://127.0.0.1:${routing.httpPort ?? 0}`;
    const analyticsUrl = `http://127.0.0.1:${analytics.httpPort ?? 0}`;
    const schedulingClient = new schedulingApi.SchedulingServiceClient(`127.0.0.1:${scheduling.grpcPort ?? 0}`, grpc.credentials.createInsecure());
    const crmSyncClient = new crmApi.CrmSyncServiceClient(`127.0.0.1:${crmSync.grpcPort ?? 0}`, grpc.credentials.createInsecure());
    const remindersClientFor = (running: Running) => new remindersApi.RemindersServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
    let remindersClient = remindersClientFor(remindersRunning);
    let reminders: RemindersApi = promiseClient<remindersApi.RemindersServiceServer>(remindersClient, remindersApi.RemindersServiceService);
    const agentToken: Platform['agentToken'] = (claims) => issueAgentToken(AGENT_JWT_SECRET, { id: claims.sub, tenantId: claims.tenant ?? tenantId, role: claims.role, queues: claims.queues ?? [] });
    const platform: Platform = {
      tenantId,
      sim,
      services,
      routingUrl,
      startup: { groupsReadyMs: caughtUp.ms },
      scheduling: promiseClient<schedulingApi.SchedulingServiceServer>(schedulingClient, schedulingApi.SchedulingServiceService),
      get reminders() {
        return reminders;
      },
      crmSync: promiseClient<crmApi.CrmSyncServiceServer>(crmSyncClient, crmApi.CrmSyncServiceService),
      fhirBaseUrl: infra.FHIR_BASE_URL,
      ehrDocumentsUrl,
      ehrAudit: async (patientId) => {
        const mongo = crmSync.context.mongo;
        if (!mongo) throw new Error('crm-sync runs without MongoDB');
        const entries = await new EhrAudit(mongo).forPatient(tenantId, patientId);
        return entries.map((e) => ({ contactId: e.contactId, patientId: e.patientId, connectorId: e.connectorId, resource: e.resource, action: e.action, reason: e.reason, turnId: e.turnId, at: e.at }));
      },
      endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: WHATSAPP_NUMBER, displayAddress: '', accountId: '' },
      patient: (name, waId) => sim.patient({ waId: waId ?? `34${Math.floor(600_000_000 + Math.random() * 99_999_999)}`, profileName: name, phoneNumberId: WHATSAPP_NUMBER }),
      contactIdOf: async (patient) => {
        const event = await waitFor(
          `the consent of ${patient.profileName}`,
          () => consents.received().find((e) => e.payload.identities.some((i) => i.channelUserId === patient.waId)),
          30_000,
        );
        return event.payload.contactId;
      },
      agentToken,
      report: async (name, query) => {
        const token = agentToken({ sub: 'analyst-1', role: 'supervisor' });
        const res = await fetch(`${analyticsUrl}/v1/reports/${name}?${new URLSearchParams(query).toString()}`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status !== 200) throw new Error(`analytics ${name} report: HTTP ${res.status} ${await res.text()}`);
        return (await res.json()) as Report;
      },
      restart: async (name, env) => {
        const running = services[name];
        const previous = envOf.get(name);
        if (!running || !previous) throw new Error(`no running service ${name}`);
        await running.stop();
        started.splice(started.indexOf(running), 1);
        remindersClient.close();
        const again = await startService(remindersService, {
          env: { ...previous, ...env },
          logger: createLogger({ service: name, level: process.env['E2E_LOG_LEVEL'] ?? 'silent' }),
          host: '127.0.0.1',
        });
        started.push(again);
        services[name] = again;
        remindersClient = remindersClientFor(again);
        reminders = promiseClient<remindersApi.RemindersServiceServer>(remindersClient, remindersApi.RemindersServiceService);
        await waitForConsumersCaughtUp(infra.KAFKA_BROKERS, TEST_GROUP_PREFIX, REMINDERS_GROUPS, CATCH_UP_MS);
      },
      inbox: async (path, token, init = {}) => {
        const res = await fetch(`${routingUrl}${path}`, {
          method: init.method ?? 'GET',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });
        return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
      },
      stop: async () => {
        schedulingClient.close();
        remindersClient.close();
        crmSyncClient.close();
        // All at once: each waits for its consumers' fetches to end (up to kafkajs's 5-s wait), and
        // one after another that was half a minute per run.
        await settleAll(started.map((running) => running.stop()));
        await consents.stop();
        await sim.close();
      },
    };
    return platform;
  } catch (error) {
    await Promise.allSettled(started.map((running) => running.stop()));
    await consents.stop();
    await sim.close();
    throw error;
  }
}

/** scheduling's gRPC API as promises: `api.book(request)`. */
export type SchedulingApi = PromiseClient<schedulingApi.SchedulingServiceServer>;
/** reminders' gRPC API as promises. */
export type RemindersApi = PromiseClient<remindersApi.RemindersServiceServer>;
/** crm-sync's gRPC API as promises. */
export type CrmSyncApi = PromiseClient<crmApi.CrmSyncServiceServer>;

/** A free TCP port on loopback (for a service whose own URL must be known before it starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
