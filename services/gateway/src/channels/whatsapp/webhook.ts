import { z } from 'zod';
import {
  Channel,
  DeliveryStatus,
  InteractiveReplyKind,
  MediaKind,
  type AccountAlert,
  type BusinessEndpoint,
  type ChannelError,
  type InboundMessage,
  type MessageStatus,
} from '@careloop/contracts';
import type { ParsedDelivery } from '../channel-adapter';
import { WebhookShapeError } from '../webhook-errors';

/*
 * The WhatsApp Cloud API webhook, as Meta documents it: `object:
 * whatsapp_business_account`, `entry[].changes[]` with `field` and `value`
 * (`metadata`, `contacts`, `messages`, `statuses`, `errors`). Schemas are loose
 * (Meta adds fields without notice); only what we use is checked.
 */

const errorSchema = z.looseObject({
  code: z.number(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
  href: z.string().optional(),
});

const mediaSchema = z.looseObject({
  id: z.string().optional(),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

const messageSchema = z.looseObject({
  id: z.string().min(1),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  timestamp: z.string().regex(/^\d+$/),
  type: z.string(),
  context: z
    .looseObject({ from: z.string().optional(), id: z.string().optional(), forwarded: z.boolean().optional(), frequently_forwarded: z.boolean().optional() })
    .optional(),
  referral: z
    .looseObject({
      source_url: z.string().optional(),
      source_id: z.string().optional(),
      source_type: z.string().optional(),
      headline: z.string().optional(),
      body: z.string().optional(),
      media_type: z.string().optional(),
      ctwa_clid: z.string().optional(),
    })
    .optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      list_reply: z.looseObject({ id: z.string(), title: z.string().optional(), description: z.string().optional() }).optional(),
      button_reply: z.looseObject({ id: z.string(), title: z.string().optional() }).optional(),
    })
    .optional(),
  button: z.looseObject({ payload: z.string().optional(), text: z.string().optional() }).optional(),
  image: mediaSchema.optional(),
  audio: mediaSchema.optional(),
  video: mediaSchema.optional(),
  document: mediaSchema.optional(),
  sticker: mediaSchema.optional(),
  location: z
    .looseObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional(), url: z.string().optional() })
    .optional(),
  contacts: z
    .array(
      z.looseObject({
        name: z.looseObject({ formatted_name: z.string().optional() }).optional(),
        phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
        emails: z.array(z.looseObject({ email: z.string().optional() })).optional(),
      }),
    )
    .optional(),
  reaction: z.looseObject({ message_id: z.string(), emoji: z.string().optional() }).optional(),
  errors: z.array(errorSchema).optional(),
});

const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string().regex(/^\d+$/),
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  conversation: z
    .looseObject({ id: z.string().optional(), origin: z.looseObject({ type: z.string().optional() }).optional() })
    .optional(),
  pricing: z
    .looseObject({ billable: z.boolean().optional(), pricing_model: z.string().optional(), category: z.string().optional(), type: z.string().optional() })
    .optional(),
  errors: z.array(errorSchema).optional(),
});

const valueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: z.looseObject({ display_phone_number: z.string().optional(), phone_number_id: z.string().min(1) }),
  contacts: z
    .array(
      z.looseObject({
        wa_id: z.string().optional(),
        user_id: z.string().optional(),
        profile: z.looseObject({ name: z.string().optional(), username: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  messages: z.array(messageSchema).optional(),
  statuses: z.array(statusSchema).optional(),
  errors: z.array(errorSchema).optional(),
});

export const whatsappWebhookSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z
    .array(
      z.looseObject({
        id: z.string(),
        changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
      }),
    )
    .min(1),
});

const MEDIA_KINDS = {
  image: MediaKind.MEDIA_KIND_IMAGE,
  audio: MediaKind.MEDIA_KIND_AUDIO,
  video: MediaKind.MEDIA_KIND_VIDEO,
  document: MediaKind.MEDIA_KIND_DOCUMENT,
  sticker: MediaKind.MEDIA_KIND_STICKER,
} as const;

const STATUSES: Record<string, DeliveryStatus> = {
  sent: DeliveryStatus.DELIVERY_STATUS_SENT,
  delivered: DeliveryStatus.DELIVERY_STATUS_DELIVERED,
  read: DeliveryStatus.DELIVERY_STATUS_READ,
  failed: DeliveryStatus.DELIVERY_STATUS_FAILED,
  deleted: DeliveryStatus.DELIVERY_STATUS_DELETED,
  played: DeliveryStatus.DELIVERY_STATUS_PLAYED,
};

const fromEpochSeconds = (s: string) => new Date(Number(s) * 1000);

function toChannelError(e: z.infer<typeof errorSchema>): ChannelError {
  return { code: e.code, title: e.title ?? '', message: e.message ?? '', details: e.error_data?.details ?? '', href: e.href ?? '' };
}

/** Normalises one WhatsApp webhook delivery. Throws WebhookShapeError when it is not one. */
export function parseWhatsappWebhook(body: unknown, receivedAt: Date): ParsedDelivery {
  const parsed = whatsappWebhookSchema.safeParse(body);
  if (!parsed.success) throw new WebhookShapeError(describe(parsed.error));
  const delivery: ParsedDelivery = { messages: [], statuses: [], alerts: [], ignoredFields: [] };

  for (const entry of parsed.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') {
        // account_update, message_template_status_update...: acknowledged, counted, not ours to route.
        delivery.ignoredFields.push(change.field);
        continue;
      }
      const value = valueSchema.safeParse(change.value);
      if (!value.success) throw new WebhookShapeError(`entry ${entry.id}: ${describe(value.error)}`);
      const v = value.data;
      const endpoint: BusinessEndpoint = {
        channel: Channel.CHANNEL_WHATSAPP,
        endpointId: v.metadata.phone_number_id,
        displayAddress: v.metadata.display_phone_number ?? '',
        accountId: entry.id,
      };

      for (const m of v.messages ?? []) {
        delivery.messages.push({ endpointId: endpoint.endpointId, message: toInboundMessage(m, v.contacts ?? [], endpoint, receivedAt) });
      }
      for (const s of v.statuses ?? []) {
        delivery.statuses.push({ endpointId: endpoint.endpointId, status: toMessageStatus(s, endpoint) });
      }
      if (v.errors?.length) {
        const alert: AccountAlert = { endpoint, occurredAt: receivedAt, errors: v.errors.map(toChannelError), sourceField: change.field };
        delivery.alerts.push({ endpointId: endpoint.endpointId, alert });
      }
    }
  }
  return delivery;
}

type WaMessage = z.infer<typeof messageSchema>;
type WaContact = NonNullable<z.infer<typeof valueSchema>['contacts']>[number];

function toInboundMessage(m: WaMessage, contacts: readonly WaContact[], to: BusinessEndpoint, receivedAt: Date): InboundMessage {
  // Users with a username may have no phone number: identity is the wa_id when
  // present, else the business-scoped user id.
  const contact = contacts.find((c) => (m.from !== undefined && c.wa_id === m.from) || (m.from_user_id !== undefined && c.user_id === m.from_user_id));
  const waId = m.from ?? contact?.wa_id ?? '';
  const bsuid = m.from_user_id ?? contact?.user_id ?? '';
  const channelUserId = waId || bsuid;
  if (!channelUserId) throw new WebhookShapeError(`message ${m.id} has neither "from" nor "from_user_id"`);
  return {
    messageId: m.id,
    to,
    from: {
      channel: Channel.CHANNEL_WHATSAPP,
      channelUserId,
      phoneE164: waId ? `+${waId}` : '',
      businessScopedUserId: bsuid,
      profileName: contact?.profile?.name ?? '',
      username: contact?.profile?.username ?? '',
    },
    sentAt: fromEpochSeconds(m.timestamp),
    receivedAt,
    context: m.context
      ? {
          repliedToMessageId: m.context.id ?? '',
          repliedToSender: m.context.from ?? '',
          forwarded: m.context.forwarded ?? false,
          frequentlyForwarded: m.context.frequently_forwarded ?? false,
        }
      : undefined,
    referral: m.referral
      ? {
          sourceUrl: m.referral.source_url ?? '',
          sourceId: m.referral.source_id ?? '',
          sourceType: m.referral.source_type ?? '',
          headline: m.referral.headline ?? '',
          body: m.referral.body ?? '',
          mediaType: m.referral.media_type ?? '',
          ctwaClid: m.referral.ctwa_clid ?? '',
        }
      : undefined,
    content: toContent(m),
  };
}

function toContent(m: WaMessage): InboundMessage['content'] {
  const unsupported = (): InboundMessage['content'] => ({
    $case: 'unsupported',
    value: { channelType: m.type, errors: (m.errors ?? []).map(toChannelError) },
  });
  switch (m.type) {
    case 'text':
      return m.text ? { $case: 'text', value: { body: m.text.body } } : unsupported();
    case 'interactive': {
      const list = m.interactive?.list_reply;
      const button = m.interactive?.button_reply;
      if (list) return { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST, id: list.id, title: list.title ?? '', description: list.description ?? '' } };
      if (button) return { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: button.id, title: button.title ?? '', description: '' } };
      return unsupported();
    }
    case 'button':
      return { $case: 'templateButton', value: { payload: m.button?.payload ?? '', text: m.button?.text ?? '' } };
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const media = m[m.type];
      if (!media) return unsupported();
      return {
        $case: 'media',
        value: {
          kind: MEDIA_KINDS[m.type],
          mediaId: media.id ?? '',
          mimeType: media.mime_type ?? '',
          sha256: media.sha256 ?? '',
          caption: media.caption ?? '',
          filename: media.filename ?? '',
          voice: media.voice ?? false,
          animated: media.animated ?? false,
          url: '',
        },
      };
    }
    case 'location':
      return m.location
        ? { $case: 'location', value: { latitude: m.location.latitude, longitude: m.location.longitude, name: m.location.name ?? '', address: m.location.address ?? '', url: m.location.url ?? '' } }
        : unsupported();
    case 'contacts':
      return {
        $case: 'contacts',
        value: {
          contacts: (m.contacts ?? []).map((c) => ({
            formattedName: c.name?.formatted_name ?? '',
            phones: (c.phones ?? []).map((p) => p.phone ?? '').filter(Boolean),
            waIds: (c.phones ?? []).map((p) => p.wa_id ?? '').filter(Boolean),
            emails: (c.emails ?? []).map((e) => e.email ?? '').filter(Boolean),
          })),
        },
      };
    case 'reaction':
      return m.reaction ? { $case: 'reaction', value: { messageId: m.reaction.message_id, emoji: m.reaction.emoji ?? '' } } : unsupported();
    default:
      // "unsupported", "order", "system", and types Meta adds later: kept, with their errors.
      return unsupported();
  }
}

function toMessageStatus(s: z.infer<typeof statusSchema>, from: BusinessEndpoint): MessageStatus {
  const errors = (s.errors ?? []).map(toChannelError);
  const status = STATUSES[s.status] ?? DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED;
  return {
    messageId: s.id,
    from,
    recipientId: s.recipient_id ?? s.recipient_user_id ?? '',
    status,
    occurredAt: fromEpochSeconds(s.timestamp),
    errors,
    pricing: s.pricing
      ? { billable: s.pricing.billable ?? false, pricingModel: s.pricing.pricing_model ?? '', category: s.pricing.category ?? '', type: s.pricing.type ?? '' }
      : undefined,
    conversationId: s.conversation?.id ?? '',
    conversationOrigin: s.conversation?.origin?.type ?? '',
    commandId: s.biz_opaque_callback_data ?? '',
    permanentFailure: status === DeliveryStatus.DELIVERY_STATUS_FAILED,
  };
}

function describe(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid payload';
  const path = first.path.length ? first.path.join('.') : '(root)';
  return `${path}: ${first.message}`;
}
