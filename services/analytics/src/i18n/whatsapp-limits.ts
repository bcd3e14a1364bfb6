import { whatsappElementOf as elementByConvention, type WhatsAppElement } from '@careloop/i18n';
import type { MessageKey } from './catalog';

export { WHATSAPP_LIMITS, type WhatsAppElement } from '@careloop/i18n';

/** Where one of the survey's messages is shown (see @careloop/i18n's naming convention). */
export function whatsappElementOf(key: MessageKey): WhatsAppElement {
  return elementByConvention(key);
}
