import { webhookError, type MetaError } from '../meta-errors';
import type { StatusObject } from '../webhooks/payloads';
import { apiMajorVersion, pricingOf, type OutboundMessage } from './outbound-message';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * A status object as Meta's "Status messages webhook reference" documents it:
 * - `pricing` only with `sent` and one of `delivered`/`read` (the simulator: sent and delivered);
 * - `conversation` likewise, but "omitted entirely for v24.0+" (so it depends on the request's API
 *   version), and `expiration_timestamp` only on `sent`;
 * - a message sent to a business-scoped user id has `recipient_id: ""` and `recipient_user_id`;
 * - `biz_opaque_callback_data` echoes the send request's value;
 * - failed statuses carry `errors[]` and nothing else (status_failed_131047.json).
 */
export function statusObject(
  message: OutboundMessage,
  status: 'sent' | 'delivered' | 'read',
  at: number,
  windowClosesAt: number | undefined,
): StatusObject {
  const object: StatusObject = { id: message.wamid, status, timestamp: seconds(at), ...recipientFields(message) };
  if (message.payload.biz_opaque_callback_data !== undefined) object.biz_opaque_callback_data = message.payload.biz_opaque_callback_data;
  if (status === 'read') return object;
  if (apiMajorVersion(message.apiVersion) < 24) {
    const expiresAt = message.pricingCategory === 'service' && windowClosesAt !== undefined ? windowClosesAt / 1000 : at / 1000 + DAY_SECONDS;
    object.conversation = {
      id: message.conversationId,
      ...(status === 'sent' ? { expiration_timestamp: String(Math.floor(expiresAt)) } : {}),
      origin: { type: message.pricingCategory },
    };
  }
  const pricing = pricingOf(message);
  object.pricing = { billable: pricing.billable, pricing_model: 'PMP', category: pricing.category, type: pricing.type };
  return object;
}

export function failedStatusObject(message: OutboundMessage, error: MetaError, at: number): StatusObject {
  return { id: message.wamid, status: 'failed', timestamp: seconds(at), ...recipientFields(message), errors: [webhookError(error)] };
}

function recipientFields(message: OutboundMessage): Pick<StatusObject, 'recipient_id' | 'recipient_user_id'> {
  if (message.addressedBy === 'bsuid') return { recipient_id: '', recipient_user_id: message.bsuid ?? message.userKey };
  return { recipient_id: message.waId ?? message.userKey };
}

export function seconds(epochMs: number): string {
  return String(Math.floor(epochMs / 1000));
}
