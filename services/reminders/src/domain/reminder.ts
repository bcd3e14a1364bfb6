import { nameBasedId } from '@careloop/bus';

export const REMINDER_KINDS = ['appointment', 'medication', 'follow-up', 'vital-sign'] as const;
export type ReminderKindName = (typeof REMINDER_KINDS)[number];

/**
 * The life of one occurrence. `scheduled` is a pending timer; `firing` means the firing loop took
 * it (the send may or may not have been published; gateway's result is awaited). From there
 * gateway's results and statuses move it on. `dispatched` (published, result awaited) is no longer
 * written — `firing` covers it — but records written before December 2026 may hold it.
 */
export const REMINDER_STATES = [
  'scheduled',
  'firing',
  'dispatched',
  'sent',
  'delivered',
  'read',
  'confirmed',
  'cancelled-by-patient',
  'failed',
  'skipped',
  'cancelled',
  'snoozed',
] as const;
export type ReminderStateName = (typeof REMINDER_STATES)[number];

/** Reasons (codes, never text) a reminder was skipped, cancelled or failed. */
export type ReasonCode =
  | ''
  | 'no-consent'
  | 'opted-out'
  | 'preference-opt-out'
  | 'too-late'
  | 'due-before-booking'
  | 'quiet-hours'
  | 'already-confirmed'
  | 'rescheduled'
  | 'appointment-cancelled'
  | 'appointment-ended'
  | 'plan-cancelled'
  | 'patient-skipped'
  | 'closest-only'
  | 'no-recipient'
  | (string & {});

/** States a status update may still move forward from: sent → delivered → read; a later answer wins. */
const PROGRESS: Record<ReminderStateName, number> = {
  scheduled: 0,
  firing: 1,
  dispatched: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  confirmed: 6,
  'cancelled-by-patient': 6,
  snoozed: 6,
  failed: 6,
  skipped: 7,
  cancelled: 7,
};

/** Whether a delivery status may move a reminder from `from` to `to` (never backwards). */
export function advancesTo(from: ReminderStateName, to: ReminderStateName): boolean {
  if (from === 'skipped' || from === 'cancelled') return false;
  if (to === 'failed') return PROGRESS[from] < PROGRESS.delivered;
  return PROGRESS[to] > PROGRESS[from];
}

/** Deterministic id of a reminder occurrence, and of the one outbound command that sends it. */
export function reminderIdOf(tenantId: string, occurrenceKey: string): string {
  return nameBasedId(tenantId, 'reminders', 'occurrence', occurrenceKey);
}

export function commandIdOf(tenantId: string, occurrenceKey: string): string {
  return nameBasedId(tenantId, 'reminders', 'command', occurrenceKey);
}
