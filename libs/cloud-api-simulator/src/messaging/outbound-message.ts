import type { SendMessagePayload } from '../graph-api/send-payload';
import type { ResolvedTemplate, TemplateCategory } from '../graph-api/templates';

export type PricingCategory = 'service' | TemplateCategory;
export type OutboundStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

/** A message the Graph API accepted, and what has happened to it since. */
export interface OutboundMessage {
  readonly wamid: string;
  readonly phoneNumberId: string;
  /** Path version of the request, e.g. `v21.0`; it decides whether statuses carry `conversation`. */
  readonly apiVersion: string;
  /** `to` (or `recipient`) exactly as the business sent it. */
  readonly input: string;
  readonly addressedBy: 'phone' | 'bsuid';
  /** The user's wa_id, or business-scoped user id when they have no phone number. */
  readonly userKey: string;
  readonly waId: string | undefined;
  readonly bsuid: string | undefined;
  readonly payload: SendMessagePayload;
  readonly acceptedAt: number;
  /** Whether the customer service window was open when the message was accepted. */
  readonly inWindow: boolean;
  readonly pricingCategory: PricingCategory;
  readonly conversationId: string;
  readonly template: ResolvedTemplate | undefined;
  status: OutboundStatus;
  sentAt?: number;
  deliveredAt?: number;
  readAt?: number;
  failedAt?: number;
  failure?: { readonly code: number; readonly title: string; readonly details: string | undefined };
}

/**
 * Per-message pricing as status webhooks report it (Meta "Status messages webhook reference"):
 * free-form messages and utility templates inside the customer service window are
 * `free_customer_service`; everything else is `regular` and billable.
 */
export function pricingOf(message: OutboundMessage): { billable: boolean; category: PricingCategory; type: 'regular' | 'free_customer_service' } {
  const free = message.inWindow && (message.pricingCategory === 'service' || message.pricingCategory === 'utility');
  return { billable: !free, category: message.pricingCategory, type: free ? 'free_customer_service' : 'regular' };
}

/** `v23.0` → 23; anything unparsable is treated as current. */
export function apiMajorVersion(version: string): number {
  const match = /^v(\d+)/.exec(version);
  return match?.[1] !== undefined ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}
