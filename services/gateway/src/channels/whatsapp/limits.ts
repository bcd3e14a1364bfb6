import type { OutboundMessageCommand } from '@careloop/contracts';

/**
 * Meta's documented limits for Cloud API messages (interactive list and reply
 * buttons: "Interactive messages" reference; text: "Text messages"). A command
 * that breaks one is refused with the reason, never truncated into something
 * the patient did not ask for.
 */
export const WHATSAPP_LIMITS = {
  textBody: 4096,
  interactiveBody: 1024,
  interactiveHeader: 60,
  interactiveFooter: 60,
  listButton: 20,
  listSections: 10,
  listRowsTotal: 10,
  listRowTitle: 24,
  listRowDescription: 72,
  listRowId: 200,
  listSectionTitle: 24,
  replyButtons: 3,
  replyButtonTitle: 20,
  replyButtonId: 256,
  captionLength: 1024,
} as const;

/** Length as WhatsApp counts it: characters (code points), not UTF-16 units. */
export const characterCount = (s: string): number => Array.from(s).length;
const length = characterCount;

export function validateWhatsappContent(content: OutboundMessageCommand['content']): string[] {
  const L = WHATSAPP_LIMITS;
  const problems: string[] = [];
  const max = (what: string, value: string, limit: number) => {
    if (length(value) > limit) problems.push(`${what} is ${length(value)} characters; WhatsApp allows ${limit}`);
  };
  const required = (what: string, value: string) => {
    if (value.trim() === '') problems.push(`${what} is required`);
  };
  if (!content) return ['the command has no content'];

  switch (content.$case) {
    case 'text':
      required('text body', content.value.body);
      max('text body', content.value.body, L.textBody);
      break;
    case 'interactiveList': {
      const list = content.value;
      required('list body', list.body);
      max('list body', list.body, L.interactiveBody);
      max('list header', list.header, L.interactiveHeader);
      max('list footer', list.footer, L.interactiveFooter);
      required('list button', list.button);
      max('list button', list.button, L.listButton);
      if (list.sections.length === 0) problems.push('a list needs at least one section');
      if (list.sections.length > L.listSections) problems.push(`a list has ${list.sections.length} sections; WhatsApp allows ${L.listSections}`);
      const rows = list.sections.flatMap((s) => s.rows);
      if (rows.length === 0) problems.push('a list needs at least one row');
      if (rows.length > L.listRowsTotal) problems.push(`a list has ${rows.length} rows in total; WhatsApp allows ${L.listRowsTotal}`);
      list.sections.forEach((section, i) => {
        if (list.sections.length > 1) required(`section ${i + 1} title`, section.title);
        max(`section ${i + 1} title`, section.title, L.listSectionTitle);
      });
      rows.forEach((row, i) => {
        required(`row ${i + 1} id`, row.id);
        max(`row ${i + 1} id`, row.id, L.listRowId);
        required(`row ${i + 1} title`, row.title);
        max(`row ${i + 1} title`, row.title, L.listRowTitle);
        max(`row ${i + 1} description`, row.description, L.listRowDescription);
      });
      if (new Set(rows.map((r) => r.id)).size !== rows.length) problems.push('list row ids must be unique');
      break;
    }
    case 'replyButtons': {
      const b = content.value;
      required('buttons body', b.body);
      max('buttons body', b.body, L.interactiveBody);
      max('buttons header', b.header, L.interactiveHeader);
      max('buttons footer', b.footer, L.interactiveFooter);
      if (b.buttons.length === 0) problems.push('reply buttons need at least one button');
      if (b.buttons.length > L.replyButtons) problems.push(`${b.buttons.length} reply buttons; WhatsApp allows ${L.replyButtons}`);
      b.buttons.forEach((button, i) => {
        required(`button ${i + 1} id`, button.id);
        max(`button ${i + 1} id`, button.id, L.replyButtonId);
        required(`button ${i + 1} title`, button.title);
        max(`button ${i + 1} title`, button.title, L.replyButtonTitle);
      });
      if (new Set(b.buttons.map((x) => x.title)).size !== b.buttons.length) problems.push('reply button titles must be unique');
      if (new Set(b.buttons.map((x) => x.id)).size !== b.buttons.length) problems.push('reply button ids must be unique');
      break;
    }
    case 'template':
      required('template name', content.value.name);
      required('template language', content.value.languageCode);
      break;
    case 'media': {
      const media = content.value.media;
      if (!media || (!media.id && !media.link)) problems.push('media needs an id or a link');
      else if (media.link && !/^https?:\/\//.test(media.link)) problems.push('media link must be an http(s) URL');
      if (media) max('media caption', media.caption, L.captionLength);
      break;
    }
    case 'markRead':
      required('message id to mark as read', content.value.messageId);
      break;
  }
  return problems;
}
