import { ConsentState, DeliveryStatus, Topics, type MessageStatus } from '@careloop/contracts';
import type { EventBus, ReceivedEvent } from '@careloop/bus';
import { Channel } from '@careloop/contracts';
import type { ContactDirectory } from '../adapters/contact-directory';
import type { ConsentLedger } from '../adapters/ledgers';
import { CONSENT_WORDING_VERSION } from './handle-inbound-message';

/** Cloud API error 131050: the user stopped marketing messages from this business on WhatsApp itself. */
const USER_STOPPED_MARKETING = 131050;

/**
 * Meta's own opt-out signal counts as an opt-out here: all messaging ends for
 * the contact. No confirmation is sent: WhatsApp confirmed it to the user.
 */
export class OptOutOnChannelSignal {
  constructor(
    private readonly contacts: ContactDirectory,
    private readonly ledger: ConsentLedger,
    private readonly bus: EventBus,
  ) {}

  async execute(event: ReceivedEvent<MessageStatus>): Promise<void> {
    const status = event.payload;
    if (status.status !== DeliveryStatus.DELIVERY_STATUS_FAILED || !status.errors.some((e) => e.code === USER_STOPPED_MARKETING)) return;
    const channel = status.from?.channel ?? Channel.CHANNEL_WHATSAPP;
    const contact = await this.contacts.find(event.tenantId, { channel, channelUserId: status.recipientId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' });
    if (!contact || contact.consent === 'opted_out') return;
    const at = status.occurredAt ?? event.occurredAt;
    await this.contacts.setConsent(event.tenantId, contact.id, 'opted_out', CONSENT_WORDING_VERSION);
    await this.ledger.record(event.tenantId, { contactId: contact.id, state: 'opted_out', purpose: 'care-messaging', wordingVersion: CONSENT_WORDING_VERSION, source: 'channel-signal', at });
    await this.bus.publish(
      Topics.consentChanged,
      { contactId: contact.id, state: ConsentState.CONSENT_STATE_OPTED_OUT, purpose: 'care-messaging', wordingVersion: CONSENT_WORDING_VERSION, source: 'channel-signal', changedAt: at, identities: [], language: contact.language ?? '' },
      { key: contact.id, tenantId: event.tenantId, facilityId: event.facilityId, causationId: event.id },
    );
  }
}
