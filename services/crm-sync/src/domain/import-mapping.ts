import type { Appointment as FhirAppointment, Patient } from '@medplum/fhirtypes';
import { nameBasedId } from '@careloop/bus';
import { AppointmentStatus, Channel, type schedulingApi } from '@careloop/contracts';
import { CANCELLATION_REASON_SYSTEM, fromFhirStatus } from './appointment-mapping';
import { ehrAppointmentSystem, isOwnSystem, ownSystem, type Connector, type ImportSettings } from './connector';

/** Our pseudonymous patient id for an EHR patient: the same on every poll and in lookups. */
export function patientIdFor(connector: Pick<Connector, 'tenantId' | 'baseUrl'>, fhirPatientId: string): string {
  return nameBasedId(connector.tenantId, 'ehr-patient', connector.baseUrl, fhirPatientId);
}

export function patientReferenceOf(a: FhirAppointment): string | undefined {
  const ref = a.participant.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor?.reference;
  return ref?.slice('Patient/'.length);
}

/** Appointments crm-sync wrote itself carry our identifier: they are not the EHR's bookings. */
export function isOwnAppointment(tenantId: string, a: FhirAppointment): boolean {
  return (a.identifier ?? []).some((i) => isOwnSystem(tenantId, i.system));
}

/** The patient's WhatsApp identity from the EHR's Patient: the first mobile (or any phone) in E.164. */
export function whatsAppIdOf(patient: Patient | undefined): string | undefined {
  const phones = (patient?.telecom ?? []).filter((t) => t.system === 'phone' || t.system === 'sms');
  const chosen = phones.find((t) => t.use === 'mobile') ?? phones[0];
  const digits = chosen?.value?.replace(/[^\d+]/g, '');
  return digits?.startsWith('+') && digits.length >= 8 ? digits.slice(1) : undefined;
}

/**
 * routing's contact for the EHR's Patient, when the Patient carries it: crm-sync writes
 * `urn:careloop:<tenant>:contact|<contact_id>` on the Patient of a contact that chatted (consent
 * out), and the hospital books on that Patient. Without it the import has no contact, and
 * reminders cannot reach the patient (they skip with no-recipient).
 */
export function contactIdOf(tenantId: string, patient: Patient | undefined): string {
  const system = ownSystem(tenantId, 'contact');
  return patient?.identifier?.find((i) => i.system === system && i.value)?.value ?? '';
}

export function languageOf(patient: Patient | undefined, fallback: string): string {
  const preferred = patient?.communication?.find((c) => c.preferred) ?? patient?.communication?.[0];
  return preferred?.language.coding?.[0]?.code?.split('-')[0]?.toLowerCase() ?? fallback;
}

export type ImportPlan = { readonly request: schedulingApi.ImportAppointmentRequest } | { readonly skip: string };

/**
 * An EHR Appointment as scheduling's ImportAppointment, or why it cannot be imported (no times,
 * no patient, a practitioner we cannot place). The EHR's id is the upsert key on both sides.
 */
export function toImportRequest(connector: Connector & { import: ImportSettings }, a: FhirAppointment, patient: Patient | undefined): ImportPlan {
  if (!a.id) return { skip: 'no id' };
  if (!a.start || !a.end) return { skip: 'no start/end' };
  const fhirPatientId = patientReferenceOf(a);
  if (!fhirPatientId) return { skip: 'no Patient participant' };
  const status = fromFhirStatus(a.status);
  const practitionerRef = a.participant.find((p) => p.actor?.reference?.startsWith('Practitioner/'))?.actor?.reference;
  const practitionerId = (practitionerRef ? connector.import.practitioners[practitionerRef] : undefined) ?? connector.import.defaultPractitionerId;
  if (!practitionerId) return { skip: 'practitioner not mapped' };
  const reason = a.cancelationReason?.coding?.find((c) => c.system === CANCELLATION_REASON_SYSTEM)?.code;
  const waId = whatsAppIdOf(patient);
  const endpoint = connector.import.endpoint;
  return {
    request: {
      tenantId: connector.tenantId,
      externalId: { system: ehrAppointmentSystem(connector), value: a.id },
      practitionerId,
      facilityId: connector.import.facilityId,
      departmentId: connector.import.departmentId,
      serviceType: a.serviceType?.[0]?.coding?.[0]?.code ?? connector.import.serviceType,
      start: new Date(a.start),
      end: new Date(a.end),
      status,
      patientId: patientIdFor(connector, fhirPatientId),
      contactId: contactIdOf(connector.tenantId, patient),
      cancellationReason: status === AppointmentStatus.APPOINTMENT_STATUS_CANCELLED ? (reason ?? 'other') : '',
      language: languageOf(patient, connector.import.defaultLanguage),
      endpoint: waId ? endpoint : undefined,
      recipient: waId && endpoint ? { channel: Channel.CHANNEL_WHATSAPP, channelUserId: waId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' } : undefined,
    },
  };
}
