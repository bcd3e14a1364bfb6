import { DateTime, Duration } from 'luxon';
import { offsetsFor, type ReminderOffset, type ReminderPolicy } from './policy';
import { isQuiet, outsideQuietHours } from './quiet-hours';

/** What reminders need of an appointment (from scheduling's snapshot). */
export interface AppointmentFacts {
  readonly appointmentId: string;
  readonly version: number;
  readonly start: Date;
  readonly facilityTimeZone: string;
  readonly serviceType: string;
}

/** One reminder the policy wants for an appointment, or why it cannot be sent. */
export interface PlannedAppointmentReminder {
  readonly offset: ReminderOffset;
  readonly offsetSeconds: number;
  readonly dueAt: Date;
  readonly notAfter: Date;
  /** Empty when it will fire; else why it is dropped now. */
  readonly dropReason: '' | 'due-before-booking' | 'quiet-hours';
}

/**
 * The reminders a policy asks for: at each offset before the start, in the facility's zone (day
 * offsets keep the wall time across DST), moved out of quiet hours in the patient's zone, never
 * after `start - cutoff`. A reminder whose time already passed is planned with a drop reason so
 * analytics sees it was never sent rather than never planned.
 */
export function planAppointmentReminders(
  appointment: AppointmentFacts,
  policy: ReminderPolicy,
  now: Date,
  options: { patientTimeZone?: string; closestOnly?: boolean } = {},
): PlannedAppointmentReminder[] {
  const zone = appointment.facilityTimeZone || 'UTC';
  const patientZone = options.patientTimeZone || zone;
  const start = DateTime.fromJSDate(appointment.start, { zone });
  const notAfter = start.minus({ minutes: policy.appointmentCutoffMinutes }).toJSDate();
  let offsets = [...offsetsFor(policy, appointment.serviceType)];
  if (options.closestOnly && offsets.length > 1) {
    offsets = [offsets.reduce((a, b) => (Duration.fromISO(a.before).as('seconds') <= Duration.fromISO(b.before).as('seconds') ? a : b))];
  }
  return offsets.map((offset) => {
    const nominal = start.minus(Duration.fromISO(offset.before)).toJSDate();
    const offsetSeconds = Math.round((appointment.start.getTime() - nominal.getTime()) / 1000);
    let dueAt = outsideQuietHours(nominal, patientZone, policy.quietHours);
    // Moved past the appointment (an early-morning appointment): the evening before instead.
    if (dueAt.getTime() >= notAfter.getTime() && policy.quietHours) dueAt = outsideQuietHours(nominal, patientZone, policy.quietHours, 'before');
    let dropReason: PlannedAppointmentReminder['dropReason'] = '';
    if (dueAt.getTime() >= notAfter.getTime() || (policy.quietHours && isQuiet(dueAt, patientZone, policy.quietHours))) dropReason = 'quiet-hours';
    // Its time already passed when it was planned (a late booking): dropped, beyond a minute's slack.
    if (dueAt.getTime() < now.getTime() - 60_000) dropReason = 'due-before-booking';
    else if (dueAt.getTime() < now.getTime()) dueAt = now;
    return { offset, offsetSeconds, dueAt, notAfter, dropReason };
  });
}
