/**
 * WhatsApp Cloud API length limits (characters) for the parts of interactive messages.
 * A translation over its limit makes Meta reject the whole message, so every service checks
 * its catalogues against them in a test (see `overLimitMessages`).
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

export interface ElementOverrides {
  /** Keys shown as reply buttons whose names do not say so (e.g. "consent.accept"). */
  readonly replyButtons?: Iterable<string>;
  /** Keys shown as list row titles whose names do not say so (e.g. "language.name"). */
  readonly rowTitles?: Iterable<string>;
}

/**
 * Where a message is shown, by naming convention: `*.row.*.title`, `*.row.*.description`,
 * `*.button` (a list's button), `*.reply.*` (a reply button), `*.section`; anything else is a body.
 */
export function whatsappElementOf(key: string, overrides: ElementOverrides = {}): WhatsAppElement {
  if (new Set(overrides.replyButtons ?? []).has(key) || /\.reply\.[^.]+$/.test(key)) return 'replyButtonTitle';
  if (new Set(overrides.rowTitles ?? []).has(key) || /\.row\.[^.]+\.title$/.test(key)) return 'listRowTitle';
  if (/\.row\.[^.]+\.description$/.test(key)) return 'listRowDescription';
  if (key.endsWith('.button')) return 'listButton';
  if (key.endsWith('.section')) return 'listSectionTitle';
  return 'body';
}
