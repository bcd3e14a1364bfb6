import { MediaKind, TemplateComponentType, type OutboundMessageCommand, type TemplateMessage, type TemplateParameter } from '@careloop/contracts';
import type { SendableContent } from '../channel-adapter';

/** JSON body of `POST /{version}/{phone-number-id}/messages`, as Meta documents it. */
export type CloudApiMessage = Record<string, unknown>;

const MEDIA_TYPE: Record<MediaKind, string | undefined> = {
  [MediaKind.MEDIA_KIND_UNSPECIFIED]: undefined,
  [MediaKind.MEDIA_KIND_IMAGE]: 'image',
  [MediaKind.MEDIA_KIND_AUDIO]: 'audio',
  [MediaKind.MEDIA_KIND_VIDEO]: 'video',
  [MediaKind.MEDIA_KIND_DOCUMENT]: 'document',
  [MediaKind.MEDIA_KIND_STICKER]: 'sticker',
  [MediaKind.UNRECOGNIZED]: undefined,
};

const omitEmpty = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined)) as Partial<T>;

export function toCloudApiMessage(command: OutboundMessageCommand, content: SendableContent): CloudApiMessage {
  if (content.$case === 'markRead') {
    return {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: content.value.messageId,
      ...(content.value.typingIndicator ? { typing_indicator: { type: 'text' } } : {}),
    };
  }
  const to = command.to?.channelUserId ?? '';
  const base = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    // Echoed by Meta in status webhooks: links a status to its command even if
    // the gateway crashed before recording the wamid.
    biz_opaque_callback_data: command.commandId,
    ...(command.replyToMessageId ? { context: { message_id: command.replyToMessageId } } : {}),
  };
  switch (content.$case) {
    case 'text':
      return { ...base, type: 'text', text: { body: content.value.body, preview_url: content.value.previewUrl } };
    case 'interactiveList': {
      const l = content.value;
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list',
          ...(l.header ? { header: { type: 'text', text: l.header } } : {}),
          body: { text: l.body },
          ...(l.footer ? { footer: { text: l.footer } } : {}),
          action: {
            button: l.button,
            sections: l.sections.map((s) => ({
              ...omitEmpty({ title: s.title }),
              rows: s.rows.map((r) => omitEmpty({ id: r.id, title: r.title, description: r.description })),
            })),
          },
        },
      };
    }
    case 'replyButtons': {
      const b = content.value;
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'button',
          ...(b.header ? { header: { type: 'text', text: b.header } } : {}),
          body: { text: b.body },
          ...(b.footer ? { footer: { text: b.footer } } : {}),
          action: { buttons: b.buttons.map((x) => ({ type: 'reply', reply: { id: x.id, title: x.title } })) },
        },
      };
    }
    case 'template':
      return { ...base, type: 'template', template: toTemplate(content.value) };
    case 'media': {
      const type = MEDIA_TYPE[content.value.kind] ?? 'document';
      const m = content.value.media;
      const media = omitEmpty({
        id: m?.id,
        link: m?.link,
        caption: type === 'audio' || type === 'sticker' ? '' : m?.caption,
        filename: type === 'document' ? m?.filename : '',
      });
      return { ...base, type, [type]: media };
    }
  }
}

export function toTemplate(t: TemplateMessage): Record<string, unknown> {
  return {
    name: t.name,
    language: { code: t.languageCode },
    ...(t.components.length
      ? {
          components: t.components.map((c) => ({
            type: c.type === TemplateComponentType.TEMPLATE_COMPONENT_TYPE_HEADER ? 'header' : c.type === TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BUTTON ? 'button' : 'body',
            ...(c.type === TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BUTTON ? { sub_type: c.subType || 'quick_reply', index: String(c.index) } : {}),
            parameters: c.parameters.map(toParameter),
          })),
        }
      : {}),
  };
}

function toParameter(p: TemplateParameter): Record<string, unknown> {
  const named = p.parameterName ? { parameter_name: p.parameterName } : {};
  const v = p.value;
  if (!v) return { type: 'text', text: '', ...named };
  switch (v.$case) {
    case 'text':
      return { type: 'text', text: v.value, ...named };
    case 'payload':
      return { type: 'payload', payload: v.value, ...named };
    case 'image':
      return { type: 'image', image: omitEmpty({ id: v.value.id, link: v.value.link }), ...named };
    case 'document':
      return { type: 'document', document: omitEmpty({ id: v.value.id, link: v.value.link, filename: v.value.filename }), ...named };
    case 'video':
      return { type: 'video', video: omitEmpty({ id: v.value.id, link: v.value.link }), ...named };
    case 'dateTime':
      return { type: 'date_time', date_time: { fallback_value: v.value }, ...named };
  }
}
