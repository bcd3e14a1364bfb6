/**
 * Every Kafka topic of the platform, defined once, next to its schema.
 * Changing a name here is a breaking change: add a `.v2` topic instead.
 * deploy/ renders this registry for local runs and as Strimzi KafkaTopics.
 */
import { defineEvent, type EventDefinition } from './event-definition';
import { InboundMessage, protobufPackage as messagingPackage } from './gen/careloop/messaging/v1/inbound_message';
import { AccountAlert, MessageStatus } from './gen/careloop/messaging/v1/message_status';
import { OutboundMessageCommand, OutboundResult } from './gen/careloop/messaging/v1/outbound_message';

const DAY = 24;

export const Topics = {
  inboundMessage: defineEvent<InboundMessage>({
    topic: 'messaging.inbound-message.v1',
    type: `${messagingPackage}.InboundMessage`,
    codec: InboundMessage,
    partitions: 12,
    retentionHours: 7 * DAY,
    keyedBy: 'sender channel identity (channel:channel_user_id), so one person’s turns stay ordered',
    description: 'Messages people sent to a hospital, normalised by gateway from any channel.',
  }),
  messageStatus: defineEvent<MessageStatus>({
    topic: 'messaging.message-status.v1',
    type: `${messagingPackage}.MessageStatus`,
    codec: MessageStatus,
    partitions: 12,
    retentionHours: 7 * DAY,
    keyedBy: 'recipient channel identity',
    description: 'Sent / delivered / read / failed statuses of messages the platform sent.',
  }),
  accountAlert: defineEvent<AccountAlert>({
    topic: 'messaging.account-alert.v1',
    type: `${messagingPackage}.AccountAlert`,
    codec: AccountAlert,
    partitions: 1,
    retentionHours: 30 * DAY,
    keyedBy: 'business endpoint id',
    description: 'Errors about a business account as a whole (throughput, restrictions).',
  }),
  outboundCommand: defineEvent<OutboundMessageCommand>({
    topic: 'messaging.outbound-command.v1',
    type: `${messagingPackage}.OutboundMessageCommand`,
    codec: OutboundMessageCommand,
    partitions: 12,
    retentionHours: 3 * DAY,
    keyedBy: 'recipient channel identity, so one person’s messages leave in order',
    description: 'Requests to send one message to one person; gateway sends each at most once.',
  }),
  outboundResult: defineEvent<OutboundResult>({
    topic: 'messaging.outbound-result.v1',
    type: `${messagingPackage}.OutboundResult`,
    codec: OutboundResult,
    partitions: 12,
    retentionHours: 7 * DAY,
    keyedBy: 'recipient channel identity',
    description: 'Whether each outbound command was accepted by the channel or failed, and why.',
  }),
} as const;

export type TopicKey = keyof typeof Topics;

// Erased to `unknown` for code that handles every topic alike (provisioning, rendering).
export const ALL_EVENTS: readonly EventDefinition<unknown>[] = Object.values(Topics);
