import {
  ConsentState,
  ConversationState,
  DispatchReason,
  Topics,
  type BusinessEndpoint,
  type ChannelIdentity,
  type InboundMessage,
  type OutboundMessageCommand,
} from '@careloop/contracts';
import { nameBasedId, type EventBus, type ReceivedEvent } from '@careloop/bus';
import type { Logger } from '@careloop/observability';
import { classifyKeyword } from '../keywords/classify-keyword';
import { detectLanguage } from '../language/detect-language';
import { isLanguage, type Language } from '../i18n/catalog';
import { channelName, type Contact, type ContactDirectory } from '../adapters/contact-directory';
import type { ConversationStore } from '../adapters/conversation-store';
import type { ConsentLedger } from '../adapters/ledgers';
import type { FaqStore } from '../adapters/faq-store';
import { matchFaq } from '../adapters/faq-store';
import type { Recipient, Replier } from '../adapters/replier';
import type { InboxEvents } from '../adapters/inbox-events';
import { NOT_UNDERSTOOD_LIMIT, PRIORITY, queueName, type Conversation } from '../domain/conversation';
import { SKILL_TOPICS, skillForReplyId, type SkillName } from '../domain/skills';
import { MENU_ENTRIES, text, type BotMessages } from './bot-messages';
import type { AssignWaitingConversations } from './assign-waiting-conversations';
import type { VerificationTurn, VerifyIdentity } from './verify-identity';

/** Version of the consent wording (bump when consent.ask changes meaning). */
export const CONSENT_WORDING_VERSION = 'care-messaging-2026-11';
const CONSENT_PURPOSE = 'care-messaging';

export interface RoutingPolicy {
  /** Skills running in this deployment; the others' menu entries say "not available yet". */
  readonly availableSkills: ReadonlySet<SkillName>;
  readonly hospitalName: (tenantId: string) => string;
  readonly extraKeywords?: { optOut?: string[]; optIn?: string[] };
}

interface Turn {
  readonly event: ReceivedEvent<InboundMessage>;
  /** Derived from the channel message id: the same message always gives the same ids downstream. */
  readonly key: string;
  readonly tenantId: string;
  readonly message: InboundMessage;
  readonly contact: Contact;
  readonly conversation: Conversation;
  readonly language: Language;
  readonly to: Recipient;
  sequence: number;
}

/**
 * What happens when a patient's message arrives: who is speaking, may we
 * answer, in which language, and who owns the turn — the consent flow,
 * keywords (STOP, START, "talk to a person"), a skill (by reply namespace or
 * ownership), the human queue, or the menu and FAQ.
 */
export class HandleInboundMessage {
  constructor(
    private readonly deps: {
      readonly bus: EventBus;
      readonly contacts: ContactDirectory;
      readonly conversations: ConversationStore;
      readonly consentLedger: ConsentLedger;
      readonly faq: FaqStore;
      readonly replier: Replier;
      readonly messages: BotMessages;
      readonly inbox: InboxEvents;
      readonly assigner: AssignWaitingConversations;
      readonly policy: RoutingPolicy;
      readonly logger: Logger;
      /** Identity verification a skill asked for (its "for whom?" rows and date-of-birth answers). */
      readonly verification?: VerifyIdentity;
    },
  ) {}

  async execute(event: ReceivedEvent<InboundMessage>): Promise<void> {
    const message = event.payload;
    const tenantId = event.tenantId;
    const identity = message.from;
    const endpoint = message.to;
    if (!identity?.channelUserId || !endpoint) return; // gateway never publishes these; nothing to answer

    // A new contact starts with the language its first message suggests (what languageFor would set).
    const { contact, created } = await this.deps.contacts.resolve(tenantId, identity, () => {
      const guess = detectLanguage({ text: textOf(message) ?? '', ...(identity.phoneE164 ? { phoneE164: identity.phoneE164 } : {}) });
      return { language: guess.language, languageSource: guess.source };
    });
    const contactIds = [contact.id, ...contact.mergedFrom];
    const at = message.sentAt ?? event.occurredAt;
    const conversation =
      (await this.deps.conversations.openFor(tenantId, contactIds, endpoint.endpointId)) ??
      (await this.deps.conversations.open(tenantId, { contactId: contact.id, facilityId: event.facilityId, channel: channelName(identity.channel), endpointId: endpoint.endpointId, recipientId: identity.channelUserId, at }));

    // History is recorded once per message id. A turn that is processed again (a retry after a
    // failure half-way, a redelivery) runs again on purpose: everything it emits has ids derived
    // from the message, so gateway sends each answer once and consumers dedupe the events.
    await Promise.all([
      this.deps.conversations.history.record(tenantId, { id: message.messageId, conversationId: conversation.id, direction: 'in', content: message.content, author: 'patient', at }),
      this.deps.conversations.touchInbound(tenantId, conversation.id, at),
    ]);

    const language = await this.languageFor(tenantId, contact, identity, message, created);
    const turn: Turn = {
      event,
      key: nameBasedId(tenantId, channelName(identity.channel), 'turn', message.messageId),
      tenantId,
      message,
      contact,
      conversation,
      language,
      to: this.recipient(tenantId, event.facilityId, contact, conversation, endpoint, identity),
      sequence: 0,
    };
    this.deps.inbox.publish(tenantId, { type: 'message', conversationId: conversation.id, queue: conversation.queue });

    const body = textOf(message);
    const keyword = body !== undefined ? classifyKeyword(body, this.deps.policy.extraKeywords) : undefined;
    const replyId = replyIdOf(message);

    // 1. Opting out and back in work in any state, in any language.
    if (keyword === 'opt_out') return this.optOut(turn, 'keyword');
    if (keyword === 'opt_in' && turn.contact.consent !== 'opted_in') return this.optIn(turn, 'keyword');

    // 2. Nothing but the consent flow until the patient said yes.
    if (turn.contact.consent !== 'opted_in') return this.consentFlow(turn, replyId);

    // 3. A reply id names its owner, whoever owns the conversation now.
    if (replyId) {
      const skill = skillForReplyId(replyId);
      if (skill) return this.dispatch(turn, skill, DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE, replyId);
      if (await this.ownReply(turn, replyId)) return;
    }

    // 4. With a human: the agent answers; the bot stays quiet.
    if (conversation.status === 'queued' || conversation.status === 'with_agent') return;

    if (keyword === 'human') return this.handover(turn, PRIORITY.normal, 'patient_asked');
    if (keyword === 'menu') return this.sendMenu(turn);

    // 5. A skill in the middle of a flow owns free text — unless routing is verifying the patient for it.
    if (conversation.ownerSkill && body !== undefined && this.deps.verification && (await this.deps.verification.answer(verificationTurn(turn), body))) return;
    if (conversation.ownerSkill) return this.dispatch(turn, conversation.ownerSkill, DispatchReason.DISPATCH_REASON_OWNER, '');

    // 6. The bot: FAQ, else the menu; repeated misunderstanding goes to a human.
    if (body !== undefined) {
      const entry = matchFaq(await this.deps.faq.get(tenantId), language, body);
      if (entry) {
        const tr = entry.translations[language] ?? entry.translations['en'];
        if (tr) {
          await this.deps.conversations.notUnderstood(tenantId, conversation.id, true);
          await this.say(turn, text(tr.answer));
          return;
        }
      }
    }
    if (created || body === undefined || isGreeting(body)) return this.sendMenu(turn);
    const misses = await this.deps.conversations.notUnderstood(tenantId, conversation.id);
    if (misses >= NOT_UNDERSTOOD_LIMIT) return this.handover(turn, PRIORITY.normal, 'bot_did_not_understand');
    await this.say(turn, text(this.deps.messages.t(language, 'fallback.not_understood')));
    await this.sendMenu(turn);
  }

  /** Routing's own reply ids: consent, menu, language, FAQ. */
  private async ownReply(turn: Turn, replyId: string): Promise<boolean> {
    const [namespace, value = ''] = replyId.split(':', 2);
    switch (namespace) {
      case 'menu':
        await this.menuChoice(turn, value);
        return true;
      case 'lang':
        if (isLanguage(value)) {
          await this.deps.contacts.setLanguage(turn.tenantId, turn.contact.id, value, 'patient');
          const updated = { ...turn, language: value };
          await this.say(updated, text(this.deps.messages.t(value, 'language.changed', { language: this.deps.messages.languageName(value) })));
          await this.sendMenu(updated);
        }
        return true;
      case 'faq': {
        const entry = (await this.deps.faq.get(turn.tenantId)).find((e) => e.id === value);
        const tr = entry?.translations[turn.language] ?? entry?.translations['en'];
        if (tr) await this.say(turn, text(tr.answer));
        else await this.sendMenu(turn);
        return true;
      }
      case 'verify':
        if (this.deps.verification) await this.deps.verification.reply(verificationTurn(turn), replyId);
        return true;
      case 'consent':
        return true; // already opted in: a late press of an old consent button changes nothing
      default:
        return false;
    }
  }

  private async menuChoice(turn: Turn, choice: string): Promise<void> {
    const entry = MENU_ENTRIES.find((e) => e.id === choice);
    if (!entry) return this.sendMenu(turn);
    switch (entry.id) {
      case 'faq':
        await this.say(turn, this.deps.messages.faqMenu(turn.language, await this.deps.faq.get(turn.tenantId)));
        return;
      case 'language':
        await this.say(turn, this.deps.messages.languageMenu(turn.language));
        return;
      case 'agent':
        return this.handover(turn, PRIORITY.normal, 'patient_asked');
      case 'book':
      case 'appointments':
      case 'symptoms':
      case 'results':
      case 'refills':
        if (!this.deps.policy.availableSkills.has(entry.skill)) {
          const option = this.deps.messages.t(turn.language, `menu.row.${entry.id}.title`);
          await this.say(turn, text(this.deps.messages.t(turn.language, 'skill.unavailable', { option })));
          await this.sendMenu(turn);
          return;
        }
        return this.dispatch(turn, entry.skill, DispatchReason.DISPATCH_REASON_MENU, `menu:${entry.id}`);
    }
  }

  private async consentFlow(turn: Turn, replyId: string | undefined): Promise<void> {
    const { tenantId, contact } = turn;
    if (contact.consent === 'opted_out') return; // silence: they said STOP
    if (replyId === 'consent:accept') {
      await this.recordConsent(turn, 'opted_in', 'button');
      const accepted = { ...turn, to: { ...turn.to, consent: 'opted_in' as const } };
      await this.say(accepted, text(this.deps.messages.t(turn.language, 'consent.accepted')));
      await this.sendMenu(accepted);
      return;
    }
    if (replyId === 'consent:decline') {
      await this.recordConsent(turn, 'opted_out', 'button');
      await this.deps.replier.send({ ...turn.to, consent: 'opted_out' }, turn.key, turn.sequence++, text(this.deps.messages.t(turn.language, 'consent.declined')), 'opt-out-confirmation', 'bot', turn.event.id);
      return;
    }
    if (contact.consent !== 'pending') {
      await this.deps.contacts.setConsent(tenantId, contact.id, 'pending', CONSENT_WORDING_VERSION);
    }
    await this.deps.replier.send({ ...turn.to, consent: 'pending' }, turn.key, turn.sequence++, this.deps.messages.consentQuestion(turn.language, this.deps.policy.hospitalName(tenantId)), 'consent-question', 'bot', turn.event.id);
  }

  private async optOut(turn: Turn, source: string): Promise<void> {
    if (turn.contact.consent === 'opted_out') return; // one confirmation, not one per STOP
    await this.recordConsent(turn, 'opted_out', source);
    await this.deps.replier.send({ ...turn.to, consent: 'opted_out' }, turn.key, turn.sequence++, text(this.deps.messages.t(turn.language, 'optout.confirmed')), 'opt-out-confirmation', 'bot', turn.event.id);
  }

  private async optIn(turn: Turn, source: string): Promise<void> {
    await this.recordConsent(turn, 'opted_in', source);
    const optedIn = { ...turn, to: { ...turn.to, consent: 'opted_in' as const } };
    await this.say(optedIn, text(this.deps.messages.t(turn.language, 'optin.confirmed')));
    await this.sendMenu(optedIn);
  }

  private async recordConsent(turn: Turn, state: 'opted_in' | 'opted_out', source: string): Promise<void> {
    const { tenantId, contact } = turn;
    const at = new Date();
    await this.deps.contacts.setConsent(tenantId, contact.id, state, CONSENT_WORDING_VERSION);
    await this.deps.consentLedger.record(tenantId, { contactId: contact.id, state, purpose: CONSENT_PURPOSE, wordingVersion: CONSENT_WORDING_VERSION, source, at }, nameBasedId(turn.key, 'consent', state));
    await this.deps.bus.publish(
      Topics.consentChanged,
      {
        contactId: contact.id,
        state: state === 'opted_in' ? ConsentState.CONSENT_STATE_OPTED_IN : ConsentState.CONSENT_STATE_OPTED_OUT,
        purpose: CONSENT_PURPOSE,
        wordingVersion: CONSENT_WORDING_VERSION,
        source,
        changedAt: at,
        identities: turn.message.from ? [turn.message.from] : [],
        language: turn.language,
      },
      { key: contact.id, tenantId, facilityId: turn.event.facilityId, causationId: turn.event.id, id: nameBasedId(turn.key, 'consent-event', state) },
    );
  }

  private async dispatch(turn: Turn, skill: SkillName, reason: DispatchReason, replyId: string): Promise<void> {
    if (!this.deps.policy.availableSkills.has(skill)) {
      // Name the option as the patient saw it in the menu, never the internal skill name.
      const entry = MENU_ENTRIES.find((e) => e.skill === skill);
      const option = entry ? this.deps.messages.t(turn.language, `menu.row.${entry.id}.title`) : this.deps.messages.t(turn.language, 'menu.button');
      await this.say(turn, text(this.deps.messages.t(turn.language, 'skill.unavailable', { option })));
      await this.sendMenu(turn);
      return;
    }
    await this.deps.bus.publish(
      SKILL_TOPICS[skill],
      {
        turnId: turn.event.id,
        contactId: turn.contact.id,
        conversationId: turn.conversation.id,
        patientIds: [...turn.contact.patientIds],
        language: turn.language,
        endpoint: turn.to.endpoint,
        recipient: turn.message.from,
        message: turn.message,
        replyId,
        reason,
        windowOpen: true,
        receivedAt: turn.message.receivedAt ?? turn.event.occurredAt,
        facilityId: turn.event.facilityId,
        verified: undefined,
      },
      { key: turn.contact.id, tenantId: turn.tenantId, facilityId: turn.event.facilityId, causationId: turn.event.id, correlationId: turn.conversation.id, id: nameBasedId(turn.key, 'dispatch', skill) },
    );
    if (reason === DispatchReason.DISPATCH_REASON_MENU) await this.deps.conversations.setOwner(turn.tenantId, turn.conversation.id, skill);
  }

  async handover(turn: Turn, priority: number, reason: string, department = 'general'): Promise<void> {
    const queue = queueName(turn.conversation.facilityId, department);
    const queued = await this.deps.conversations.enqueue(turn.tenantId, turn.conversation.id, queue, department, priority, new Date());
    if (!queued) return;
    await this.deps.bus.publish(
      Topics.handoverChanged,
      { conversationId: queued.id, contactId: queued.contactId, state: ConversationState.CONVERSATION_STATE_QUEUED, queue, agentId: '', priority, reason, at: new Date() },
      { key: queued.contactId, tenantId: turn.tenantId, facilityId: queued.facilityId, causationId: turn.event.id },
    );
    this.deps.inbox.publish(turn.tenantId, { type: 'queued', conversationId: queued.id, queue });
    await this.say(turn, text(this.deps.messages.t(turn.language, 'handover.queued')));
    await this.deps.assigner.assign(turn.tenantId, queued);
  }

  private sendMenu(turn: Turn): Promise<void> {
    return this.say(turn, this.deps.messages.mainMenu(turn.language, this.deps.policy.hospitalName(turn.tenantId)));
  }

  private async say(turn: Turn, content: OutboundMessageCommand['content']): Promise<void> {
    await this.deps.replier.send(turn.to, turn.key, turn.sequence++, content, 'care', 'bot', turn.event.id);
  }

  private async languageFor(tenantId: string, contact: Contact, identity: ChannelIdentity, message: InboundMessage, created: boolean): Promise<Language> {
    if (contact.language && isLanguage(contact.language) && contact.languageSource === 'patient') return contact.language;
    const body = textOf(message);
    // Detection runs on the first messages only, until the patient chose or a confident guess exists.
    if (!created && contact.language && isLanguage(contact.language) && (body === undefined || body.trim().length < 12)) return contact.language;
    // No `recorded` here: a detected (not chosen) language may still be corrected by a longer
    // message; but what earlier messages said outranks the phone's country.
    const earlier = !created && contact.language && isLanguage(contact.language) && ['greeting', 'detector', 'earlier'].includes(contact.languageSource ?? '') ? contact.language : undefined;
    const detected = detectLanguage({ text: body ?? '', ...(identity.phoneE164 ? { phoneE164: identity.phoneE164 } : {}), ...(earlier ? { earlier } : {}) });
    if (detected.language !== contact.language) await this.deps.contacts.setLanguage(tenantId, contact.id, detected.language, detected.source);
    return detected.language;
  }

  private recipient(tenantId: string, facilityId: string, contact: Contact, conversation: Conversation, endpoint: BusinessEndpoint, identity: ChannelIdentity): Recipient {
    return {
      tenantId,
      facilityId,
      contactId: contact.id,
      conversationId: conversation.id,
      consent: contact.consent,
      endpoint,
      channel: identity.channel,
      channelUserId: identity.channelUserId,
    };
  }
}

function verificationTurn(turn: Turn): VerificationTurn {
  return { tenantId: turn.tenantId, facilityId: turn.event.facilityId, contact: turn.contact, conversation: turn.conversation, language: turn.language, to: turn.to, key: turn.key, causationId: turn.event.id, message: turn.message };
}

function textOf(message: InboundMessage): string | undefined {
  const c = message.content;
  if (c?.$case === 'text') return c.value.body;
  if (c?.$case === 'media' && c.value.caption) return c.value.caption;
  return undefined;
}

function replyIdOf(message: InboundMessage): string | undefined {
  const c = message.content;
  if (c?.$case === 'interactiveReply') return c.value.id;
  if (c?.$case === 'templateButton') return c.value.payload || undefined;
  return undefined;
}

const GREETINGS = /^(hola|hello|hi|hey|hallo|bonjour|salut|merhaba|selam|привет|здравствуйте|buenos d[ií]as|buenas|guten (tag|morgen)|bonsoir|good (morning|afternoon|evening)|iyi g[üu]nler)\b/iu;

function isGreeting(body: string): boolean {
  return GREETINGS.test(body.trim());
}
