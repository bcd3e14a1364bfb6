/**
 * The best outcome an appointment's reminders reached, on an ordered scale. An appointment's
 * outcome is the maximum over all its reminders' states, so the order reminder statuses arrive
 * in (or whether they arrive before the appointment itself) does not change it.
 */
export const REMINDER_OUTCOMES = ['none', 'sent', 'delivered', 'read', 'confirmed'] as const;
export type ReminderOutcome = (typeof REMINDER_OUTCOMES)[number];

export function outcomeRank(outcome: ReminderOutcome): number {
  return REMINDER_OUTCOMES.indexOf(outcome);
}

export function outcomeOfRank(rank: number): ReminderOutcome {
  return REMINDER_OUTCOMES[Math.max(0, Math.min(REMINDER_OUTCOMES.length - 1, Math.trunc(rank)))] ?? 'none';
}

/** A reminder's lifecycle states as the reminders service publishes them. */
export type ReminderLifecycleState =
  | 'scheduled'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'confirmed'
  | 'cancelled-by-patient'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'snoozed'
  | 'unknown';

/** What a reminder state says about the appointment's outcome scale (a state that never reached the patient adds nothing). */
export function outcomeOfState(state: ReminderLifecycleState): ReminderOutcome {
  switch (state) {
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    // Pressing Cancel or Snooze means the patient read it.
    case 'read':
    case 'cancelled-by-patient':
    case 'snoozed':
      return 'read';
    case 'confirmed':
      return 'confirmed';
    case 'scheduled':
    case 'failed':
    case 'skipped':
    case 'cancelled':
    case 'unknown':
      return 'none';
  }
}

/** Reminder funnel ranks: scheduled < sent < delivered < read < confirmed (for the reminder metrics). */
export function funnelRank(state: ReminderLifecycleState): number {
  switch (state) {
    // Failed: gateway or the channel could not deliver it; counted apart as a failure.
    case 'scheduled':
    case 'skipped':
    case 'cancelled':
    case 'failed':
      return 1;
    case 'sent':
      return 2;
    case 'delivered':
      return 3;
    case 'read':
    case 'cancelled-by-patient':
    case 'snoozed':
      return 4;
    case 'confirmed':
      return 5;
    case 'unknown':
      return 0;
  }
}
