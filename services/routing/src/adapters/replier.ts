import { Channel, OutboundMessageCommand, Topics, type BusinessEndpoint } from '@careloop/contracts';
import { nameBasedId, type EventBus } from '@careloop/bus';
import type { ConsentStatus, Conversation } from '../domain/conversation';
import type { ConversationStore } from './conversation-store';

/** Why a message goes out; consent decides which kinds may go to whom. */
export type MessagePurpose =
  /** The consent question itself: the only thing a contact without consent may receive. */
  | 'consent-question'
  /** The single confirmation after an opt-out. */
  | 'opt-out-confirmation'
  /** Everything else: needs opted-in consent. */
  | 'care';

export interface Recipient {
  readonly tenantId: string;
  readonly facilityId: string;
  readonly contactId: string;
  readonly conversationId: string;
  readonly consent: ConsentStatus;
  readonly endpoint: BusinessEndpoint;
  readonly channel: Channel;
  readonly channelUserId: string;
}

/** Where a conversation's messages go, for a message routing sends outside a patient's turn. */
export function recipientOfConversation(conversation: Conversation, contact: { readonly id: string; readonly consent: ConsentStatus }): Recipient {
  const channel = conversation.channel === 'messenger' ? Channel.CHANNEL_MESSENGER : Channel.CHANNEL_WHATSAPP;
  return {
    tenantId: conversation.tenantId,
    facilityId: conversation.facilityId,
    contactId: contact.id,
    conversationId: conversation.id,
    consent: contact.consent,
    endpoint: { channel, endpointId: conversation.endpointId, displayAddress: '', accountId: '' },
    channel,
    channelUserId: conversation.recipientId,
  };
}

export class ConsentRefusedError extends Error {
  override readonly name = 'ConsentRefusedError';
}

/**
 * The one way routing speaks to a patient. It enforces consent for every
 * message (so no code path can forget it), gives each message a command id
 * derived from the turn (a re-processed turn re-sends nothing: gateway
 * dedupes on it), and records the message in the conversation history.
 */
export class Replier {
  constructor(
    private readonly bus: EventBus,
    private readonly conversations: ConversationStore,
  ) {}

  static mayReceive(consent: ConsentStatus, purpose: MessagePurpose): boolean {
    switch (purpose) {
      case 'consent-question':
        return consent !== 'opted_out';
      case 'opt-out-confirmation':
        return consent === 'opted_out';
      case 'care':
        return consent === 'opted_in';
    }
  }

  /**
   * Sends one message; `sequence` numbers the messages of one turn (0, 1, ...). `historyContent`
   * is what the conversation history keeps instead of `content`: a one-time code goes to the
   * patient but never into what agents read.
   */
  async send(
    to: Recipient,
    turnId: string,
    sequence: number,
    content: OutboundMessageCommand['content'],
    purpose: MessagePurpose,
    author = 'bot',
    causationId = turnId,
    priority = 0,
    historyContent: OutboundMessageCommand['content'] = content,
  ): Promise<string> {
    if (!Replier.mayReceive(to.consent, purpose)) {
      throw new ConsentRefusedError(`a ${purpose} message may not go to a contact whose consent is ${to.consent}`);
    }
    const commandId = nameBasedId(to.tenantId, 'routing', turnId, String(sequence));
    const command = OutboundMessageCommand.fromPartial({
      commandId,
      from: to.endpoint,
      to: { channel: to.channel, channelUserId: to.channelUserId },
      requestedBy: author === 'bot' ? 'routing' : 'agent',
      contactId: to.contactId,
      conversationId: to.conversationId,
      content,
      priority,
    });
    await this.bus.publish(Topics.outboundCommand, command, {
      key: `${to.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp'}:${to.channelUserId}`,
      tenantId: to.tenantId,
      facilityId: to.facilityId,
      id: commandId,
      causationId,
      correlationId: to.conversationId,
    });
    await this.conversations.history.record(to.tenantId, { id: commandId, conversationId: to.conversationId, direction: 'out', content: historyContent, author, at: new Date() });
    return commandId;
  }
}
