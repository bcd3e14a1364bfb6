import { mediaOf, type OutboundMessageType, type SendMessagePayload } from '../graph-api/send-payload';
import type { SentTemplateButton } from '../graph-api/templates';
import type { OutboundMessage } from '../messaging/outbound-message';
import { renderOutbound } from '../render-message';

export interface ReceivedListRow {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly section?: string;
}

/** A message as the patient sees it on their phone, with the parts a test asserts on pulled out. */
export interface ReceivedMessage {
  readonly wamid: string;
  readonly type: OutboundMessageType;
  /** The whole message rendered as text (see renderOutbound). */
  readonly text: string;
  /** Main text: text body, interactive body, rendered template body, or media caption. */
  readonly body: string | undefined;
  /** Reply buttons (`id` = button id) or template quick replies (`id` = payload). */
  readonly buttons: ReadonlyArray<{ readonly id: string; readonly title: string }>;
  readonly listButton: string | undefined;
  readonly listRows: readonly ReceivedListRow[];
  readonly template: { readonly name: string; readonly language: string; readonly quickReplies: readonly SentTemplateButton[] } | undefined;
  readonly payload: SendMessagePayload;
  readonly deliveredAt: number;
  readonly readAt: number | undefined;
}

export function toReceivedMessage(message: OutboundMessage): ReceivedMessage {
  const payload = message.payload;
  return {
    wamid: message.wamid,
    type: payload.type,
    text: renderOutbound(payload, message.template),
    body: bodyOf(message),
    buttons: buttonsOf(message),
    listButton: payload.type === 'interactive' && payload.interactive.type === 'list' ? payload.interactive.action.button : undefined,
    listRows:
      payload.type === 'interactive' && payload.interactive.type === 'list'
        ? payload.interactive.action.sections.flatMap((section) =>
            section.rows.map((row) => ({
              id: row.id,
              title: row.title,
              ...(row.description !== undefined ? { description: row.description } : {}),
              ...(section.title !== undefined ? { section: section.title } : {}),
            })),
          )
        : [],
    template:
      payload.type === 'template'
        ? { name: payload.template.name, language: payload.template.language.code, quickReplies: message.template?.quickReplies ?? [] }
        : undefined,
    payload,
    deliveredAt: message.deliveredAt ?? message.acceptedAt,
    readAt: message.readAt,
  };
}

function bodyOf(message: OutboundMessage): string | undefined {
  const payload = message.payload;
  switch (payload.type) {
    case 'text':
      return payload.text.body;
    case 'interactive':
      return payload.interactive.body.text;
    case 'template':
      return message.template?.renderedBody;
    default:
      return mediaOf(payload)?.caption;
  }
}

function buttonsOf(message: OutboundMessage): Array<{ id: string; title: string }> {
  const payload = message.payload;
  if (payload.type === 'interactive' && payload.interactive.type === 'button') {
    return payload.interactive.action.buttons.map((b) => ({ id: b.reply.id, title: b.reply.title }));
  }
  if (payload.type === 'template') return (message.template?.quickReplies ?? []).map((q) => ({ id: q.payload, title: q.text }));
  return [];
}
