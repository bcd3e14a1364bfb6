import { ReminderChanged, ReminderKind, ReminderState, Topics } from '@careloop/contracts';
import { nameBasedId, type EventBus } from '@careloop/bus';
import type { ReminderKindName, ReminderStateName } from '../domain/reminder';
import type { ReminderRecord } from './reminder-store';

const KINDS: Record<ReminderKindName, ReminderKind> = {
  appointment: ReminderKind.REMINDER_KIND_APPOINTMENT,
  medication: ReminderKind.REMINDER_KIND_MEDICATION,
  'follow-up': ReminderKind.REMINDER_KIND_FOLLOW_UP,
  'vital-sign': ReminderKind.REMINDER_KIND_VITAL_SIGN,
};

/** Internal states map onto the published ones; `firing` and `dispatched` are not published. */
const STATES: Record<ReminderStateName, ReminderState | undefined> = {
  scheduled: ReminderState.REMINDER_STATE_SCHEDULED,
  firing: undefined,
  dispatched: undefined,
  sent: ReminderState.REMINDER_STATE_SENT,
  delivered: ReminderState.REMINDER_STATE_DELIVERED,
  read: ReminderState.REMINDER_STATE_READ,
  confirmed: ReminderState.REMINDER_STATE_CONFIRMED,
  'cancelled-by-patient': ReminderState.REMINDER_STATE_CANCELLED_BY_PATIENT,
  failed: ReminderState.REMINDER_STATE_FAILED,
  skipped: ReminderState.REMINDER_STATE_SKIPPED,
  cancelled: ReminderState.REMINDER_STATE_CANCELLED,
  snoozed: ReminderState.REMINDER_STATE_SNOOZED,
};

export function kindOf(kind: ReminderKindName): ReminderKind {
  return KINDS[kind];
}

export function publishedStateOf(state: ReminderStateName): ReminderState | undefined {
  return STATES[state];
}

/**
 * Publishes a reminder's state as analytics needs it. The event id derives from the reminder and
 * its sequence, so publishing the same change again (a re-run after a crash) is deduped downstream.
 */
export class ReminderEvents {
  constructor(private readonly bus: EventBus) {}

  async changed(record: ReminderRecord, causationId = ''): Promise<void> {
    const state = STATES[record.state];
    if (state === undefined) return;
    await this.bus.publish(
      Topics.reminderChanged,
      ReminderChanged.fromPartial({
        reminderId: record._id,
        kind: KINDS[record.kind],
        state,
        reasonCode: record.reason,
        tenantId: record.tenantId,
        facilityId: record.facilityId,
        departmentId: record.departmentId,
        practitionerId: record.practitionerId,
        appointmentId: record.appointmentId,
        contactId: record.contactId,
        patientId: record.patientId,
        planId: record.planId,
        offsetId: record.offsetId,
        offsetSeconds: record.offsetSeconds,
        dueAt: record.dueAt,
        ...(record.appointmentStart ? { appointmentStart: record.appointmentStart } : {}),
        occurrenceKey: record.occurrenceKey,
        commandId: record.commandId,
        messageId: record.messageId,
        sentAsTemplate: record.sentAsTemplate,
        occurredAt: record.updatedAt,
        sequence: record.sequence,
      }),
      {
        key: record._id,
        tenantId: record.tenantId,
        facilityId: record.facilityId,
        id: nameBasedId(record.tenantId, 'reminders', 'changed', record._id, String(record.sequence)),
        causationId,
        correlationId: record.appointmentId || record.planId,
      },
    );
  }
}
