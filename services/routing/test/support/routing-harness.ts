import { randomBytes, randomUUID } from 'node:crypto';
import { Channel, InboundMessage, InteractiveReplyKind, OutboundMessageCommand, Topics } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { startService, type RunningService } from '@careloop/service-kit';
import { createLogger } from '@careloop/observability';
import { infraEnv, TopicTap, uniqueName, waitFor, type TappedEvent, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import { routingService } from '../../src/service';
import type { RoutingSettings } from '../../src/config';
import { issueAgentToken, type Agent } from '../../src/adapters/http/agent-auth';

export const JWT_SECRET = 'routing-test-jwt-secret-0123456789';
export const WHATSAPP_NUMBER = '1000001';
export const MESSENGER_PAGE = '2000001';

export interface Sender {
  readonly channel: 'whatsapp' | 'messenger';
  readonly channelUserId: string;
  readonly phoneE164?: string;
  readonly bsuid?: string;
  readonly profileName?: string;
}

export interface RoutingUnderTest {
  readonly running: RunningService<RoutingSettings>;
  readonly tenantId: string;
  readonly otherTenantId: string;
  readonly baseUrl: string;
  readonly outbound: TopicTap<OutboundMessageCommand>;
  send(from: Sender, content: InboundMessage['content'], options?: { eventId?: string; messageId?: string }): Promise<string>;
  text(from: Sender, body: string): Promise<string>;
  reply(from: Sender, id: string, title?: string): Promise<string>;
  /** Outbound commands caused by one inbound event, once they stop arriving. */
  answersTo(eventId: string, expected?: number, timeoutMs?: number): Promise<OutboundMessageCommand[]>;
  token(agent: Partial<Agent> & { role: Agent['role'] }): string;
  api(path: string, token: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; json: Record<string, unknown> }>;
  bus: KafkaEventBus;
  stop(): Promise<void>;
}

export function whatsappSender(name = 'Patient'): Sender {
  const digits = `34${Math.floor(600_000_000 + Math.random() * 99_999_999)}`;
  return { channel: 'whatsapp', channelUserId: digits, phoneE164: `+${digits}`, profileName: name };
}

export async function startRouting(overrides: Record<string, string> | ((tenants: { tenantId: string; otherTenantId: string }) => Record<string, string>) = {}): Promise<RoutingUnderTest> {
  const env = infraEnv();
  const tenantId = uniqueName('network');
  const otherTenantId = uniqueName('other-network');
  const key = () => randomBytes(32).toString('base64');
  const running = await startService(routingService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
      HTTP_PORT: '0',
      OPS_PORT: '0',
      MONGODB_DATABASE: uniqueName('routing_test').replace(/-/g, '_'),
      KAFKA_TOPIC_PARTITIONS: '3',
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      AGENT_JWT_SECRET: JWT_SECRET,
      ROUTING_HOSPITAL_NAMES: JSON.stringify({ [tenantId]: 'Hospital Demo' }),
      LOG_LEVEL: 'silent',
      ...(typeof overrides === 'function' ? overrides({ tenantId, otherTenantId }) : overrides),
    },
    logger: createLogger({ service: 'routing', level: process.env['ROUTING_TEST_LOG_LEVEL'] ?? 'silent' }),
    host: '127.0.0.1',
  });
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'gateway-double' });
  await bus.connect();
  const outbound = await TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [tenantId, otherTenantId]);
  const baseUrl = `http://127.0.0.1:${running.httpPort ?? 0}`;

  const send = async (from: Sender, content: InboundMessage['content'], options: { eventId?: string; messageId?: string } = {}) => {
    const isMessenger = from.channel === 'messenger';
    const channel = isMessenger ? Channel.CHANNEL_MESSENGER : Channel.CHANNEL_WHATSAPP;
    const now = new Date();
    // Shaped exactly like gateway's events (gateway-normalised InboundMessage).
    const message = InboundMessage.fromPartial({
      messageId: options.messageId ?? `wamid.${randomUUID()}`,
      to: { channel, endpointId: isMessenger ? MESSENGER_PAGE : WHATSAPP_NUMBER, displayAddress: isMessenger ? '' : '34910000001', accountId: '102290129340398' },
      from: { channel, channelUserId: from.channelUserId, phoneE164: from.phoneE164 ?? '', businessScopedUserId: from.bsuid ?? '', profileName: from.profileName ?? '', username: '' },
      sentAt: now,
      receivedAt: now,
      content,
    });
    const meta = await bus.publish(Topics.inboundMessage, message, {
      key: `${from.channel}:${from.channelUserId}`,
      tenantId,
      facilityId: 'madrid-central',
      occurredAt: now,
      ...(options.eventId ? { id: options.eventId } : {}),
    });
    return meta.id;
  };

  const answersTo = async (eventId: string, expected?: number, timeoutMs = 20_000): Promise<OutboundMessageCommand[]> => {
    const mine = () => outbound.received().filter((e: TappedEvent<OutboundMessageCommand>) => e.meta.causationId === eventId);
    if (expected !== undefined && expected > 0) await waitFor(`${expected} answer(s) to ${eventId}`, () => mine().length >= expected, timeoutMs);
    // Let stragglers (a wrong extra message) arrive before the caller counts.
    await new Promise((resolve) => setTimeout(resolve, expected === 0 ? 2_500 : 800));
    return mine().map((e) => e.payload);
  };

  return {
    running,
    tenantId,
    otherTenantId,
    baseUrl,
    outbound,
    bus,
    send,
    text: (from, body) => send(from, { $case: 'text', value: { body } }),
    reply: (from, id, title = '') => send(from, { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id, title, description: '' } }),
    answersTo,
    token: (agent) => issueAgentToken(JWT_SECRET, { id: agent.id ?? 'agent-1', tenantId: agent.tenantId ?? tenantId, role: agent.role, queues: [...(agent.queues ?? [])] }),
    api: async (path, token, init = {}) => {
      const res = await fetch(`${baseUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    },
    stop: async () => {
      await outbound.stop();
      await bus.close();
      await running.stop();
    },
  };
}

/** Main text of an outbound command, whatever its kind. */
export function bodyOf(command: OutboundMessageCommand): string {
  const c = command.content;
  switch (c?.$case) {
    case 'text':
      return c.value.body;
    case 'interactiveList':
    case 'replyButtons':
      return c.value.body;
    default:
      return '';
  }
}
