import { isDirectoryId } from '../domain/ids';
import { isTimeZone, localDateOf, localDates, ruleProblems, slotsOnDate } from '../domain/slots';
import type { Clock } from '../domain/clock';
import type { DepartmentRecord, DirectoryStore, FacilityRecord, PractitionerRecord, ScheduleRecord } from '../adapters/directory-store';
import { slotDayId, type SlotDay, type SlotDays } from '../adapters/slot-store';

export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(readonly fields: readonly string[]) {
    super(`invalid fields: ${fields.join(', ')}`);
  }
}

function check(problems: string[]): void {
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/** Directory admin and schedules: every write validated, slots regenerated from a schedule. */
export class ManageDirectory {
  constructor(
    private readonly directory: DirectoryStore,
    private readonly days: SlotDays,
    private readonly clock: Clock,
    private readonly horizonDays: number,
  ) {}

  async upsertFacility(tenantId: string, f: FacilityRecord): Promise<FacilityRecord> {
    check([...(!isDirectoryId(tenantId) ? ['tenant_id'] : []), ...(!isDirectoryId(f.facilityId) ? ['facility_id'] : []), ...(!isTimeZone(f.timeZone) ? ['time_zone'] : []), ...(!f.name ? ['name'] : [])]);
    await this.directory.registerTenant(tenantId);
    await this.directory.facilities.put(tenantId, f.facilityId, f);
    this.directory.invalidate(tenantId);
    return f;
  }

  async upsertDepartment(tenantId: string, d: DepartmentRecord): Promise<DepartmentRecord> {
    check([
      ...(!isDirectoryId(tenantId) ? ['tenant_id'] : []),
      ...(!isDirectoryId(d.departmentId) ? ['department_id'] : []),
      ...(!d.name ? ['name'] : []),
      ...d.serviceTypes.flatMap((s, i) => (!isDirectoryId(s.code) || !Number.isInteger(s.minutes) || s.minutes < 5 || s.minutes > 480 ? [`service_types[${i}]`] : [])),
      ...(d.maxFutureBookingsPerPatient < 0 ? ['max_future_bookings_per_patient'] : []),
    ]);
    await this.directory.registerTenant(tenantId);
    await this.directory.departments.put(tenantId, d.departmentId, d);
    this.directory.invalidate(tenantId);
    return d;
  }

  async upsertPractitioner(tenantId: string, p: PractitionerRecord): Promise<PractitionerRecord> {
    check([
      ...(!isDirectoryId(tenantId) ? ['tenant_id'] : []),
      ...(!isDirectoryId(p.practitionerId) ? ['practitioner_id'] : []),
      ...(!p.name ? ['name'] : []),
      ...(p.departmentIds.some((x) => !isDirectoryId(x)) ? ['department_ids'] : []),
      ...(p.facilityIds.some((x) => !isDirectoryId(x)) ? ['facility_ids'] : []),
    ]);
    await this.directory.registerTenant(tenantId);
    await this.directory.practitioners.put(tenantId, p.practitionerId, p);
    this.directory.invalidate(tenantId);
    return p;
  }

  /** Saves a schedule and regenerates its slot days from today for the horizon. */
  async upsertSchedule(tenantId: string, s: ScheduleRecord): Promise<{ schedule: ScheduleRecord; daysGenerated: number }> {
    const d = await this.directory.directory(tenantId);
    const facility = d.facilities.get(s.facilityId);
    const department = d.departments.get(s.departmentId);
    const practitioner = d.practitioners.get(s.practitionerId);
    const serviceType = department?.serviceTypes.find((t) => t.code === s.serviceType);
    const slotMinutes = s.slotMinutes || serviceType?.minutes || 0;
    const schedule: ScheduleRecord = { ...s, slotMinutes, capacity: s.capacity || 1 };
    check([
      ...(!isDirectoryId(s.scheduleId) ? ['schedule_id'] : []),
      ...(!facility ? ['facility_id'] : []),
      ...(!department ? ['department_id'] : []),
      ...(!practitioner ? ['practitioner_id'] : []),
      ...(!serviceType ? ['service_type'] : []),
      ...(schedule.capacity < 1 || schedule.capacity > 50 ? ['capacity'] : []),
      ...(facility ? ruleProblems({ ...schedule, timeZone: facility.timeZone }) : []),
    ]);
    await this.directory.schedules.put(tenantId, s.scheduleId, schedule);
    const days = this.generate(tenantId, schedule, facility as FacilityRecord, practitioner as PractitionerRecord);
    await this.days.replaceSchedule(tenantId, s.scheduleId, days);
    return { schedule, daysGenerated: days.length };
  }

  /**
   * Keeps `horizonDays` of slots ahead as the calendar moves on: generates each schedule's days
   * from today and stores those not stored yet. Days already stored (and their bookings) are left
   * alone; a schedule edit regenerates through `upsertSchedule`.
   */
  async extendHorizon(tenantId: string): Promise<void> {
    const d = await this.directory.directory(tenantId);
    for (const schedule of await this.directory.schedules.all(tenantId)) {
      const facility = d.facilities.get(schedule.facilityId);
      const practitioner = d.practitioners.get(schedule.practitionerId);
      if (!facility || !practitioner) continue;
      await this.days.addMissing(tenantId, this.generate(tenantId, schedule, facility, practitioner));
    }
  }

  /** Slot days of a schedule for the horizon (pure; the seed and the benchmark bulk-insert them). */
  generate(tenantId: string, s: ScheduleRecord, facility: FacilityRecord, practitioner: PractitionerRecord, horizonDays = this.horizonDays): Omit<SlotDay, 'tenantId'>[] {
    const today = localDateOf(this.clock.now(), facility.timeZone);
    const rules = { timeZone: facility.timeZone, hours: s.hours, exceptions: s.exceptions, slotMinutes: s.slotMinutes, validFrom: s.validFrom, validTo: s.validTo };
    return localDates(today, horizonDays).flatMap((date) => {
      const slots = slotsOnDate(rules, date);
      if (slots.length === 0) return [];
      return [
        {
          _id: slotDayId(tenantId, s.scheduleId, date),
          scheduleId: s.scheduleId,
          practitionerId: s.practitionerId,
          facilityId: s.facilityId,
          departmentId: s.departmentId,
          serviceType: s.serviceType,
          date,
          timeZone: facility.timeZone,
          languages: practitioner.languages,
          capacity: s.capacity,
          slots: slots.map((x) => ({ m: x.startMinute, len: x.minutes })),
        },
      ];
    });
  }
}
