import type { OutboundMessageCommand } from '@careloop/contracts';

/** What one outbound message says: text, an interactive list, reply buttons, a template, media. */
export type MessageContent = NonNullable<OutboundMessageCommand['content']>;

export interface ListRowInput {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
}

export interface ListSectionInput {
  readonly title?: string;
  readonly rows: readonly ListRowInput[];
}

export interface ReplyButtonInput {
  readonly id: string;
  readonly title: string;
}

export function textMessage(body: string): MessageContent {
  return { $case: 'text', value: { body, previewUrl: false } };
}

/** An interactive list (WhatsApp: at most 10 rows in all; the gateway rejects, never truncates). */
export function listMessage(input: { body: string; button: string; sections: readonly ListSectionInput[]; header?: string; footer?: string }): MessageContent {
  return {
    $case: 'interactiveList',
    value: {
      header: input.header ?? '',
      body: input.body,
      footer: input.footer ?? '',
      button: input.button,
      sections: input.sections.map((s) => ({ title: s.title ?? '', rows: s.rows.map((r) => ({ id: r.id, title: r.title, description: r.description ?? '' })) })),
    },
  };
}

/** Reply buttons (WhatsApp: at most 3, titles unique and at most 20 characters). */
export function buttonsMessage(input: { body: string; buttons: readonly ReplyButtonInput[]; header?: string; footer?: string }): MessageContent {
  return {
    $case: 'replyButtons',
    value: { header: input.header ?? '', body: input.body, footer: input.footer ?? '', buttons: input.buttons.map((b) => ({ id: b.id, title: b.title })) },
  };
}
