import type { AccountAlert, Channel, InboundMessage, MessageStatus, OutboundMessageCommand } from '@careloop/contracts';
import type { SendSlot } from './http-transport';

/** What one webhook delivery carried, normalised, before endpoints are mapped to tenants. */
export interface ParsedDelivery {
  messages: { endpointId: string; message: InboundMessage }[];
  statuses: { endpointId: string; status: MessageStatus }[];
  alerts: { endpointId: string; alert: AccountAlert }[];
  /** Webhook fields we acknowledge but do not route (template updates...). */
  ignoredFields: string[];
}

/** The channel's answer to one send request. */
export type SendOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string }
  | { readonly kind: 'rejected'; readonly retry: RetryClass; readonly httpStatus: number; readonly code: number; readonly title: string; readonly details: string }
  /** Not sent: the request would have left later than its slot allows (only when sent at a slot). */
  | { readonly kind: 'slot_missed'; readonly lateMs: number };

/**
 * throttled: the channel asked us to slow down (retry after backoff);
 * transient: the channel did not take the message (server error, connection
 *   refused): retrying cannot duplicate it;
 * unknown: the request may have reached the channel (timeout, reset): retrying
 *   could send it twice, so it is not retried but reconciled from status webhooks;
 * permanent: retrying cannot help.
 */
export type RetryClass = 'throttled' | 'transient' | 'unknown' | 'permanent';

/**
 * One messaging channel: how its webhooks look and how to send through it.
 * WhatsApp and Messenger implement it; Viber, LINE or SMS would be one more
 * implementation each (see docs/gateway.md).
 */
export interface ChannelAdapter {
  readonly channel: Channel;
  /** Path segment of the webhook route: /webhooks/<name>. */
  readonly name: string;
  /** App secrets accepted for X-Hub-Signature-256 (several during a rotation). */
  readonly appSecrets: readonly string[];
  readonly verifyToken: string;
  parseWebhook(body: unknown, receivedAt: Date): ParsedDelivery;
  /** Meta-documented limits, checked before anything is sent; returns the violations. */
  validate(command: OutboundMessageCommand): string[];
  /** Sends now, or at `slot` when given (then possibly not at all: `slot_missed`). */
  send(command: OutboundMessageCommand, content: SendableContent, slot?: SendSlot): Promise<SendOutcome>;
}

/** What is actually sent: the command's content, or its template fallback when the window is closed. */
export type SendableContent = NonNullable<OutboundMessageCommand['content']>;
