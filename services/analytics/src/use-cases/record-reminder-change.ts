import { NonRetryableError } from '@careloop/bus';
import { funnelRank, outcomeOfState, outcomeRank, type ReminderLifecycleState } from '../domain/reminder-outcome';
import type { FactTable } from '../adapters/fact-tables';
import { localBuckets } from '../domain/local-time';

function periodOf(at: Date) {
  const { day, week, month } = localBuckets(at, 'UTC');
  return { day, week, month };
}

/** A reminder state change as analytics needs it (from reminders.reminder.v1). */
export interface ReminderObservation {
  readonly tenantId: string;
  readonly reminderId: string;
  readonly kind: 'appointment' | 'medication' | 'follow-up' | 'vital-sign' | 'unknown';
  readonly state: ReminderLifecycleState;
  readonly appointmentId: string;
  readonly facilityId: string;
  readonly departmentId: string;
  /** When it is (was) due; bucketed in UTC, as reminders carry no facility time zone. */
  readonly dueAt: Date;
}

const NOT_YET_AN_APPOINTMENT = { version: 0, due: 0, noShow: 0, attended: 0, open: 0, lateCancel: 0, earlyCancel: 0, patientConfirmed: 0 };

/**
 * What happens when a reminder changes state: the reminder's own fact rises along its funnel
 * (scheduled < sent < delivered < read < confirmed, plus failure flags), and the appointment's
 * fact raises its best reminder outcome. Both are maxima, so the order of arrival — even a
 * read status after the no-show — and replays give the same numbers.
 */
export class RecordReminderChange {
  constructor(
    private readonly reminders: FactTable,
    private readonly appointments: FactTable,
  ) {}

  async execute(observation: ReminderObservation): Promise<void> {
    if (!observation.reminderId) throw new NonRetryableError('reminder_id is required');
    const rank = funnelRank(observation.state);
    const flag = (b: boolean) => (b ? 1 : 0);
    const medication = observation.kind === 'medication';
    await this.reminders.raise(
      observation.tenantId,
      observation.reminderId,
      {
        rank,
        scheduled: 1,
        sent: flag(rank >= 2),
        delivered: flag(rank >= 3),
        read: flag(rank >= 4),
        confirmed: flag(observation.state === 'confirmed'),
        cancelledByPatient: flag(observation.state === 'cancelled-by-patient'),
        failed: flag(observation.state === 'failed'),
        skipped: flag(observation.state === 'skipped'),
        medicationSent: flag(medication && rank >= 2),
        medicationTaken: flag(medication && observation.state === 'confirmed'),
      },
      { kind: observation.kind, facilityId: observation.facilityId, departmentId: observation.departmentId, appointmentId: observation.appointmentId, ...periodOf(observation.dueAt) },
    );
    if (observation.kind === 'appointment' && observation.appointmentId) {
      const outcome = outcomeRank(outcomeOfState(observation.state));
      await this.appointments.raise(observation.tenantId, observation.appointmentId, { reminderRank: outcome }, {}, NOT_YET_AN_APPOINTMENT);
    }
  }
}
