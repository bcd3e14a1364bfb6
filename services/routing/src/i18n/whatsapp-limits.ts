import { whatsappElementOf as elementByConvention, type WhatsAppElement } from '@careloop/i18n';
import type { MessageKey } from './catalog';

export { WHATSAPP_LIMITS, type WhatsAppElement } from '@careloop/i18n';

// Keys shown as reply buttons and as list rows whose names do not say so.
const OVERRIDES = { replyButtons: ['consent.accept', 'consent.decline'], rowTitles: ['language.name'] } satisfies { replyButtons: MessageKey[]; rowTitles: MessageKey[] };

/** Where one of routing's messages is shown (see @careloop/i18n's naming convention). */
export function whatsappElementOf(key: MessageKey): WhatsAppElement {
  return elementByConvention(key, OVERRIDES);
}
