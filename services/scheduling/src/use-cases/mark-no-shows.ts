import type { Clock } from '../domain/clock';
import type { AppointmentStore } from '../adapters/appointment-store';
import type { Appointments } from './appointments';

const HOUR_MS = 3_600_000;

/**
 * Attendance: a booked appointment whose end passed more than the grace period ago, with no
 * arrival recorded (by staff or the EHR), becomes a no-show. Reads by equality on the hour
 * bucket of the end, over a look-back window, so the sweep never scans a range.
 */
export class MarkNoShows {
  constructor(
    private readonly appointments: AppointmentStore,
    private readonly use: Appointments,
    private readonly clock: Clock,
    private readonly graceMinutes: number,
    private readonly lookBackHours: number,
  ) {}

  async execute(tenantId: string): Promise<number> {
    const graceMs = this.graceMinutes * 60_000;
    const cutoff = this.clock.now().getTime() - graceMs;
    const lastHour = Math.floor(cutoff / HOUR_MS);
    let marked = 0;
    for (let hour = lastHour - this.lookBackHours; hour <= lastHour; hour++) {
      for (const a of await this.appointments.endingInHour(tenantId, hour, 'booked')) {
        if (a.end.getTime() > cutoff) continue;
        if (await this.use.markNoShowIfStillBooked(tenantId, a.appointmentId, graceMs)) marked++;
      }
    }
    return marked;
  }
}
