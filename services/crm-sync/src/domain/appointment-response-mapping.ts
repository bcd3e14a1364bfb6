import type { AppointmentResponse, Patient, Reference, Appointment as FhirAppointment } from '@medplum/fhirtypes';
import { AppointmentChangeKind, ChangeSource, PatientResponse, type AppointmentChanged } from '@careloop/contracts';
import { ownSystem } from './connector';

export type PatientAnswer = 'accepted' | 'declined';

/**
 * What the patient answered in a chat with this change, if it is an answer at all: a
 * confirmation is an acceptance, a cancellation (or a declined response) a decline. Changes by
 * staff, the EHR or scheduling itself are not the patient's answer.
 */
export function patientAnswerOf(change: AppointmentChanged): PatientAnswer | undefined {
  if (change.source !== ChangeSource.CHANGE_SOURCE_PATIENT || !change.appointment) return undefined;
  if (change.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED) return 'accepted';
  if (change.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED) return 'declined';
  if (change.appointment.patientResponse === PatientResponse.PATIENT_RESPONSE_DECLINED) return 'declined';
  return undefined;
}

/**
 * One answer is one resource, identified by the appointment and the version the answer made:
 * a replay finds it (conditional create), a later answer (confirm, then cancel) is a second one.
 */
export function appointmentResponseIdentifier(tenantId: string, appointmentId: string, version: number): { system: string; value: string } {
  return { system: ownSystem(tenantId, 'appointment-response'), value: `${appointmentId}:${version}` };
}

/**
 * The patient's answer as an R4 AppointmentResponse: the appointment (the resource we wrote, the
 * EHR's own, or a logical reference by our id when the connector holds none), the Patient as
 * actor, and the participation status. No comment: what the patient wrote stays in the chat.
 */
export function toFhirAppointmentResponse(
  tenantId: string,
  change: AppointmentChanged,
  answer: PatientAnswer,
  appointment: Reference<FhirAppointment>,
  actor: Reference<Patient>,
): AppointmentResponse {
  const a = change.appointment;
  if (!a) throw new Error('AppointmentChanged without appointment');
  return {
    resourceType: 'AppointmentResponse',
    identifier: [appointmentResponseIdentifier(tenantId, a.appointmentId, a.version)],
    appointment,
    actor,
    participantStatus: answer,
  };
}

/** A logical reference to our appointment, for a connector that holds no Appointment of it. */
export function logicalAppointmentReference(tenantId: string, appointmentId: string): Reference<FhirAppointment> {
  return { type: 'Appointment', identifier: { system: ownSystem(tenantId, 'appointment'), value: appointmentId } };
}
