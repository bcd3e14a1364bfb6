export { startSimulator, CloudApiSimulator, type InjectedFailureHandle, type SentMessageFilter, type SimulatorConfig } from './simulator';
export {
  DEFAULT_PAIR_RATE_LIMIT,
  DEFAULT_PHONE_NUMBER,
  type BusinessPhoneNumber,
  type MessengerOptions,
  type PairRateLimitOptions,
  type SimulatorOptions,
  type StatusTimingOptions,
  type WebhookRetryOptions,
} from './options';
export { PairRateLimiter } from './graph-api/rate-limits';
export { SimulatedPatient, type InboundResult, type PatientOptions, type ReplyOptions } from './patient/patient';
export type { ReceivedMessage, ReceivedListRow } from './patient/received-message';
export { SimulatedMessengerUser, type MessengerInboundResult, type MessengerUserOptions } from './messenger/messenger-user';
export { MESSENGER_LIMITS, type MessengerOutbound, type MessengerSendPayload } from './messenger/send-api';
export type { FailureMatch, FailureSpec, InjectedErrorResponse } from './graph-api/failure-injection';
export { HELLO_WORLD_TEMPLATE, type TemplateButton, type TemplateCategory, type TemplateDefinition, type SentTemplateButton } from './graph-api/templates';
export { LIMITS } from './graph-api/validate-message';
export type { OutboundMessageType, SendMessagePayload, MarkReadPayload } from './graph-api/send-payload';
export type { OutboundMessage, OutboundStatus, PricingCategory } from './messaging/outbound-message';
export { META_ERRORS, MetaError, graphErrorBody, type GraphErrorBody, type WebhookError } from './meta-errors';
export { renderTranscript, type RenderOptions, type TranscriptEntry, type Channel } from './transcript';
export { renderOutbound, renderInbound } from './render-message';
export type { RequestLogEntry, SimulatorStats } from './request-log';
export { isValidSignature, signatureFor, SIGNATURE_HEADER } from './webhooks/signature';
export type { WebhookAttempt, WebhookDelivery, WebhookKind } from './webhooks/webhook-sender';
export type { SubscriptionResult } from './webhooks/subscribe';
export type {
  InboundMessage,
  InboundMessageType,
  MessengerWebhook,
  StatusObject,
  WebhookContact,
  WhatsAppChangeValue,
  WhatsAppWebhook,
} from './webhooks/payloads';
