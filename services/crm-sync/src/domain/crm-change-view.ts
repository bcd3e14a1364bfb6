import { ConsentState, type ConsentChanged } from '@careloop/contracts';
import { renderTemplate } from './webhook-body';

export type CrmChangeType = 'appointment' | 'contact';

/**
 * What a CRM may learn of a contact's consent change: ids and codes only. The contact's channel
 * identities (phone numbers) stay out: they are PHI and the CRM has its own contact record.
 */
export function contactView(tenantId: string, c: ConsentChanged): Record<string, unknown> {
  return {
    event: 'contact.consent-changed',
    kind: ConsentState[c.state].replace('CONSENT_STATE_', '').toLowerCase(),
    changedAt: c.changedAt?.toISOString() ?? null,
    contact: {
      contactId: c.contactId,
      tenantId,
      purpose: c.purpose || 'care-messaging',
      consent: ConsentState[c.state].replace('CONSENT_STATE_', '').toLowerCase(),
      source: c.source,
      wordingVersion: c.wordingVersion,
      language: c.language,
    },
  };
}

/**
 * A pulled change as the CRM gets it: an appointment change through the connector's body
 * template, exactly as its webhook would carry it; a contact change as its view (the template
 * names appointment fields).
 */
export function pulledBody(type: CrmChangeType, templateJson: string, view: Record<string, unknown>): unknown {
  if (type === 'appointment' && templateJson) return renderTemplate(JSON.parse(templateJson) as unknown, view);
  return view;
}

/** The feed's cursor: opaque to the CRM, the last sequence number it has seen here. */
export function parseCursor(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return 0;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}
