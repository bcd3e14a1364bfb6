import type { ReceivedEvent } from '@careloop/bus';
import { ConsentState, type ConsentChanged } from '@careloop/contracts';
import type { SurveyContacts } from '../adapters/survey-store';

/** What happens when a contact's consent changes: the latest state (by its time) is kept for the send-time check. */
export class RecordConsent {
  constructor(private readonly contacts: SurveyContacts) {}

  async execute(event: Pick<ReceivedEvent<ConsentChanged>, 'tenantId' | 'payload' | 'occurredAt'>): Promise<void> {
    const c = event.payload;
    if (!c.contactId) return;
    const state = c.state === ConsentState.CONSENT_STATE_OPTED_IN ? 'opted-in' : c.state === ConsentState.CONSENT_STATE_OPTED_OUT ? 'opted-out' : 'pending';
    await this.contacts.recordConsent(event.tenantId, c.contactId, state, c.changedAt ?? event.occurredAt);
  }
}
