import { MessageCatalog, type BundledMessages } from '@careloop/i18n';
import de from './messages/de.json';
import en from './messages/en.json';
import es from './messages/es.json';
import fr from './messages/fr.json';
import ru from './messages/ru.json';
import tr from './messages/tr.json';

/** Every message key of the ehr skill; English is the reference catalogue. */
export type MessageKey = keyof typeof en;

const BUNDLED: BundledMessages<MessageKey> = { en, es, de, fr, tr, ru };

/** The ehr skill's words (results, refills) and the result PDF's labels. Never clinical content. */
export type Catalog = MessageCatalog<MessageKey>;

export const Catalog = {
  load: (): Catalog => MessageCatalog.fromMessages<MessageKey>(BUNDLED),
};
