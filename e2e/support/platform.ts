import { randomBytes } from 'node:crypto';
import { startSimulator, type CloudApiSimulator, type SimulatedPatient } from '@careloop/cloud-api-simulator';
import { createLogger } from '@careloop/observability';
import type { z } from 'zod';
import { promiseClient, startService, type PromiseClient, type ServiceDefinition } from '@careloop/service-kit';
import { infraEnv, uniqueName, TEST_GROUP_PREFIX } from '@careloop/testing';
import * as grpc from '@grpc/grpc-js';
import { schedulingApi } from '@careloop/contracts';
import { gatewayService } from '@careloop/gateway/service';
import { routingService } from '@careloop/routing/service';
import { issueAgentToken } from '@careloop/routing/adapters/http/agent-auth';
import { schedulingService } from '@careloop/scheduling/service';
import { triageService } from '@careloop/triage/service';

/** The hospital's WhatsApp number in the simulator, served by gateway for this run's tenant. */
export const WHATSAPP_NUMBER = '1000001';
const FACILITY = 'madrid-central';
const APP_SECRET = 'e2e-app-secret';
const VERIFY_TOKEN = 'e2e-verify-token';
const ACCESS_TOKEN = 'e2e-access-token';
const AGENT_JWT_SECRET = 'e2e-agent-jwt-secret-0123456789abcdef';

export interface Platform {
  readonly tenantId: string;
  readonly sim: CloudApiSimulator;
  readonly services: Readonly<Record<string, { readonly httpPort?: number | undefined; readonly grpcPort?: number | undefined; stop(): Promise<void> }>>;
  readonly routingUrl: string;
  /** scheduling's gRPC API (directory admin, appointments). */
  readonly scheduling: SchedulingApi;
  patient(name: string, waId?: string): SimulatedPatient;
  /** A staff member's bearer token for routing's inbox API. */
  agentToken(claims: { sub: string; role: 'agent' | 'supervisor'; queues?: string[]; tenant?: string }): string;
  inbox(path: string, token: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/**
 * The platform as `npm start` runs it — gateway, routing and the skills, each through its own
 * composition root with its own database — against the real local Kafka, FerretDB and Redis,
 * with the Cloud API simulator playing Meta. One process, so a test can see every span; each
 * service still talks to the others only over Kafka and gRPC.
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
  });
  const started: { stop(): Promise<void> }[] = [];
  const start = async <S extends z.ZodObject>(definition: ServiceDefinition<S>, env: Record<string, string>) => {
    const running = await startService(definition, {
      env: { ...common, MONGODB_DATABASE: uniqueName(`e2e_${definition.name}`).replace(/-/g, '_'), ...env },
      logger: createLogger({ service: definition.name, level: process.env['E2E_LOG_LEVEL'] ?? 'silent' }),
      host: '127.0.0.1',
    });
    started.push(running);
    return running;
  };
  try {
    const gateway = await start(gatewayService, {
      WHATSAPP_APP_SECRETS: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_GRAPH_BASE_URL: sim.url,
      MESSENGER_GRAPH_BASE_URL: sim.url,
      GATEWAY_ENDPOINTS: JSON.stringify([{ channel: 'whatsapp', endpointId: WHATSAPP_NUMBER, tenantId, facilityId: FACILITY }]),
    });
    sim.setWebhookUrl(`http://127.0.0.1:${gateway.httpPort ?? 0}/webhooks/whatsapp`);
    const routing = await start(routingService, {
      AGENT_JWT_SECRET,
      ROUTING_AVAILABLE_SKILLS: 'scheduling,triage',
      ROUTING_HOSPITAL_NAMES: JSON.stringify({ [tenantId]: 'Hospital Demo' }),
      ROUTING_SLA_CHECK_MS: '1000',
    });
    const scheduling = await start(schedulingService, { SCHEDULING_PUBLIC_BASE_URL: 'http://127.0.0.1:1' });
    const triage = await start(triageService, { TRIAGE_FACILITIES: JSON.stringify({ [FACILITY]: { country: 'ES' } }) });
    const routingUrl = `http://127.0.0.1:${routing.httpPort ?? 0}`;
    const schedulingClient = new schedulingApi.SchedulingServiceClient(`127.0.0.1:${scheduling.grpcPort ?? 0}`, grpc.credentials.createInsecure());
    return {
      tenantId,
      sim,
      services: { gateway, routing, scheduling, triage },
      routingUrl,
      scheduling: promiseClient<schedulingApi.SchedulingServiceServer>(schedulingClient, schedulingApi.SchedulingServiceService),
      patient: (name, waId) => sim.patient({ waId: waId ?? `34${Math.floor(600_000_000 + Math.random() * 99_999_999)}`, profileName: name, phoneNumberId: WHATSAPP_NUMBER }),
      agentToken: (claims) => issueAgentToken(AGENT_JWT_SECRET, { id: claims.sub, tenantId: claims.tenant ?? tenantId, role: claims.role, queues: claims.queues ?? [] }),
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
        for (const running of started.reverse()) await running.stop();
        await sim.close();
      },
    };
  } catch (error) {
    for (const running of started.reverse()) await running.stop().catch(() => undefined);
    await sim.close();
    throw error;
  }
}

/** scheduling's gRPC API as promises: `api.book(request)`. */
export type SchedulingApi = PromiseClient<schedulingApi.SchedulingServiceServer>;
