import type { Consent, Patient, Reference } from '@medplum/fhirtypes';
import { ConsentState, type ConsentChanged } from '@careloop/contracts';
import { ownSystem } from './connector';

/** When the consent last changed, as we sent it: an older event never overwrites a newer state. */
export const SOURCE_CHANGED_AT_EXTENSION = 'urn:careloop:fhir:StructureDefinition:source-changed-at';

export function consentIdentifier(tenantId: string, c: Pick<ConsentChanged, 'contactId' | 'purpose'>): { system: string; value: string } {
  return { system: ownSystem(tenantId, 'consent'), value: `${c.contactId}:${c.purpose || 'care-messaging'}` };
}

export function changedAtOf(consent: Consent): number {
  const v = consent.extension?.find((e) => e.url === SOURCE_CHANGED_AT_EXTENSION)?.valueDateTime;
  return v ? Date.parse(v) : 0;
}

/**
 * The patient's messaging consent as an R4 Consent (scope patient-privacy, category LOINC
 * 59284-0 "Patient Consent", an opt-in or opt-out policy rule, a permit or deny provision for the
 * purpose). One resource per contact and purpose, updated as the state changes; a pending
 * question is a proposed Consent.
 */
export function toFhirConsent(tenantId: string, c: ConsentChanged, patient: Reference<Patient>): Consent | undefined {
  const optedIn = c.state === ConsentState.CONSENT_STATE_OPTED_IN;
  const optedOut = c.state === ConsentState.CONSENT_STATE_OPTED_OUT;
  if (!optedIn && !optedOut && c.state !== ConsentState.CONSENT_STATE_PENDING) return undefined;
  const changedAt = (c.changedAt ?? new Date(0)).toISOString();
  return {
    resourceType: 'Consent',
    identifier: [consentIdentifier(tenantId, c)],
    extension: [{ url: SOURCE_CHANGED_AT_EXTENSION, valueDateTime: changedAt }],
    status: optedIn || optedOut ? 'active' : 'proposed',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient,
    dateTime: changedAt,
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: optedOut ? 'OPTOUT' : 'OPTIN' }] },
    provision: {
      type: optedOut ? 'deny' : 'permit',
      purpose: [{ system: ownSystem(tenantId, 'consent-purpose'), code: c.purpose || 'care-messaging' }],
    },
  };
}
