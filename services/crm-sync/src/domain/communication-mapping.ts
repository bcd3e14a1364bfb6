import type { Communication, Patient, Reference } from '@medplum/fhirtypes';
import { ReminderKind, ReminderState, type ReminderChanged } from '@careloop/contracts';
import { ownSystem, SOURCE_VERSION_EXTENSION } from './connector';

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/communication-category';

/** The delivery states worth a record in the EHR; the rest (scheduled, skipped...) are reminders' own business. */
export function communicationStatus(state: ReminderState): Communication['status'] | undefined {
  switch (state) {
    case ReminderState.REMINDER_STATE_SENT: return 'in-progress';
    case ReminderState.REMINDER_STATE_DELIVERED:
    case ReminderState.REMINDER_STATE_READ:
    case ReminderState.REMINDER_STATE_CONFIRMED:
    case ReminderState.REMINDER_STATE_CANCELLED_BY_PATIENT:
      return 'completed';
    case ReminderState.REMINDER_STATE_FAILED: return 'not-done';
    case ReminderState.REMINDER_STATE_UNSPECIFIED:
    case ReminderState.REMINDER_STATE_SCHEDULED:
    case ReminderState.REMINDER_STATE_SKIPPED:
    case ReminderState.REMINDER_STATE_CANCELLED:
    case ReminderState.REMINDER_STATE_SNOOZED:
    case ReminderState.UNRECOGNIZED:
      return undefined;
  }
}

/**
 * A reminder's delivery as an R4 Communication (category reminder): sent, then completed when
 * delivered or read, not-done when it failed. No payload: the message text stays in the chat.
 * `sent` is kept from what the server already holds once the reminder moves past sent.
 */
export function toFhirCommunication(r: ReminderChanged, subject: Reference<Patient>, alreadySent: string | undefined): Communication | undefined {
  const status = communicationStatus(r.state);
  if (!status) return undefined;
  const at = (r.occurredAt ?? new Date(0)).toISOString();
  const sent = r.state === ReminderState.REMINDER_STATE_SENT ? at : alreadySent;
  const received = r.state === ReminderState.REMINDER_STATE_DELIVERED || r.state === ReminderState.REMINDER_STATE_READ ? at : undefined;
  return {
    resourceType: 'Communication',
    identifier: [{ system: ownSystem(r.tenantId, 'reminder'), value: r.reminderId }],
    extension: [{ url: SOURCE_VERSION_EXTENSION, valueInteger: r.sequence }],
    status,
    ...(status === 'not-done' ? { statusReason: { coding: [{ system: ownSystem(r.tenantId, 'reminder-failure'), code: r.reasonCode || 'failed' }] } } : {}),
    category: [{ coding: [{ system: CATEGORY, code: 'reminder' }] }],
    subject,
    recipient: [subject],
    ...(r.kind === ReminderKind.REMINDER_KIND_APPOINTMENT && r.appointmentId
      ? { about: [{ type: 'Appointment', identifier: { system: ownSystem(r.tenantId, 'appointment'), value: r.appointmentId } }] }
      : {}),
    ...(sent ? { sent } : {}),
    ...(received ? { received } : {}),
  };
}
