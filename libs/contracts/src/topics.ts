/**
 * Every Kafka topic of the platform, defined once, next to its schema.
 * Changing a name here is a breaking change: add a `.v2` topic instead.
 * deploy/ renders this registry for local runs and as Strimzi KafkaTopics.
 */
import { defineEvent, type EventDefinition } from './event-definition';
import { InboundMessage, protobufPackage as messagingPackage } from './gen/careloop/messaging/v1/inbound_message';
import { AccountAlert, MessageStatus } from './gen/careloop/messaging/v1/message_status';
import { OutboundMessageCommand, OutboundResult } from './gen/careloop/messaging/v1/outbound_message';

import { SkillOutcome, SkillTurn, protobufPackage as conversationPackage } from './gen/careloop/conversation/v1/turn';
import { ConsentChanged, ConversationClosed, HandoverChanged } from './gen/careloop/conversation/v1/events';
import { AppointmentChanged, WaitlistChanged, protobufPackage as schedulingPackage } from './gen/careloop/scheduling/v1/events';
import { ObservationRecorded, ReminderChanged, protobufPackage as remindersPackage } from './gen/careloop/reminders/v1/events';
import { SurveyChanged, protobufPackage as analyticsPackage } from './gen/careloop/analytics/v1/events';
import { TriageOutcome, protobufPackage as triagePackage } from './gen/careloop/triage/v1/triage';

const DAY = 24;

/** Each skill gets its turns on its own topic, named by the skill (the reply-id namespace maps to it). */
function skillTurns(skill: string, description: string) {
  return defineEvent<SkillTurn>({
    topic: `${skill}.turn.v1`,
    type: `${conversationPackage}.SkillTurn`,
    codec: SkillTurn,
    partitions: 12,
    retentionHours: 3 * DAY,
    keyedBy: 'contact id, so one contact’s turns reach the skill in order',
    description,
  });
}

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
  schedulingTurn: skillTurns('scheduling', 'Turns for the booking dialogue (reply ids "sched:...").'),
  appointmentChanged: defineEvent<AppointmentChanged>({
    topic: 'scheduling.appointment.v1',
    type: `${schedulingPackage}.AppointmentChanged`,
    codec: AppointmentChanged,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'appointment id, so one appointment’s changes stay ordered (consumers also compare appointment.version)',
    description: 'Every change of an appointment (booked, rescheduled, cancelled, confirmed, attendance, EHR import) with its full PHI-free snapshot.',
  }),
  waitlistChanged: defineEvent<WaitlistChanged>({
    topic: 'scheduling.waitlist.v1',
    type: `${schedulingPackage}.WaitlistChanged`,
    codec: WaitlistChanged,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'waitlist entry id',
    description: 'Waitlist entries joined, offered a freed slot, accepted, declined, expired, left.',
  }),
  triageTurn: skillTurns('triage', 'Turns for symptom assessment (reply ids "triage:...").'),
  triageOutcome: defineEvent<TriageOutcome>({
    topic: 'triage.outcome.v1',
    type: `${triagePackage}.TriageOutcome`,
    codec: TriageOutcome,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'contact id',
    description: 'Outcome of a symptom assessment: acuity, department, red flags, protocol version. No free text.',
  }),
  remindersTurn: skillTurns('reminders', 'Turns answering reminders (reply ids "rem:...").'),
  reminderChanged: defineEvent<ReminderChanged>({
    topic: 'reminders.reminder.v1',
    type: `${remindersPackage}.ReminderChanged`,
    codec: ReminderChanged,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'reminder id (consumers also compare sequence)',
    description: 'Reminder occurrences scheduled, sent, delivered, read, confirmed, cancelled, failed or skipped (with a reason code).',
  }),
  observationRecorded: defineEvent<ObservationRecorded>({
    topic: 'reminders.observation.v1',
    type: `${remindersPackage}.ObservationRecorded`,
    codec: ObservationRecorded,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'contact id',
    description: 'Measurements patients reported in answer to vital-sign prompts (LOINC code, value, UCUM unit).',
  }),
  surveyTurn: skillTurns('survey', 'Turns answering satisfaction surveys (reply ids "survey:...").'),
  surveyChanged: defineEvent<SurveyChanged>({
    topic: 'analytics.survey.v1',
    type: `${analyticsPackage}.SurveyChanged`,
    codec: SurveyChanged,
    partitions: 12,
    retentionHours: 365 * DAY,
    keyedBy: 'survey id (consumers also compare version)',
    description: 'Satisfaction surveys sent, rated, commented or skipped (PHI-free snapshot; the comment text stays in analytics, encrypted).',
  }),
  ehrTurn: skillTurns('ehr', 'Turns for results and refills (reply ids "ehr:...").'),
  skillOutcome: defineEvent<SkillOutcome>({
    topic: 'conversation.skill-outcome.v1',
    type: `${conversationPackage}.SkillOutcome`,
    codec: SkillOutcome,
    partitions: 12,
    retentionHours: 3 * DAY,
    keyedBy: 'contact id',
    description: 'A skill keeps, returns or escalates a conversation after a turn.',
  }),
  consentChanged: defineEvent<ConsentChanged>({
    topic: 'conversation.consent.v1',
    type: `${conversationPackage}.ConsentChanged`,
    codec: ConsentChanged,
    partitions: 12,
    retentionHours: 365 * DAY,
    keyedBy: 'contact id',
    description: 'Messaging consent per contact; every sender enforces the latest state.',
  }),
  conversationClosed: defineEvent<ConversationClosed>({
    topic: 'conversation.closed.v1',
    type: `${conversationPackage}.ConversationClosed`,
    codec: ConversationClosed,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'contact id',
    description: 'A conversation was closed; surveys follow up on agent-handled ones.',
  }),
  handoverChanged: defineEvent<HandoverChanged>({
    topic: 'conversation.handover.v1',
    type: `${conversationPackage}.HandoverChanged`,
    codec: HandoverChanged,
    partitions: 12,
    retentionHours: 30 * DAY,
    keyedBy: 'contact id',
    description: 'Queued for a human, assigned, transferred, back to the bot.',
  }),
} as const;

export type TopicKey = keyof typeof Topics;

// Erased to `unknown` for code that handles every topic alike (provisioning, rendering).
export const ALL_EVENTS: readonly EventDefinition<unknown>[] = Object.values(Topics);
