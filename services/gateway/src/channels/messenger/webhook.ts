import { z } from 'zod';
import { Channel, InteractiveReplyKind, MediaKind, type BusinessEndpoint, type InboundMessage } from '@careloop/contracts';
import type { ParsedDelivery } from '../channel-adapter';
import { WebhookShapeError } from '../webhook-errors';

/* Messenger Platform webhook: `object: page`, `entry[].messaging[]` with
 * sender.id (PSID), recipient.id (page id), timestamp (ms) and a message or
 * postback. Loose schemas: only what we use is checked. */

const attachmentSchema = z.looseObject({ type: z.string(), payload: z.looseObject({ url: z.string().optional() }).optional() });

const messagingSchema = z.looseObject({
  sender: z.looseObject({ id: z.string().min(1) }),
  recipient: z.looseObject({ id: z.string().min(1) }),
  timestamp: z.number(),
  message: z
    .looseObject({
      mid: z.string().min(1),
      text: z.string().optional(),
      is_echo: z.boolean().optional(),
      quick_reply: z.looseObject({ payload: z.string() }).optional(),
      reply_to: z.looseObject({ mid: z.string().optional() }).optional(),
      attachments: z.array(attachmentSchema).optional(),
    })
    .optional(),
  postback: z.looseObject({ mid: z.string().optional(), payload: z.string(), title: z.string().optional() }).optional(),
});

export const messengerWebhookSchema = z.looseObject({
  object: z.literal('page'),
  entry: z.array(z.looseObject({ id: z.string(), time: z.number().optional(), messaging: z.array(z.unknown()).optional() })).min(1),
});

const MEDIA: Record<string, MediaKind> = {
  image: MediaKind.MEDIA_KIND_IMAGE,
  audio: MediaKind.MEDIA_KIND_AUDIO,
  video: MediaKind.MEDIA_KIND_VIDEO,
  file: MediaKind.MEDIA_KIND_DOCUMENT,
};

export function parseMessengerWebhook(body: unknown, receivedAt: Date): ParsedDelivery {
  const parsed = messengerWebhookSchema.safeParse(body);
  if (!parsed.success) throw new WebhookShapeError(parsed.error.issues[0]?.message ?? 'invalid Messenger webhook');
  const delivery: ParsedDelivery = { messages: [], statuses: [], alerts: [], ignoredFields: [] };
  for (const entry of parsed.data.entry) {
    for (const raw of entry.messaging ?? []) {
      const item = messagingSchema.safeParse(raw);
      if (!item.success) throw new WebhookShapeError(`entry ${entry.id}: ${item.error.issues[0]?.message ?? 'invalid messaging item'}`);
      const m = item.data;
      // Echoes of our own sends, deliveries and reads are not patient turns.
      if (m.message?.is_echo || (!m.message && !m.postback)) {
        delivery.ignoredFields.push('messaging');
        continue;
      }
      const to: BusinessEndpoint = { channel: Channel.CHANNEL_MESSENGER, endpointId: m.recipient.id, displayAddress: '', accountId: entry.id };
      const messageId = m.message?.mid ?? m.postback?.mid ?? `postback:${m.sender.id}:${m.timestamp}`;
      const message: InboundMessage = {
        messageId,
        to,
        from: { channel: Channel.CHANNEL_MESSENGER, channelUserId: m.sender.id, phoneE164: '', businessScopedUserId: m.sender.id, profileName: '', username: '' },
        sentAt: new Date(m.timestamp),
        receivedAt,
        context: m.message?.reply_to?.mid ? { repliedToMessageId: m.message.reply_to.mid, repliedToSender: '', forwarded: false, frequentlyForwarded: false } : undefined,
        referral: undefined,
        content: toContent(m),
      };
      delivery.messages.push({ endpointId: to.endpointId, message });
    }
  }
  return delivery;
}

function toContent(m: z.infer<typeof messagingSchema>): InboundMessage['content'] {
  if (m.postback) return { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: m.postback.payload, title: m.postback.title ?? '', description: '' } };
  const message = m.message;
  if (message?.quick_reply) return { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: message.quick_reply.payload, title: message.text ?? '', description: '' } };
  if (message?.text !== undefined) return { $case: 'text', value: { body: message.text } };
  const attachment = message?.attachments?.[0];
  const kind = attachment ? MEDIA[attachment.type] : undefined;
  if (attachment && kind !== undefined) {
    return { $case: 'media', value: { kind, mediaId: '', mimeType: '', sha256: '', caption: '', filename: '', voice: false, animated: false, url: attachment.payload?.url ?? '' } };
  }
  return { $case: 'unsupported', value: { channelType: attachment?.type ?? 'unknown', errors: [] } };
}
