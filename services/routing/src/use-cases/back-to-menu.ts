import { nameBasedId, type ReceivedEvent } from '@careloop/bus';
import type { SkillOutcome } from '@careloop/contracts';
import type { ContactDirectory } from '../adapters/contact-directory';
import { recipientOfConversation, type Replier } from '../adapters/replier';
import type { Conversation } from '../domain/conversation';
import { DEFAULT_LANGUAGE, isLanguage } from '../i18n/catalog';
import type { BotMessages } from './bot-messages';

/**
 * A skill that hands a conversation back ("I cannot help with this") leaves the patient to the
 * menu: routing sends it, so that the patient's message is never left without an answer — a
 * skill may hand back without a word (the survey when no comment is awaited, reminders when no
 * reading is). The command id derives from the outcome event: a redelivered outcome sends nothing new.
 */
export class BackToMenu {
  constructor(
    private readonly deps: {
      readonly contacts: ContactDirectory;
      readonly replier: Replier;
      readonly messages: BotMessages;
      readonly hospitalName: (tenantId: string) => string;
    },
  ) {}

  async send(event: ReceivedEvent<SkillOutcome>, conversation: Conversation): Promise<void> {
    // With a person the agent answers; without consent nothing but the consent flow may go.
    if (conversation.status !== 'bot') return;
    const contact = await this.deps.contacts.get(event.tenantId, event.payload.contactId || conversation.contactId);
    if (contact?.consent !== 'opted_in') return;
    const language = contact.language && isLanguage(contact.language) ? contact.language : DEFAULT_LANGUAGE;
    const menu = this.deps.messages.mainMenu(language, this.deps.hospitalName(event.tenantId));
    await this.deps.replier.send(recipientOfConversation(conversation, contact), nameBasedId(event.tenantId, 'hand-back', event.id), 0, menu, 'care', 'bot', event.id);
  }
}
