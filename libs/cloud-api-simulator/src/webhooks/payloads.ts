import type { WebhookError } from '../meta-errors';

/**
 * Webhook bodies in the shapes of /work/shared/fixtures/whatsapp (Meta's "messages" webhook
 * references). Property order follows the fixtures so logged bodies read the same.
 */

export interface WebhookMetadata {
  display_phone_number: string;
  phone_number_id: string;
}

/** `value.contacts[]`: phone users carry `wa_id`; username-only users only `user_id` (username_only_bsuid.json). */
export interface WebhookContact {
  profile: { name: string; username?: string };
  wa_id?: string;
  user_id?: string;
}

export interface InboundContext {
  from: string;
  id: string;
}

interface InboundBase {
  context?: InboundContext;
  from?: string;
  from_user_id?: string;
  id: string;
  timestamp: string;
}

export type InboundMessage = InboundBase &
  (
    | { type: 'text'; text: { body: string } }
    | { type: 'interactive'; interactive: { type: 'list_reply'; list_reply: { id: string; title: string; description?: string } } }
    | { type: 'interactive'; interactive: { type: 'button_reply'; button_reply: { id: string; title: string } } }
    | { type: 'button'; button: { payload: string; text: string } }
    | { type: 'image'; image: { caption?: string; mime_type: string; sha256: string; id: string } }
    | { type: 'location'; location: { latitude: number; longitude: number; name?: string; address?: string } }
    | { type: 'reaction'; reaction: { message_id: string; emoji: string } }
    | { type: 'unsupported'; errors: WebhookError[] }
  );

export type InboundMessageType = InboundMessage['type'];

export interface StatusConversation {
  id: string;
  expiration_timestamp?: string;
  origin: { type: string };
}

export interface StatusPricing {
  billable: boolean;
  pricing_model: 'PMP';
  category: string;
  type: 'regular' | 'free_customer_service';
}

export interface StatusObject {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: string;
  recipient_id: string;
  recipient_user_id?: string;
  biz_opaque_callback_data?: string;
  conversation?: StatusConversation;
  pricing?: StatusPricing;
  errors?: WebhookError[];
}

export interface WhatsAppChangeValue {
  messaging_product: 'whatsapp';
  metadata: WebhookMetadata;
  contacts?: WebhookContact[];
  messages?: InboundMessage[];
  statuses?: StatusObject[];
  errors?: WebhookError[];
}

export interface WhatsAppWebhook {
  object: 'whatsapp_business_account';
  entry: Array<{ id: string; changes: Array<{ value: WhatsAppChangeValue; field: 'messages' }> }>;
}

/** One change in one entry: how the simulator sends every WhatsApp event. */
export function whatsappWebhook(wabaId: string, value: WhatsAppChangeValue): WhatsAppWebhook {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, changes: [{ value, field: 'messages' }] }] };
}

export interface MessengerMessagingEvent {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  message: { mid: string; text: string; quick_reply?: { payload: string } };
}

/** Messenger page webhook (messenger_text.json): times in epoch milliseconds. */
export interface MessengerWebhook {
  object: 'page';
  entry: Array<{ id: string; time: number; messaging: MessengerMessagingEvent[] }>;
}
