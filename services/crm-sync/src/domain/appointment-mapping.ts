import type { Appointment as FhirAppointment, AppointmentParticipant, Patient, Reference } from '@medplum/fhirtypes';
import { AppointmentStatus, PatientResponse, type AppointmentSnapshot } from '@careloop/contracts';
import { CANCELLED_AT_EXTENSION, ownSystem, SOURCE_VERSION_EXTENSION } from './connector';

export type FhirAppointmentStatus = NonNullable<FhirAppointment['status']>;
type ParticipationStatus = AppointmentParticipant['status'];

export const CANCELLATION_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason';

/** Scheduling's status is FHIR's (the enum was modelled on it); UNSPECIFIED has no FHIR code. */
export function toFhirStatus(status: AppointmentStatus): FhirAppointmentStatus | undefined {
  switch (status) {
    case AppointmentStatus.APPOINTMENT_STATUS_PROPOSED: return 'proposed';
    case AppointmentStatus.APPOINTMENT_STATUS_PENDING: return 'pending';
    case AppointmentStatus.APPOINTMENT_STATUS_BOOKED: return 'booked';
    case AppointmentStatus.APPOINTMENT_STATUS_ARRIVED: return 'arrived';
    case AppointmentStatus.APPOINTMENT_STATUS_FULFILLED: return 'fulfilled';
    case AppointmentStatus.APPOINTMENT_STATUS_CANCELLED: return 'cancelled';
    case AppointmentStatus.APPOINTMENT_STATUS_NOSHOW: return 'noshow';
    case AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR: return 'entered-in-error';
    case AppointmentStatus.APPOINTMENT_STATUS_CHECKED_IN: return 'checked-in';
    case AppointmentStatus.APPOINTMENT_STATUS_WAITLIST: return 'waitlist';
    case AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED:
    case AppointmentStatus.UNRECOGNIZED:
      return undefined;
  }
}

export function fromFhirStatus(status: FhirAppointmentStatus | undefined): AppointmentStatus {
  switch (status) {
    case 'proposed': return AppointmentStatus.APPOINTMENT_STATUS_PROPOSED;
    case 'pending': return AppointmentStatus.APPOINTMENT_STATUS_PENDING;
    case 'booked': return AppointmentStatus.APPOINTMENT_STATUS_BOOKED;
    case 'arrived': return AppointmentStatus.APPOINTMENT_STATUS_ARRIVED;
    case 'fulfilled': return AppointmentStatus.APPOINTMENT_STATUS_FULFILLED;
    case 'cancelled': return AppointmentStatus.APPOINTMENT_STATUS_CANCELLED;
    case 'noshow': return AppointmentStatus.APPOINTMENT_STATUS_NOSHOW;
    case 'entered-in-error': return AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR;
    case 'checked-in': return AppointmentStatus.APPOINTMENT_STATUS_CHECKED_IN;
    case 'waitlist': return AppointmentStatus.APPOINTMENT_STATUS_WAITLIST;
    case undefined: return AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED;
  }
}

export function toParticipationStatus(response: PatientResponse): NonNullable<ParticipationStatus> {
  switch (response) {
    case PatientResponse.PATIENT_RESPONSE_ACCEPTED: return 'accepted';
    case PatientResponse.PATIENT_RESPONSE_DECLINED: return 'declined';
    case PatientResponse.PATIENT_RESPONSE_TENTATIVE: return 'tentative';
    case PatientResponse.PATIENT_RESPONSE_NEEDS_ACTION:
    case PatientResponse.PATIENT_RESPONSE_UNSPECIFIED:
    case PatientResponse.UNRECOGNIZED:
      return 'needs-action';
  }
}

/** The version scheduling had when this resource was last written by us (0: none). */
export function sourceVersionOf(resource: Pick<FhirAppointment, 'extension'>): number {
  const ext = resource.extension?.find((e) => e.url === SOURCE_VERSION_EXTENSION);
  return ext?.valueInteger ?? 0;
}

/**
 * Scheduling's snapshot as an R4 Appointment, identified by our appointment id. The patient is
 * a reference to their Patient resource; practitioner, facility and service type are logical
 * references (identifier + the hospital's display name), which R4 allows without a resource.
 */
export function toFhirAppointment(a: AppointmentSnapshot, patient: Reference<Patient>): FhirAppointment {
  const status = toFhirStatus(a.status);
  if (!status) throw new Error('appointment status is unspecified');
  const tenant = a.tenantId;
  const participant: AppointmentParticipant[] = [
    { actor: patient, required: 'required', status: toParticipationStatus(a.patientResponse) },
  ];
  if (a.practitionerId) {
    participant.push({
      actor: { type: 'Practitioner', identifier: { system: ownSystem(tenant, 'practitioner'), value: a.practitionerId }, ...(a.practitionerName ? { display: a.practitionerName } : {}) },
      required: 'required',
      status: 'accepted',
    });
  }
  if (a.facilityId) {
    participant.push({
      actor: { type: 'Location', identifier: { system: ownSystem(tenant, 'facility'), value: a.facilityId }, ...(a.facilityName ? { display: a.facilityName } : {}) },
      required: 'information-only',
      status: 'accepted',
    });
  }
  const cancelled = status === 'cancelled';
  return {
    resourceType: 'Appointment',
    identifier: [
      { system: ownSystem(tenant, 'appointment'), value: a.appointmentId },
      ...a.externalIds.filter((x) => x.system && x.value).map((x) => ({ system: x.system, value: x.value })),
    ],
    extension: [
      { url: SOURCE_VERSION_EXTENSION, valueInteger: a.version },
      ...(cancelled && a.cancelledAt ? [{ url: CANCELLED_AT_EXTENSION, valueDateTime: a.cancelledAt.toISOString() }] : []),
    ],
    status,
    ...(cancelled
      ? { cancelationReason: { coding: [{ system: CANCELLATION_REASON_SYSTEM, code: a.cancellationReason || 'other' }] } }
      : {}),
    ...(a.serviceType ? { serviceType: [{ coding: [{ system: ownSystem(tenant, 'service-type'), code: a.serviceType }] }] } : {}),
    ...(a.start ? { start: a.start.toISOString() } : {}),
    ...(a.end ? { end: a.end.toISOString() } : {}),
    ...(a.start && a.end ? { minutesDuration: Math.max(1, Math.round((a.end.getTime() - a.start.getTime()) / 60_000)) } : {}),
    ...(a.bookedAt ? { created: a.bookedAt.toISOString() } : {}),
    participant,
  };
}

/**
 * An EHR's own Appointment with what the patient changed in a chat (status, their participation,
 * a cancellation reason); everything else stays as the EHR wrote it.
 */
export function withPatientChanges(ehr: FhirAppointment, a: AppointmentSnapshot): FhirAppointment {
  const status = toFhirStatus(a.status) ?? ehr.status;
  const participation = toParticipationStatus(a.patientResponse);
  return {
    ...ehr,
    status,
    ...(status === 'cancelled' ? { cancelationReason: { coding: [{ system: CANCELLATION_REASON_SYSTEM, code: a.cancellationReason || 'other' }] } } : {}),
    participant: ehr.participant.map((p) => (p.actor?.reference?.startsWith('Patient/') ? { ...p, status: participation } : p)),
  };
}
