import { z } from 'zod';
import type { FailureInjector } from '../graph-api/failure-injection';
import { graphParamPath, isRecord } from '../graph-api/parse-payload';
import { charCount } from '../graph-api/validate-message';
import { newMessengerMid } from '../ids';
import type { CustomerServiceWindows } from '../messaging/customer-service-window';
import { MetaError, META_ERRORS } from '../meta-errors';
import type { TranscriptStore } from '../transcript';

/**
 * A minimal Messenger Send API (`POST /{version}/me/messages`), Meta's Messenger Platform docs:
 * `recipient.id` (PSID), `messaging_type` RESPONSE | UPDATE | MESSAGE_TAG, `message.text` ≤ 2000
 * characters, ≤ 13 `quick_replies` with titles ≤ 20 and payloads ≤ 1000 characters. Answers
 * `{ recipient_id, message_id }`. Outside the 24-hour standard messaging window a non-tagged message
 * is refused with (#10) subcode 2018278; an unknown PSID with (#100) subcode 2018001.
 */
const quickReply = z.object({
  content_type: z.enum(['text', 'user_phone_number', 'user_email']),
  title: z.string().optional(),
  payload: z.union([z.string(), z.number()]).optional(),
  image_url: z.string().optional(),
});

export const messengerSendSchema = z.object({
  recipient: z.object({ id: z.string() }),
  messaging_type: z.enum(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']).optional(),
  tag: z.string().optional(),
  message: z
    .object({
      text: z.string().optional(),
      quick_replies: z.array(quickReply).optional(),
      attachment: z.looseObject({ type: z.string() }).optional(),
      metadata: z.string().optional(),
    })
    .optional(),
  sender_action: z.enum(['typing_on', 'typing_off', 'mark_seen']).optional(),
});

export type MessengerSendPayload = z.infer<typeof messengerSendSchema>;

export const MESSENGER_LIMITS = { text: 2000, quickReplies: 13, quickReplyTitle: 20, quickReplyPayload: 1000 } as const;

export interface MessengerOutbound {
  readonly mid: string;
  readonly pageId: string;
  readonly psid: string;
  readonly payload: MessengerSendPayload;
  readonly acceptedAt: number;
}

export type MessengerSendOutcome =
  | { kind: 'accepted'; body: { recipient_id: string; message_id?: string }; message: MessengerOutbound | undefined }
  | { kind: 'network-drop' };

export interface MessengerServiceDeps {
  readonly pageId: string;
  readonly now: () => number;
  readonly windows: CustomerServiceWindows;
  readonly transcript: TranscriptStore;
  readonly failures: FailureInjector;
  readonly knownUser: (psid: string) => boolean;
  readonly delivered: (message: MessengerOutbound) => void;
}

export class MessengerService {
  private readonly messages: MessengerOutbound[] = [];

  constructor(private readonly deps: MessengerServiceDeps) {}

  send(body: unknown): MessengerSendOutcome {
    const payload = parse(body);
    const psid = payload.recipient.id;
    if (!this.deps.knownUser(psid)) {
      throw new MetaError({ ...META_ERRORS.invalidParameter, message: '(#100) No matching user found', subcode: 2018001 });
    }
    const injected = this.deps.failures.take({ channel: 'messenger', phoneNumberId: this.deps.pageId, to: psid, type: payload.sender_action ?? 'message' });
    if (injected?.kind === 'network-drop') return { kind: 'network-drop' };
    if (injected !== undefined) throw injected.error;
    if (payload.sender_action !== undefined) return { kind: 'accepted', body: { recipient_id: psid }, message: undefined };

    const now = this.deps.now();
    const type = payload.messaging_type ?? 'RESPONSE';
    if (type !== 'MESSAGE_TAG' && !this.deps.windows.isOpen(this.deps.pageId, psid, now)) {
      throw new MetaError({
        code: 10,
        title: 'This message is sent outside of allowed window.',
        httpStatus: 400,
        subcode: 2018278,
        message: '(#10) This message is sent outside of allowed window.',
      });
    }
    const message: MessengerOutbound = { mid: newMessengerMid(), pageId: this.deps.pageId, psid, payload, acceptedAt: now };
    this.messages.push(message);
    this.deps.transcript.add({
      at: now,
      channel: 'messenger',
      business: this.deps.pageId,
      user: psid,
      kind: 'outbound',
      messageId: message.mid,
      messageType: payload.message?.attachment ? `attachment/${payload.message.attachment.type}` : 'text',
      text: renderMessengerOutbound(payload),
      payload,
    });
    this.deps.delivered(message);
    return { kind: 'accepted', body: { recipient_id: psid, message_id: message.mid }, message };
  }

  all(): readonly MessengerOutbound[] {
    return this.messages;
  }
}

function parse(body: unknown): MessengerSendPayload {
  if (!isRecord(body) || body['recipient'] === undefined) throw invalid('The parameter recipient is required');
  const result = messengerSendSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalid(`Param ${graphParamPath(issue?.path ?? [])} is invalid: ${issue?.message ?? 'invalid'}`);
  }
  const payload = result.data;
  if (payload.message === undefined && payload.sender_action === undefined) throw invalid('Must send either message or state');
  const message = payload.message;
  if (message !== undefined) {
    if (message.text === undefined && message.attachment === undefined) throw invalid('Message must contain text or attachment');
    if (message.text !== undefined && charCount(message.text) > MESSENGER_LIMITS.text) {
      throw invalid(`Length of param message[text] must be less than or equal to ${MESSENGER_LIMITS.text}`);
    }
    const replies = message.quick_replies ?? [];
    if (replies.length > MESSENGER_LIMITS.quickReplies) throw invalid(`param message[quick_replies] must have at most ${MESSENGER_LIMITS.quickReplies} elements`);
    replies.forEach((reply, i) => {
      if (reply.content_type !== 'text') return;
      if (reply.title === undefined || reply.title === '' || charCount(reply.title) > MESSENGER_LIMITS.quickReplyTitle) {
        throw invalid(`param message[quick_replies][${i}][title] must be 1-${MESSENGER_LIMITS.quickReplyTitle} characters`);
      }
      if (reply.payload === undefined || charCount(String(reply.payload)) > MESSENGER_LIMITS.quickReplyPayload) {
        throw invalid(`param message[quick_replies][${i}][payload] must be 1-${MESSENGER_LIMITS.quickReplyPayload} characters`);
      }
    });
  }
  return payload;
}

function invalid(message: string): MetaError {
  return new MetaError({ ...META_ERRORS.invalidParameter, message: `(#100) ${message}` });
}

export function renderMessengerOutbound(payload: MessengerSendPayload): string {
  const message = payload.message;
  if (message === undefined) return `[${payload.sender_action ?? 'action'}]`;
  const lines = [message.text ?? `[${message.attachment?.type ?? 'attachment'}]`];
  const replies = (message.quick_replies ?? []).filter((r) => r.content_type === 'text');
  if (replies.length > 0) lines.push(replies.map((r) => `( ${r.title ?? ''} ‹${String(r.payload ?? '')}› )`).join(' '));
  return lines.join('\n');
}
