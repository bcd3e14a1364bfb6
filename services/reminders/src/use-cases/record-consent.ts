import { ConsentState, type ConsentChanged } from '@careloop/contracts';
import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import type { ConsentName, ContactStore } from '../adapters/contact-store';

const STATES: Record<ConsentState, ConsentName | undefined> = {
  [ConsentState.CONSENT_STATE_UNSPECIFIED]: undefined,
  [ConsentState.CONSENT_STATE_PENDING]: 'pending',
  [ConsentState.CONSENT_STATE_OPTED_IN]: 'opted-in',
  [ConsentState.CONSENT_STATE_OPTED_OUT]: 'opted-out',
  [ConsentState.UNRECOGNIZED]: undefined,
};

/** What happens when routing publishes a contact's consent: the latest state is kept, for the check at fire time. */
export class RecordConsent {
  constructor(private readonly contacts: ContactStore) {}

  async execute(event: ReceivedEvent<ConsentChanged>): Promise<void> {
    const c = event.payload;
    const state = STATES[c.state];
    if (!c.contactId || !state) throw new NonRetryableError('ConsentChanged without contact_id or with an unknown state');
    await this.contacts.recordConsent(event.tenantId, c.contactId, state, c.changedAt ?? event.occurredAt);
  }
}
