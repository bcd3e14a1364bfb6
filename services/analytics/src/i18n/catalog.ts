import { MessageCatalog, type BundledMessages } from '@careloop/i18n';
import de from './messages/de.json';
import en from './messages/en.json';
import es from './messages/es.json';
import fr from './messages/fr.json';
import ru from './messages/ru.json';
import tr from './messages/tr.json';

export { SUPPORTED_LANGUAGES, DEFAULT_LANGUAGE, isLanguage, type Language } from '@careloop/i18n';

/** Every message key of the survey skill; English is the reference catalogue. */
export type MessageKey = keyof typeof en;

const BUNDLED: BundledMessages<MessageKey> = { en, es, de, fr, tr, ru };

export type Catalog = MessageCatalog<MessageKey>;

export const Catalog = {
  /** The catalogues shipped in ./messages, validated. Throws CatalogError if any is broken. */
  load: (): Catalog => MessageCatalog.fromMessages<MessageKey>(BUNDLED),
};
