import { mediaOf, type InteractiveHeader, type SendMessagePayload } from './graph-api/send-payload';
import type { ResolvedTemplate } from './graph-api/templates';
import type { InboundMessage } from './webhooks/payloads';

/**
 * Plain-text renderings of what a patient sees and sends, for transcripts and the CLI.
 * Ids of rows and buttons are shown in ‹…› so a reader can answer with them.
 */
export function renderOutbound(payload: SendMessagePayload, template?: ResolvedTemplate): string {
  switch (payload.type) {
    case 'text':
      return payload.text.body;
    case 'interactive': {
      const i = payload.interactive;
      const lines = [...renderHeader(i.header), i.body.text];
      if (i.footer) lines.push(`_${i.footer.text}_`);
      if (i.type === 'button') {
        lines.push(i.action.buttons.map((b) => `[ ${b.reply.title} ‹${b.reply.id}› ]`).join(' '));
      } else {
        lines.push(`[≡ ${i.action.button}]`);
        for (const section of i.action.sections) {
          if (section.title) lines.push(`  ${section.title}`);
          for (const row of section.rows) {
            lines.push(`   • ${row.title}${row.description ? ` — ${row.description}` : ''} ‹${row.id}›`);
          }
        }
      }
      return lines.join('\n');
    }
    case 'template': {
      const lines = [`[template ${payload.template.name}/${payload.template.language.code}]`];
      if (template?.renderedHeader) lines.push(template.renderedHeader);
      lines.push(template?.renderedBody ?? '');
      if (template?.definition.footer) lines.push(`_${template.definition.footer}_`);
      const buttons = template?.definition.buttons ?? [];
      if (buttons.length > 0) {
        lines.push(
          buttons
            .map((b, index) => {
              const quick = template?.quickReplies.find((q) => q.index === index);
              return quick ? `[ ${b.text} ‹${quick.payload}› ]` : `[ ${b.text} ↗ ]`;
            })
            .join(' '),
        );
      }
      return lines.filter((l) => l !== '').join('\n');
    }
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker': {
      const media = mediaOf(payload);
      const ref = media?.link ?? (media?.id ? `media ${media.id}` : '');
      const name = media?.filename ? ` ${media.filename}` : '';
      return `[${payload.type}${name} ${ref}]${media?.caption ? ` ${media.caption}` : ''}`;
    }
    case 'location': {
      const l = payload.location;
      return `[location ${l.latitude},${l.longitude}${l.name ? ` ${l.name}` : ''}${l.address ? `, ${l.address}` : ''}]`;
    }
    case 'contacts':
      return `[contacts ${payload.contacts.map((c) => c.name.formatted_name).join(', ')}]`;
    case 'reaction':
      return payload.reaction.emoji === '' ? `[reaction removed from ${payload.reaction.message_id}]` : `[reaction ${payload.reaction.emoji} to ${payload.reaction.message_id}]`;
  }
}

function renderHeader(header: InteractiveHeader | undefined): string[] {
  if (header === undefined) return [];
  if (header.type === 'text') return [`*${header.text}*`];
  return [`[${header.type} header]`];
}

export function renderInbound(message: InboundMessage): string {
  switch (message.type) {
    case 'text':
      return message.text.body;
    case 'interactive':
      if (message.interactive.type === 'list_reply') {
        const r = message.interactive.list_reply;
        return `☑ ${r.title}${r.description ? ` — ${r.description}` : ''} ‹${r.id}›`;
      }
      return `☑ [ ${message.interactive.button_reply.title} ] ‹${message.interactive.button_reply.id}›`;
    case 'button':
      return `☑ [ ${message.button.text} ] ‹${message.button.payload}›`;
    case 'image':
      return `[image ${message.image.mime_type}]${message.image.caption ? ` ${message.image.caption}` : ''}`;
    case 'location': {
      const l = message.location;
      return `[location ${l.latitude},${l.longitude}${l.name ? ` ${l.name}` : ''}${l.address ? `, ${l.address}` : ''}]`;
    }
    case 'reaction':
      return `[reaction ${message.reaction.emoji} to ${message.reaction.message_id}]`;
    case 'unsupported':
      return '[unsupported message]';
  }
}
