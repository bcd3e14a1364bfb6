import { MessageCatalog, whatsappElementOf as elementByConvention, type BundledMessages, type WhatsAppElement } from '@careloop/i18n';
import de from './messages/de.json';
import en from './messages/en.json';
import es from './messages/es.json';
import fr from './messages/fr.json';
import ru from './messages/ru.json';
import tr from './messages/tr.json';

export { SUPPORTED_LANGUAGES, DEFAULT_LANGUAGE, isLanguage, WHATSAPP_LIMITS, type Language } from '@careloop/i18n';

/** Every message key of reminders; English is the reference catalogue. */
export type MessageKey = keyof typeof en;

const BUNDLED: BundledMessages<MessageKey> = { en, es, de, fr, tr, ru };

/** reminders' catalogue: the words of every reminder and of the answers to its buttons. */
export type Catalog = MessageCatalog<MessageKey>;

export const Catalog = {
  /** The catalogues shipped in ./messages, validated. Throws CatalogError if any is broken. */
  load: (): Catalog => MessageCatalog.fromMessages<MessageKey>(BUNDLED),
};

/** Where one of reminders' messages is shown (reply buttons are named `*.reply.*`). */
export function whatsappElementOf(key: MessageKey): WhatsAppElement {
  return elementByConvention(key);
}
