import { NonRetryableError, on, type ReceivedEvent, type TopicHandler } from '@careloop/bus';
import { ReminderKind, ReminderState, Topics, type EventDefinition, type ReminderChanged } from '@careloop/contracts';
import type { ReminderLifecycleState } from '../domain/reminder-outcome';
import type { ReminderObservation } from '../use-cases/record-reminder-change';

const STATES: Record<ReminderState, ReminderLifecycleState> = {
  [ReminderState.REMINDER_STATE_UNSPECIFIED]: 'unknown',
  [ReminderState.REMINDER_STATE_SCHEDULED]: 'scheduled',
  [ReminderState.REMINDER_STATE_SENT]: 'sent',
  [ReminderState.REMINDER_STATE_DELIVERED]: 'delivered',
  [ReminderState.REMINDER_STATE_READ]: 'read',
  [ReminderState.REMINDER_STATE_CONFIRMED]: 'confirmed',
  [ReminderState.REMINDER_STATE_CANCELLED_BY_PATIENT]: 'cancelled-by-patient',
  [ReminderState.REMINDER_STATE_FAILED]: 'failed',
  [ReminderState.REMINDER_STATE_SKIPPED]: 'skipped',
  [ReminderState.REMINDER_STATE_CANCELLED]: 'cancelled',
  [ReminderState.REMINDER_STATE_SNOOZED]: 'snoozed',
  [ReminderState.UNRECOGNIZED]: 'unknown',
};

const KINDS: Record<ReminderKind, ReminderObservation['kind']> = {
  [ReminderKind.REMINDER_KIND_UNSPECIFIED]: 'unknown',
  [ReminderKind.REMINDER_KIND_APPOINTMENT]: 'appointment',
  [ReminderKind.REMINDER_KIND_MEDICATION]: 'medication',
  [ReminderKind.REMINDER_KIND_FOLLOW_UP]: 'follow-up',
  [ReminderKind.REMINDER_KIND_VITAL_SIGN]: 'vital-sign',
  [ReminderKind.UNRECOGNIZED]: 'unknown',
};

/** ReminderChanged (reminders.reminder.v1) as the observation the rollup needs. */
export function reminderObservationOf(event: Pick<ReceivedEvent<ReminderChanged>, 'tenantId' | 'payload' | 'occurredAt'>): ReminderObservation {
  const r = event.payload;
  if (!r.reminderId) throw new NonRetryableError('reminder_id is required');
  if (r.tenantId && r.tenantId !== event.tenantId) throw new NonRetryableError('reminder tenant_id differs from the envelope tenant');
  return {
    tenantId: event.tenantId,
    reminderId: r.reminderId,
    // A value from a newer producer decodes as UNRECOGNIZED, which the maps cover.
    kind: KINDS[r.kind],
    state: STATES[r.state],
    appointmentId: r.appointmentId,
    facilityId: r.facilityId,
    departmentId: r.departmentId,
    dueAt: r.dueAt ?? r.occurredAt ?? event.occurredAt,
  };
}

/** The reminders topic analytics consumes, and its handler around a rollup. */
export const reminderHandlers = {
  topics: [Topics.reminderChanged] as readonly EventDefinition<unknown>[],
  handlers: (apply: (observation: ReminderObservation) => Promise<void>): TopicHandler[] => [on(Topics.reminderChanged, (event) => apply(reminderObservationOf(event)))],
};
