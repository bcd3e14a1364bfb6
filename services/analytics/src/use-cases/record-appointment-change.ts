import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import type { AppointmentChanged } from '@careloop/contracts';
import { appointmentFact, InvalidAppointmentError } from '../domain/appointment-fact';
import type { FactTable } from '../adapters/fact-tables';

/**
 * What happens when scheduling publishes an appointment change: its PHI-free fact is replaced
 * when the snapshot's version is higher than the one held, and ignored otherwise. That makes a
 * replay change nothing and lets changes arrive in any order; the reminder outcome, which comes
 * from other events, is kept apart in the same fact and never touched here.
 */
export class RecordAppointmentChange {
  constructor(
    private readonly facts: FactTable,
    private readonly noticeSeconds: number,
  ) {}

  async execute(event: Pick<ReceivedEvent<AppointmentChanged>, 'tenantId' | 'payload'>): Promise<'applied' | 'stale'> {
    const appointment = event.payload.appointment;
    if (!appointment) throw new NonRetryableError('appointment is required');
    if (appointment.tenantId && appointment.tenantId !== event.tenantId) throw new NonRetryableError('appointment.tenant_id differs from the envelope tenant');
    let fields;
    try {
      fields = appointmentFact(appointment, this.noticeSeconds);
    } catch (error) {
      if (error instanceof InvalidAppointmentError) throw new NonRetryableError(error.message, { cause: error });
      throw error;
    }
    const { version, ...rest } = fields;
    const applied = await this.facts.upsertVersioned(event.tenantId, appointment.appointmentId, version, rest, { reminderRank: 0 });
    return applied ? 'applied' : 'stale';
  }
}
