import { MessageCatalog, type BundledMessages, type MessagesByLanguage } from '@careloop/i18n';
import de from './messages/de.json';
import en from './messages/en.json';
import es from './messages/es.json';
import fr from './messages/fr.json';
import ru from './messages/ru.json';
import tr from './messages/tr.json';

/** Every message key of triage; English is the reference catalogue. */
export type MessageKey = keyof typeof en;

const BUNDLED: BundledMessages<MessageKey> = { en, es, de, fr, tr, ru };

/** triage's own words: prompts, answer buttons, outcomes, emergency advice, the disclaimer. Protocol texts live in the protocols. */
export type Catalog = MessageCatalog<MessageKey>;

export const Catalog = {
  load: (): Catalog => MessageCatalog.fromMessages<MessageKey>(BUNDLED),
  fromMessages: (messages: MessagesByLanguage): Catalog => MessageCatalog.fromMessages<MessageKey>(messages),
};
