import { nameBasedId } from '@careloop/bus';
import { canMarkAttendance, holdsSlot, isCancellable, type StatusCode } from '../domain/appointment';
import type { Clock } from '../domain/clock';
import { parseSlotId, slotIdOf } from '../domain/ids';
import { localDateOf } from '../domain/slots';
import type { Addressing, AppointmentRecord, AppointmentStore, BookingChannelCode } from '../adapters/appointment-store';
import type { AppointmentEvents, ChangeKindCode, SourceCode } from '../adapters/appointment-events';
import type { DirectoryStore } from '../adapters/directory-store';
import { holdId, type SlotDays, type SlotHolds } from '../adapters/slot-store';

export type BookResult =
  | { readonly outcome: 'booked'; readonly appointment: AppointmentRecord }
  | { readonly outcome: 'taken' | 'limit' | 'unavailable'; readonly appointment?: undefined };

export interface BookInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly slotId: string;
  readonly patientId: string;
  readonly contactId: string;
  readonly bookingChannel: BookingChannelCode;
  readonly addressing?: Addressing | undefined;
  readonly language: string;
  readonly source: SourceCode;
  readonly waitlistEntryId?: string | undefined;
}

export interface ImportInput {
  readonly tenantId: string;
  readonly system: string;
  readonly value: string;
  readonly practitionerId: string;
  readonly facilityId: string;
  readonly departmentId: string;
  readonly serviceType: string;
  readonly start: Date;
  readonly end: Date;
  readonly status: StatusCode;
  readonly patientId: string;
  readonly contactId: string;
  readonly cancellationReason: string;
  readonly language: string;
  readonly addressing?: Addressing | undefined;
}

/** A slot a cancelled or moved appointment gave back. */
export interface FreedSlot {
  readonly tenantId: string;
  readonly slotId: string;
  readonly departmentId: string;
  readonly freedBy: string;
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
export class InvalidChangeError extends Error {
  override readonly name = 'InvalidChangeError';
}

interface ResolvedSlot {
  readonly practitionerId: string;
  readonly facilityId: string;
  readonly departmentId: string;
  readonly serviceType: string;
  readonly startMinute: number;
  readonly minutes: number;
  readonly capacity: number;
  readonly date: string;
}

const MAX_CAS_ATTEMPTS = 5;

/**
 * What happens when an appointment is booked, moved, cancelled, confirmed or attended. Double
 * booking is refused by the store (a slot seat is a document whose id is the seat); every
 * change of an appointment is a compare-and-set on its version, then an AppointmentChanged.
 */
export class Appointments {
  constructor(
    private readonly deps: {
      readonly appointments: AppointmentStore;
      readonly days: SlotDays;
      readonly holds: SlotHolds;
      readonly directory: DirectoryStore;
      readonly events: AppointmentEvents;
      readonly clock: Clock;
      readonly maxFutureBookingsPerDepartment: number;
      /** Runs one patient's booking in one department at a time, across replicas (the limit is count-then-write). */
      readonly onePatientAtATime: <T>(tenantId: string, patientId: string, departmentId: string, work: () => Promise<T>) => Promise<T>;
      /** Called after a slot is given back (waitlist backfill). */
      readonly onSlotFreed: (slot: FreedSlot) => Promise<void>;
    },
  ) {}

  /** The slot behind a slot id, if it exists. */
  async resolveSlot(tenantId: string, slotId: string): Promise<ResolvedSlot | undefined> {
    const key = parseSlotId(slotId);
    if (!key) return undefined;
    const facility = (await this.deps.directory.directory(tenantId)).facilities.get(key.facilityId);
    if (!facility) return undefined;
    const date = localDateOf(key.startMinute * 60_000, facility.timeZone);
    const days = await this.deps.days.byPractitioner(tenantId, key.practitionerId, date);
    for (const day of days) {
      if (day.facilityId !== key.facilityId) continue;
      const slot = day.slots.find((s) => s.m === key.startMinute);
      if (slot) return { practitionerId: day.practitionerId, facilityId: day.facilityId, departmentId: day.departmentId, serviceType: day.serviceType, startMinute: slot.m, minutes: slot.len, capacity: day.capacity, date };
    }
    return undefined;
  }

  async book(input: BookInput): Promise<BookResult> {
    const { tenantId } = input;
    const appointmentId = nameBasedId(tenantId, 'appointment', input.requestId);
    const existing = await this.deps.appointments.get(tenantId, appointmentId);
    if (existing) return { outcome: 'booked', appointment: existing };

    const now = this.deps.clock.now();
    const slot = await this.resolveSlot(tenantId, input.slotId);
    if (!slot || slot.startMinute * 60_000 <= now.getTime()) return { outcome: 'unavailable' };
    if (!input.patientId) return this.bookSlot(input, appointmentId, slot, now);
    return this.deps.onePatientAtATime(tenantId, input.patientId, slot.departmentId, async () => {
      // Checked again under the lock: the same request may have finished meanwhile.
      const done = await this.deps.appointments.get(tenantId, appointmentId);
      if (done) return { outcome: 'booked', appointment: done };
      if (await this.overLimit(tenantId, input.patientId, slot.departmentId, now)) return { outcome: 'limit' };
      return this.bookSlot(input, appointmentId, slot, now);
    });
  }

  private async bookSlot(input: BookInput, appointmentId: string, slot: ResolvedSlot, now: Date): Promise<BookResult> {
    const { tenantId } = input;
    const seat = await this.hold(tenantId, slot, appointmentId);
    if (!seat) return { outcome: 'taken' };
    const start = new Date(slot.startMinute * 60_000);
    const record: AppointmentRecord = {
      appointmentId,
      tenantId,
      facilityId: slot.facilityId,
      departmentId: slot.departmentId,
      practitionerId: slot.practitionerId,
      serviceType: slot.serviceType,
      start,
      end: new Date((slot.startMinute + slot.minutes) * 60_000),
      status: 'booked',
      version: 1,
      patientId: input.patientId,
      contactId: input.contactId,
      bookingChannel: input.bookingChannel,
      addressing: input.addressing,
      language: input.language,
      bookedAt: now,
      leadTimeSeconds: Math.max(0, Math.round((start.getTime() - now.getTime()) / 1000)),
      patientResponse: 'needs-action',
      rescheduleCount: 0,
      slotId: input.slotId,
      holdId: seat,
      waitlistEntryId: input.waitlistEntryId,
      externalIds: [],
      requestIds: [input.requestId],
    };
    if (!(await this.deps.appointments.insert(record))) {
      // The same request raced itself: the first insert is the appointment.
      const first = await this.deps.appointments.get(tenantId, appointmentId);
      if (first) return { outcome: 'booked', appointment: first };
    }
    await this.deps.events.publish(record, { kind: 'booked', source: input.source, at: now });
    return { outcome: 'booked', appointment: record };
  }

  async cancel(tenantId: string, appointmentId: string, reason: string, source: SourceCode): Promise<AppointmentRecord> {
    let freed: FreedSlot | undefined;
    const result = await this.change(tenantId, appointmentId, source, (a, now) => {
      if (a.status === 'cancelled') return undefined;
      if (!isCancellable(a.status)) throw new InvalidChangeError(`an appointment with status ${a.status} cannot be cancelled`);
      return { kind: 'cancelled', next: { ...a, status: 'cancelled', cancellationReason: reason, cancelledAt: now } };
    });
    if (result.changed) {
      const a = result.appointment;
      if (result.before?.holdId) await this.deps.holds.release(tenantId, result.before.holdId, appointmentId);
      if (a.start.getTime() > this.deps.clock.now().getTime()) freed = { tenantId, slotId: a.slotId, departmentId: a.departmentId, freedBy: appointmentId };
    }
    if (freed) await this.deps.onSlotFreed(freed);
    return result.appointment;
  }

  /** Atomic move: the new seat is held first; only once the appointment points at it is the old one released. */
  async reschedule(tenantId: string, appointmentId: string, newSlotId: string, requestId: string, source: SourceCode): Promise<BookResult> {
    const current = await this.deps.appointments.get(tenantId, appointmentId);
    if (!current) throw new NotFoundError('appointment not found');
    if (current.requestIds.includes(requestId)) return { outcome: 'booked', appointment: current };
    if (!isCancellable(current.status)) throw new InvalidChangeError(`an appointment with status ${current.status} cannot be rescheduled`);
    if (current.slotId === newSlotId) return { outcome: 'booked', appointment: current };
    const now = this.deps.clock.now();
    const slot = await this.resolveSlot(tenantId, newSlotId);
    if (!slot || slot.startMinute * 60_000 <= now.getTime()) return { outcome: 'unavailable' };
    const seat = await this.hold(tenantId, slot, appointmentId);
    if (!seat) return { outcome: 'taken' };
    const start = new Date(slot.startMinute * 60_000);
    let result: ChangeResult;
    try {
      result = await this.change(tenantId, appointmentId, source, (a) => {
        if (a.requestIds.includes(requestId)) return undefined;
        if (!isCancellable(a.status)) throw new InvalidChangeError(`an appointment with status ${a.status} cannot be rescheduled`);
        return {
          kind: 'rescheduled',
          next: {
            ...a,
            facilityId: slot.facilityId,
            departmentId: slot.departmentId,
            practitionerId: slot.practitionerId,
            serviceType: slot.serviceType,
            start,
            end: new Date((slot.startMinute + slot.minutes) * 60_000),
            slotId: newSlotId,
            holdId: seat,
            status: 'booked',
            rescheduledAt: now,
            rescheduleCount: a.rescheduleCount + 1,
            leadTimeSeconds: Math.max(0, Math.round((start.getTime() - now.getTime()) / 1000)),
            patientResponse: 'needs-action',
            confirmedAt: undefined,
            requestIds: [...a.requestIds, requestId].slice(-20),
          },
        };
      });
    } catch (error) {
      await this.deps.holds.release(tenantId, seat, appointmentId);
      throw error;
    }
    if (result.changed && result.before) {
      const before = result.before;
      if (before.holdId && before.holdId !== seat) await this.deps.holds.release(tenantId, before.holdId, appointmentId);
      if (before.start.getTime() > now.getTime()) await this.deps.onSlotFreed({ tenantId, slotId: before.slotId, departmentId: before.departmentId, freedBy: appointmentId });
    }
    return { outcome: 'booked', appointment: result.appointment };
  }

  async confirm(tenantId: string, appointmentId: string, source: SourceCode): Promise<AppointmentRecord> {
    return (
      await this.change(tenantId, appointmentId, source, (a, now) => {
        if (a.patientResponse === 'accepted') return undefined;
        if (a.status !== 'booked' && a.status !== 'pending') throw new InvalidChangeError(`an appointment with status ${a.status} cannot be confirmed`);
        return { kind: 'confirmed', next: { ...a, patientResponse: 'accepted', confirmedAt: now } };
      })
    ).appointment;
  }

  async markAttendance(tenantId: string, appointmentId: string, status: StatusCode, source: SourceCode): Promise<AppointmentRecord> {
    const kinds: Partial<Record<StatusCode, ChangeKindCode>> = { arrived: 'arrived', 'checked-in': 'checked-in', fulfilled: 'fulfilled', noshow: 'noshow', 'entered-in-error': 'entered-in-error' };
    const kind = kinds[status];
    if (!kind) throw new InvalidChangeError('status must be arrived, checked-in, fulfilled, noshow or entered-in-error');
    return (
      await this.change(tenantId, appointmentId, source, (a, now) => {
        if (a.status === status) return undefined;
        if (!canMarkAttendance(a.status, status)) throw new InvalidChangeError(`cannot go from ${a.status} to ${status}`);
        return {
          kind,
          next: {
            ...a,
            status,
            ...(status === 'arrived' || status === 'checked-in' ? { arrivedAt: a.arrivedAt ?? now } : {}),
            ...(status === 'fulfilled' ? { fulfilledAt: now } : {}),
            ...(status === 'noshow' ? { noShowAt: now } : {}),
          },
        };
      })
    ).appointment;
  }

  /** The no-show sweep's change: only if still booked (the EHR may have said otherwise meanwhile). */
  async markNoShowIfStillBooked(tenantId: string, appointmentId: string, graceMs: number): Promise<boolean> {
    const r = await this.change(tenantId, appointmentId, 'system', (a, now) => {
      if (a.status !== 'booked' || a.end.getTime() + graceMs > now.getTime()) return undefined;
      return { kind: 'noshow', next: { ...a, status: 'noshow', noShowAt: now } };
    });
    return r.changed;
  }

  /** crm-sync: the EHR's appointment, created once per external id and updated after. */
  async importFromEhr(input: ImportInput): Promise<AppointmentRecord> {
    const { tenantId } = input;
    const proposedId = nameBasedId(tenantId, 'ehr-appointment', input.system, input.value);
    const appointmentId = await this.deps.appointments.linkExternal(tenantId, input.system, input.value, proposedId);
    const startMinute = Math.round(input.start.getTime() / 60_000);
    const slotId = slotIdOf({ practitionerId: input.practitionerId, facilityId: input.facilityId, startMinute });
    const now = this.deps.clock.now();
    const existing = await this.deps.appointments.get(tenantId, appointmentId);
    if (!existing) {
      const slot = holdsSlot(input.status) ? await this.resolveSlot(tenantId, slotId) : undefined;
      // The EHR is the source of truth: its booking stands even where our seats are full.
      const seat = slot ? ((await this.hold(tenantId, slot, appointmentId)) ?? '') : '';
      const record: AppointmentRecord = {
        appointmentId,
        tenantId,
        facilityId: input.facilityId,
        departmentId: input.departmentId,
        practitionerId: input.practitionerId,
        serviceType: input.serviceType,
        start: input.start,
        end: input.end,
        status: input.status,
        version: 1,
        patientId: input.patientId,
        contactId: input.contactId,
        bookingChannel: 'ehr',
        addressing: input.addressing,
        language: input.language,
        bookedAt: now,
        leadTimeSeconds: Math.max(0, Math.round((input.start.getTime() - now.getTime()) / 1000)),
        cancellationReason: input.status === 'cancelled' ? input.cancellationReason || 'other' : undefined,
        cancelledAt: input.status === 'cancelled' ? now : undefined,
        patientResponse: 'needs-action',
        rescheduleCount: 0,
        slotId,
        holdId: seat,
        externalIds: [{ system: input.system, value: input.value }],
        requestIds: [],
      };
      if (await this.deps.appointments.insert(record)) {
        await this.deps.events.publish(record, { kind: 'imported', source: 'ehr', at: now });
        return record;
      }
    }
    const result = await this.change(tenantId, appointmentId, 'ehr', (a, at) => {
      const moved = a.start.getTime() !== input.start.getTime() || a.practitionerId !== input.practitionerId;
      const same = !moved && a.status === input.status && a.end.getTime() === input.end.getTime() && a.contactId === (input.contactId || a.contactId);
      if (same) return undefined;
      return {
        kind: 'imported',
        next: {
          ...a,
          facilityId: input.facilityId,
          departmentId: input.departmentId,
          practitionerId: input.practitionerId,
          serviceType: input.serviceType || a.serviceType,
          start: input.start,
          end: input.end,
          status: input.status,
          slotId,
          contactId: input.contactId || a.contactId,
          addressing: input.addressing ?? a.addressing,
          ...(moved ? { rescheduledAt: at, rescheduleCount: a.rescheduleCount + 1 } : {}),
          ...(input.status === 'cancelled' && a.status !== 'cancelled' ? { cancelledAt: at, cancellationReason: input.cancellationReason || 'other' } : {}),
          ...(input.status === 'arrived' && !a.arrivedAt ? { arrivedAt: at } : {}),
          ...(input.status === 'fulfilled' && !a.fulfilledAt ? { fulfilledAt: at } : {}),
          ...(input.status === 'noshow' && !a.noShowAt ? { noShowAt: at } : {}),
        },
      };
    });
    const before = result.before;
    if (result.changed && before && before.holdId && (!holdsSlot(result.appointment.status) || before.slotId !== result.appointment.slotId)) {
      await this.deps.holds.release(tenantId, before.holdId, appointmentId);
      const a = await this.deps.appointments.get(tenantId, appointmentId);
      if (a && holdsSlot(a.status)) {
        const slot = await this.resolveSlot(tenantId, a.slotId);
        const seat = slot ? ((await this.hold(tenantId, slot, appointmentId)) ?? '') : '';
        if (seat) await this.deps.appointments.replace({ ...a, holdId: seat }, a.version);
      }
      if (before.start.getTime() > now.getTime()) await this.deps.onSlotFreed({ tenantId, slotId: before.slotId, departmentId: before.departmentId, freedBy: appointmentId });
    }
    return result.appointment;
  }

  async list(tenantId: string, by: { patientId?: string; contactId?: string }, upcomingOnly: boolean): Promise<AppointmentRecord[]> {
    const all = by.patientId ? await this.deps.appointments.byPatient(tenantId, by.patientId) : by.contactId ? await this.deps.appointments.byContact(tenantId, by.contactId) : [];
    const now = this.deps.clock.now().getTime();
    return all.filter((a) => !upcomingOnly || ((a.status === 'booked' || a.status === 'pending') && a.start.getTime() > now)).sort((a, b) => a.start.getTime() - b.start.getTime());
  }

  async get(tenantId: string, appointmentId: string): Promise<AppointmentRecord | undefined> {
    return this.deps.appointments.get(tenantId, appointmentId);
  }

  private async overLimit(tenantId: string, patientId: string, departmentId: string, now: Date): Promise<boolean> {
    const department = (await this.deps.directory.directory(tenantId)).departments.get(departmentId);
    const max = department?.maxFutureBookingsPerPatient || this.deps.maxFutureBookingsPerDepartment;
    const held = (await this.deps.appointments.byPatient(tenantId, patientId)).filter((a) => a.departmentId === departmentId && (a.status === 'booked' || a.status === 'pending') && a.start.getTime() > now.getTime());
    return held.length >= max;
  }

  /** Holds a free seat of the slot for the appointment; its hold id, or undefined when all seats are taken. */
  private async hold(tenantId: string, slot: ResolvedSlot, appointmentId: string): Promise<string | undefined> {
    for (let seat = 0; seat < slot.capacity; seat++) {
      const id = holdId(tenantId, slot.practitionerId, slot.startMinute, seat);
      const held = await this.deps.holds.tryHold(tenantId, {
        _id: id,
        practitionerId: slot.practitionerId,
        facilityId: slot.facilityId,
        departmentId: slot.departmentId,
        date: slot.date,
        m: slot.startMinute,
        seat,
        appointmentId,
        createdAt: new Date(),
      });
      if (held) return id;
      // A retry of the same request finds its own hold.
      if ((await this.deps.holds.get(tenantId, id))?.appointmentId === appointmentId) return id;
    }
    return undefined;
  }

  /** Compare-and-set on the version, retried on conflicts; `decide` returns undefined for "nothing to change". */
  private async change(
    tenantId: string,
    appointmentId: string,
    source: SourceCode,
    decide: (a: AppointmentRecord, now: Date) => { kind: ChangeKindCode; next: AppointmentRecord } | undefined,
  ): Promise<ChangeResult> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const a = await this.deps.appointments.get(tenantId, appointmentId);
      if (!a) throw new NotFoundError('appointment not found');
      const now = this.deps.clock.now();
      const decision = decide(a, now);
      if (!decision) return { appointment: a, changed: false };
      const next = { ...decision.next, version: a.version + 1 };
      if (await this.deps.appointments.replace(next, a.version)) {
        await this.deps.events.publish(next, { kind: decision.kind, source, at: now, before: a });
        return { appointment: next, changed: true, before: a };
      }
    }
    throw new InvalidChangeError('the appointment changed concurrently too often; retry');
  }
}

interface ChangeResult {
  readonly appointment: AppointmentRecord;
  readonly changed: boolean;
  readonly before?: AppointmentRecord;
}
