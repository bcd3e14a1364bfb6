import type { MessageKey } from './catalog';

/**
 * WhatsApp Cloud API length limits (characters) for the parts of interactive messages.
 * A translation over its limit makes Meta reject the whole message, so they are checked
 * for every language in test/i18n-whatsapp-limits.test.ts.
 */
export const WHATSAPP_LIMITS = {
  body: 1024,
  listButton: 20,
  listSectionTitle: 24,
  listRowTitle: 24,
  listRowDescription: 72,
  replyButtonTitle: 20,
} as const;

export type WhatsAppElement = keyof typeof WHATSAPP_LIMITS;

// Keys shown as reply buttons and as list rows whose names do not say so.
const REPLY_BUTTON_KEYS: ReadonlySet<string> = new Set<MessageKey>(['consent.accept', 'consent.decline']);
const ROW_TITLE_KEYS: ReadonlySet<string> = new Set<MessageKey>(['language.name']);

/** Where a message is shown, by naming convention: `*.row.*.title`, `*.button`, `*.section`. */
export function whatsappElementOf(key: MessageKey): WhatsAppElement {
  if (REPLY_BUTTON_KEYS.has(key)) return 'replyButtonTitle';
  if (ROW_TITLE_KEYS.has(key) || /\.row\.[^.]+\.title$/.test(key)) return 'listRowTitle';
  if (/\.row\.[^.]+\.description$/.test(key)) return 'listRowDescription';
  if (key.endsWith('.button')) return 'listButton';
  if (key.endsWith('.section')) return 'listSectionTitle';
  return 'body';
}
