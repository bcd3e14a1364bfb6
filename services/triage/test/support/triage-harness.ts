import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { Channel, DispatchReason, InboundMessage, InteractiveReplyKind, OutboundMessageCommand, SkillOutcome, SkillTurn, Topics, triage, type TriageOutcome } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { createLogger } from '@careloop/observability';
import { startService, type RunningService } from '@careloop/service-kit';
import { infraEnv, mongoUriFor, TopicTap, uniqueName, waitFor, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import type { TriageSettings } from '../../src/config';
import { triageService } from '../../src/service';

export const FACILITY = 'madrid-central';

export interface TriageUnderTest {
  readonly running: RunningService<TriageSettings>;
  readonly tenantId: string;
  readonly database: string;
  readonly outbound: TopicTap<OutboundMessageCommand>;
  readonly outcomes: TopicTap<SkillOutcome>;
  readonly triageOutcomes: TopicTap<TriageOutcome>;
  readonly client: triage.TriageServiceClient;
  /** A conversation as routing would hand it over: one contact, one conversation id. */
  conversation(language?: string): Conversation;
  /** The raw stored documents of the assessments collection (to check what is sealed). */
  rawAssessments(): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export interface Conversation {
  readonly contactId: string;
  readonly conversationId: string;
  /** The patient picked "symptoms" from routing's menu. */
  menu(): Promise<string>;
  text(body: string): Promise<string>;
  press(replyId: string): Promise<string>;
  /** Outbound commands and the skill outcome caused by one turn. */
  answersTo(turnEventId: string, expected: number): Promise<{ messages: OutboundMessageCommand[]; outcome: SkillOutcome }>;
}

export async function startTriage(): Promise<TriageUnderTest> {
  const env = infraEnv();
  const tenantId = uniqueName('network');
  const database = uniqueName('triage_test').replace(/-/g, '_');
  const key = () => randomBytes(32).toString('base64');
  const running = await startService(triageService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
      OPS_PORT: '0',
      GRPC_PORT: '0',
      MONGODB_DATABASE: database,
      KAFKA_TOPIC_PARTITIONS: '3',
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      TRIAGE_FACILITIES: JSON.stringify({ [FACILITY]: { country: 'ES' } }),
      LOG_LEVEL: 'silent',
    },
    logger: createLogger({ service: 'triage', level: process.env['TRIAGE_TEST_LOG_LEVEL'] ?? 'silent' }),
    host: '127.0.0.1',
  });
  // Publishes turns the way routing does (routing's own bus identity is irrelevant to triage).
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'routing-double' });
  await bus.connect();
  const [outbound, outcomes, triageOutcomes] = await Promise.all([
    TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.skillOutcome, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.triageOutcome, [tenantId]),
  ]);
  const client = new triage.TriageServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
  const mongo = new MongoClient(mongoUriFor(env.MONGODB_URI, database));
  await mongo.connect();

  const conversation = (language = 'en'): Conversation => {
    const contactId = uniqueName('contact');
    const conversationId = uniqueName('conversation');
    const channelUserId = `34${Math.floor(600_000_000 + Math.random() * 99_999_999)}`;
    const turn = async (content: InboundMessage['content'], replyId: string, reason: DispatchReason) => {
      const now = new Date();
      const turnId = randomUUID();
      const message = InboundMessage.fromPartial({
        messageId: `wamid.${randomUUID()}`,
        to: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '34910000001', accountId: '102290129340398' },
        from: { channel: Channel.CHANNEL_WHATSAPP, channelUserId, phoneE164: `+${channelUserId}`, businessScopedUserId: '', profileName: '', username: '' },
        sentAt: now,
        receivedAt: now,
        content,
      });
      const payload = SkillTurn.fromPartial({
        turnId,
        contactId,
        conversationId,
        patientIds: [],
        language,
        endpoint: message.to,
        recipient: message.from,
        message,
        replyId,
        reason,
        windowOpen: true,
        receivedAt: now,
        facilityId: FACILITY,
      });
      await bus.publish(Topics.triageTurn, payload, { key: contactId, tenantId, facilityId: FACILITY, causationId: turnId, correlationId: conversationId, id: turnId });
      return turnId;
    };
    const reply = (id: string) => ({ $case: 'interactiveReply' as const, value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST, id, title: '', description: '' } });
    return {
      contactId,
      conversationId,
      menu: () => turn(reply('menu:symptoms'), 'menu:symptoms', DispatchReason.DISPATCH_REASON_MENU),
      text: (body) => turn({ $case: 'text', value: { body } }, '', DispatchReason.DISPATCH_REASON_OWNER),
      press: (replyId) => turn(reply(replyId), replyId, DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE),
      answersTo: async (turnEventId, expected) => {
        const mine = () => outbound.received().filter((e) => e.meta.causationId === turnEventId);
        const outcome = () => outcomes.received().find((e) => e.payload.turnId === turnEventId);
        await waitFor(`${expected} message(s) and the outcome of turn ${turnEventId}`, () => mine().length >= expected && outcome() !== undefined, 20_000);
        // Let a wrong extra message arrive before the caller counts.
        await new Promise((resolve) => setTimeout(resolve, 400));
        const o = outcome();
        if (!o) throw new Error('no outcome');
        return { messages: mine().map((e) => e.payload), outcome: o.payload };
      },
    };
  };

  return {
    running,
    tenantId,
    database,
    outbound,
    outcomes,
    triageOutcomes,
    client,
    conversation,
    rawAssessments: () => mongo.db(database).collection('assessments').find({ tenantId }).toArray(),
    stop: async () => {
      client.close();
      await Promise.all([outbound.stop(), outcomes.stop(), triageOutcomes.stop()]);
      await bus.close();
      await running.stop();
      await mongo.db(database).dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}

/** The body and reply ids of an outbound message, whatever its kind. */
export function shapeOf(command: OutboundMessageCommand): { kind: string; body: string; ids: string[] } {
  const c = command.content;
  switch (c?.$case) {
    case 'text':
      return { kind: 'text', body: c.value.body, ids: [] };
    case 'replyButtons':
      return { kind: 'buttons', body: c.value.body, ids: c.value.buttons.map((b) => b.id) };
    case 'interactiveList':
      return { kind: 'list', body: c.value.body, ids: c.value.sections.flatMap((s) => s.rows.map((r) => r.id)) };
    default:
      return { kind: c?.$case ?? 'none', body: '', ids: [] };
  }
}

export function call<Req, Res>(fn: (req: Req, cb: (error: grpc.ServiceError | null, res: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}
