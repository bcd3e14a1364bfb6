import { z } from 'zod';

/**
 * Shapes of `POST /{phone-number-id}/messages` bodies (Meta: "Send messages" and the per-type
 * message references). Zod checks structure only; limits live in validate-message.ts so each
 * can be reported with Meta's code and details.
 */

const mediaObject = z.object({
  id: z.string().optional(),
  link: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
});

const textHeader = z.object({ type: z.literal('text'), text: z.string() });
const imageHeader = z.object({ type: z.literal('image'), image: mediaObject });
const videoHeader = z.object({ type: z.literal('video'), video: mediaObject });
const documentHeader = z.object({ type: z.literal('document'), document: mediaObject });
const interactiveHeader = z.discriminatedUnion('type', [textHeader, imageHeader, videoHeader, documentHeader]);

const interactiveText = z.object({ text: z.string() });

const listRow = z.object({ id: z.string(), title: z.string(), description: z.string().optional() });
const listSection = z.object({ title: z.string().optional(), rows: z.array(listRow) });

const listInteractive = z.object({
  type: z.literal('list'),
  header: interactiveHeader.optional(),
  body: interactiveText,
  footer: interactiveText.optional(),
  action: z.object({ button: z.string(), sections: z.array(listSection) }),
});

const replyButton = z.object({ type: z.literal('reply'), reply: z.object({ id: z.string(), title: z.string() }) });

const buttonInteractive = z.object({
  type: z.literal('button'),
  header: interactiveHeader.optional(),
  body: interactiveText,
  footer: interactiveText.optional(),
  action: z.object({ buttons: z.array(replyButton) }),
});

const interactive = z.discriminatedUnion('type', [listInteractive, buttonInteractive]);

const templateParameter = z.looseObject({
  type: z.enum(['text', 'currency', 'date_time', 'image', 'document', 'video', 'location', 'payload', 'coupon_code', 'action']),
  text: z.string().optional(),
  payload: z.string().optional(),
  parameter_name: z.string().optional(),
});

const templateComponent = z.looseObject({
  type: z.enum(['header', 'body', 'button', 'footer']),
  sub_type: z.string().optional(),
  index: z.union([z.string(), z.number()]).optional(),
  parameters: z.array(templateParameter).optional(),
});

const template = z.object({
  name: z.string(),
  language: z.object({ code: z.string(), policy: z.string().optional() }),
  components: z.array(templateComponent).optional(),
});

const coordinate = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
const location = z.object({ latitude: coordinate, longitude: coordinate, name: z.string().optional(), address: z.string().optional() });

const contact = z.looseObject({ name: z.looseObject({ formatted_name: z.string() }) });

const reaction = z.object({ message_id: z.string(), emoji: z.string() });

const envelope = {
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.literal('individual').optional(),
  to: z.string().optional(),
  /** Business-scoped user id; used only when `to` is absent (Meta: "to takes precedence"). */
  recipient: z.string().optional(),
  context: z.object({ message_id: z.string() }).optional(),
  biz_opaque_callback_data: z.string().optional(),
};

export const sendMessageSchema = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('text'), text: z.object({ body: z.string(), preview_url: z.boolean().optional() }) }),
  z.object({ ...envelope, type: z.literal('interactive'), interactive }),
  z.object({ ...envelope, type: z.literal('template'), template }),
  z.object({ ...envelope, type: z.literal('image'), image: mediaObject }),
  z.object({ ...envelope, type: z.literal('audio'), audio: mediaObject }),
  z.object({ ...envelope, type: z.literal('video'), video: mediaObject }),
  z.object({ ...envelope, type: z.literal('document'), document: mediaObject }),
  z.object({ ...envelope, type: z.literal('sticker'), sticker: mediaObject }),
  z.object({ ...envelope, type: z.literal('location'), location }),
  z.object({ ...envelope, type: z.literal('contacts'), contacts: z.array(contact) }),
  z.object({ ...envelope, type: z.literal('reaction'), reaction }),
]);

/** Mark-as-read, optionally showing a typing indicator (Meta: "Mark messages as read" / "Typing indicators"). */
export const markReadSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  message_id: z.string(),
  typing_indicator: z.object({ type: z.literal('text') }).optional(),
});

export type SendMessagePayload = z.infer<typeof sendMessageSchema>;
export type MarkReadPayload = z.infer<typeof markReadSchema>;
export type OutboundMessageType = SendMessagePayload['type'];
export type InteractivePayload = z.infer<typeof interactive>;
export type ListInteractive = z.infer<typeof listInteractive>;
export type ButtonInteractive = z.infer<typeof buttonInteractive>;
export type InteractiveHeader = z.infer<typeof interactiveHeader>;
export type TemplatePayload = z.infer<typeof template>;
export type TemplateComponent = z.infer<typeof templateComponent>;
export type MediaObject = z.infer<typeof mediaObject>;

export const OUTBOUND_MESSAGE_TYPES: readonly OutboundMessageType[] = [
  'text',
  'interactive',
  'template',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
];

/** Media messages carry their object under a key named after the type. */
export function mediaOf(payload: SendMessagePayload): MediaObject | undefined {
  switch (payload.type) {
    case 'image':
      return payload.image;
    case 'audio':
      return payload.audio;
    case 'video':
      return payload.video;
    case 'document':
      return payload.document;
    case 'sticker':
      return payload.sticker;
    default:
      return undefined;
  }
}
