import { MessageCatalog, type BundledMessages, type Language, type MessagesByLanguage } from '@careloop/i18n';
import de from './messages/de.json';
import en from './messages/en.json';
import es from './messages/es.json';
import fr from './messages/fr.json';
import ru from './messages/ru.json';
import tr from './messages/tr.json';

export { SUPPORTED_LANGUAGES, DEFAULT_LANGUAGE, isLanguage, CatalogError, type Language, type MessagesByLanguage } from '@careloop/i18n';

/** Every message key of routing; English is the reference catalogue. */
export type MessageKey = keyof typeof en;

const BUNDLED: BundledMessages<MessageKey> = { en, es, de, fr, tr, ru };

/** routing's catalogue: the words of the menu, consent, FAQ, handover and language picker. */
export type Catalog = MessageCatalog<MessageKey>;

export const Catalog = {
  /** The catalogues shipped in ./messages, validated. Throws CatalogError if any is broken. */
  load: (): Catalog => MessageCatalog.fromMessages<MessageKey>(BUNDLED),
  /** Other catalogues (tests, a future per-tenant override), validated the same way. */
  fromMessages: (messages: MessagesByLanguage): Catalog => MessageCatalog.fromMessages<MessageKey>(messages),
};

/** The language's name in that language ("Español", "Русский"), for the language picker. */
export function languageName(catalog: Catalog, language: Language): string {
  return catalog.t(language, 'language.name');
}
