import { DateTime } from 'luxon';
import { slotIdOf } from '../domain/ids';
import type { DirectoryStore } from '../adapters/directory-store';
import type { SlotDay, SlotDays, SlotHolds } from '../adapters/slot-store';

export interface SlotQuery {
  readonly tenantId: string;
  readonly departmentId: string;
  readonly practitionerId?: string | undefined;
  readonly facilityId?: string | undefined;
  readonly serviceType?: string | undefined;
  readonly language?: string | undefined;
  readonly from: Date;
  readonly to: Date;
  readonly limit: number;
}

export interface FreeSlot {
  readonly slotId: string;
  readonly practitionerId: string;
  readonly facilityId: string;
  readonly departmentId: string;
  readonly serviceType: string;
  readonly start: Date;
  readonly end: Date;
  readonly capacity: number;
  readonly free: number;
  readonly timeZone: string;
}

/** Dates read in parallel per round trip. */
export const DAYS_PER_ROUND = 2;
/**
 * Once enough slots are found, one more round (two more dates) is read: local dates of zones
 * up to 26 hours apart overlap, so a slot on a later local date can start earlier.
 */
export const EXTRA_DATES = 1;

/**
 * Free slots, earliest first. Reads, date by date, the department's slot days and holds by
 * equality (tenant, department, date) and stops once it has `limit` slots and the dates after
 * cannot hold earlier ones.
 */
export class SearchSlots {
  constructor(
    private readonly days: SlotDays,
    private readonly holds: SlotHolds,
    private readonly directory: DirectoryStore,
  ) {}

  async execute(q: SlotQuery): Promise<FreeSlot[]> {
    if (q.to.getTime() <= q.from.getTime()) return [];
    const fromMinute = Math.ceil(q.from.getTime() / 60_000);
    const toMinute = Math.floor(q.to.getTime() / 60_000);
    // Local dates of every zone: from the day before (UTC) to the day after.
    const first = DateTime.fromJSDate(q.from, { zone: 'UTC' }).minus({ days: 1 });
    const dates: string[] = [];
    for (let d = first; d.toMillis() <= q.to.getTime() + 86_400_000; d = d.plus({ days: 1 })) dates.push(d.toISODate() ?? '');
    const directory = q.language ? await this.directory.directory(q.tenantId) : undefined;
    const found: FreeSlot[] = [];
    let extra = -1;
    for (let i = 0; i < dates.length; i += DAYS_PER_ROUND) {
      const batch = dates.slice(i, i + DAYS_PER_ROUND);
      const results = await Promise.all(batch.map((date) => this.readDate(q, date)));
      for (const { days, held } of results) {
        for (const day of days) {
          if (q.serviceType && day.serviceType !== q.serviceType) continue;
          if (q.language && !(day.languages.length ? day.languages : (directory?.practitioners.get(day.practitionerId)?.languages ?? [])).includes(q.language)) continue;
          for (const slot of day.slots) {
            if (slot.m < fromMinute || slot.m > toMinute) continue;
            const taken = held.get(`${day.practitionerId}|${slot.m}`) ?? 0;
            const free = day.capacity - taken;
            if (free <= 0) continue;
            found.push({
              slotId: slotIdOf({ practitionerId: day.practitionerId, facilityId: day.facilityId, startMinute: slot.m }),
              practitionerId: day.practitionerId,
              facilityId: day.facilityId,
              departmentId: day.departmentId,
              serviceType: day.serviceType,
              start: new Date(slot.m * 60_000),
              end: new Date((slot.m + slot.len) * 60_000),
              capacity: day.capacity,
              free,
              timeZone: day.timeZone,
            });
          }
        }
      }
      if (extra < 0 && found.length >= q.limit) extra = i + DAYS_PER_ROUND + EXTRA_DATES;
      if (extra >= 0 && i + DAYS_PER_ROUND >= extra) break;
    }
    found.sort((a, b) => a.start.getTime() - b.start.getTime() || a.practitionerId.localeCompare(b.practitionerId));
    return found.slice(0, q.limit);
  }

  private async readDate(q: SlotQuery, date: string): Promise<{ days: SlotDay[]; held: Map<string, number> }> {
    const narrow = { practitionerId: q.practitionerId, facilityId: q.facilityId };
    const [days, holds] = await Promise.all([
      q.practitionerId
        ? this.days.byPractitioner(q.tenantId, q.practitionerId, date).then((ds) => ds.filter((d) => d.departmentId === q.departmentId && (!q.facilityId || d.facilityId === q.facilityId)))
        : this.days.byDepartment(q.tenantId, q.departmentId, date, narrow),
      q.practitionerId ? this.holds.byPractitioner(q.tenantId, q.practitionerId, date) : this.holds.byDepartment(q.tenantId, q.departmentId, date),
    ]);
    const held = new Map<string, number>();
    for (const h of holds) held.set(`${h.practitionerId}|${h.m}`, (held.get(`${h.practitionerId}|${h.m}`) ?? 0) + 1);
    return { days, held };
  }
}
