export * from './event-definition';
export { Topics, ALL_EVENTS, type TopicKey } from './topics';

export * as events from './gen/careloop/events/v1/envelope';
export * as messaging from './gen/careloop/messaging/v1/channel';
export * as inbound from './gen/careloop/messaging/v1/inbound_message';
export * as status from './gen/careloop/messaging/v1/message_status';
export * as outbound from './gen/careloop/messaging/v1/outbound_message';
export * as health from './gen/grpc/health/v1/health';

export { EventEnvelope, DeadLetter } from './gen/careloop/events/v1/envelope';
export { Channel, type ChannelIdentity, type BusinessEndpoint, type ChannelError, MediaKind } from './gen/careloop/messaging/v1/channel';
export { InboundMessage, InteractiveReplyKind } from './gen/careloop/messaging/v1/inbound_message';
export { MessageStatus, AccountAlert, DeliveryStatus } from './gen/careloop/messaging/v1/message_status';
export {
  OutboundMessageCommand,
  OutboundResult,
  TemplateComponentType,
  type TemplateMessage,
  type TemplateParameter,
  type Recipient,
  type InteractiveListMessage,
  type ReplyButtonsMessage,
} from './gen/careloop/messaging/v1/outbound_message';
export {
  SkillTurn,
  SkillOutcome,
  SkillOutcomeKind,
  DispatchReason,
  HandoverPriority,
  VerifiedPatient,
} from './gen/careloop/conversation/v1/turn';
export { ConsentChanged, ConsentState, ConversationClosed, ConversationState, HandoverChanged } from './gen/careloop/conversation/v1/events';
export * as scheduling from './gen/careloop/scheduling/v1/events';
export {
  AppointmentChanged,
  AppointmentChangeKind,
  AppointmentStatus,
  BookingChannel,
  ChangeSource,
  PatientResponse,
  WaitlistChanged,
  WaitlistChangeKind,
  type Appointment as AppointmentSnapshot,
  type ExternalId,
} from './gen/careloop/scheduling/v1/events';
export * as schedulingApi from './gen/careloop/scheduling/v1/scheduling';
export * as reminders from './gen/careloop/reminders/v1/events';
export * as remindersApi from './gen/careloop/reminders/v1/reminders';
export { ReminderChanged, ReminderKind, ReminderState, ObservationRecorded } from './gen/careloop/reminders/v1/events';
export * as analytics from './gen/careloop/analytics/v1/events';
export * as analyticsApi from './gen/careloop/analytics/v1/reports';
export { SurveyChanged, SurveyState, SurveySubject } from './gen/careloop/analytics/v1/events';
export * as triage from './gen/careloop/triage/v1/triage';
export { TriageOutcome, Acuity as TriageAcuity } from './gen/careloop/triage/v1/triage';
export * as crmApi from './gen/careloop/crm/v1/crm_sync';
