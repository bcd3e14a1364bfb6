import type { Patient } from '@medplum/fhirtypes';
import { ownSystem } from './connector';

/** Which of our ids names the patient: the EHR-linked patient id, or only the messaging contact. */
export interface PatientKey {
  readonly tenantId: string;
  readonly kind: 'patient' | 'contact';
  readonly value: string;
}

export function patientKeyOf(tenantId: string, patientId: string, contactId: string): PatientKey | undefined {
  if (patientId) return { tenantId, kind: 'patient', value: patientId };
  if (contactId) return { tenantId, kind: 'contact', value: contactId };
  return undefined;
}

export function patientIdentifier(key: PatientKey): { system: string; value: string } {
  return { system: ownSystem(key.tenantId, key.kind), value: key.value };
}

/**
 * The Patient crm-sync creates when the server holds none with our id: our pseudonymous id and
 * the language we speak to them in. No names or phone numbers: events carry none, and the
 * hospital's EHR is where a patient's demographics belong.
 */
export function toFhirPatient(key: PatientKey, language: string): Patient {
  return {
    resourceType: 'Patient',
    identifier: [patientIdentifier(key)],
    active: true,
    ...(language ? { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: language }] }, preferred: true }] } : {}),
  };
}
