import { randomUUID } from 'node:crypto';
import { AppointmentChangeKind, BookingChannel, ChangeSource, schedulingApi } from '@careloop/contracts';
import { waitFor } from '@careloop/testing';
import { seedSmallNetwork, startScheduling, type SchedulingUnderTest } from './support/harness';

const { BookOutcome } = schedulingApi;

describe('booking under contention (real FerretDB)', () => {
  let s: SchedulingUnderTest;

  beforeAll(async () => {
    s = await startScheduling();
    await seedSmallNetwork(s, { slotMinutes: 10 });
  });
  afterAll(() => s.stop());

  it('200 concurrent requests for 50 slots: exactly 50 succeed, no slot twice, every loser gets a clean "taken"', async () => {
    const search = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'cardiology', practitionerId: 'p-garcia', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 50 });
    expect(search.slots).toHaveLength(50);
    const slotIds = search.slots.map((x) => x.slotId);
    expect(new Set(slotIds).size).toBe(50);

    // Four different patients race for each slot, all at once.
    const requests = Array.from({ length: 200 }, (_, i) => ({
      tenantId: s.tenantId,
      requestId: randomUUID(),
      slotId: slotIds[i % 50] ?? '',
      patientId: `patient-${i}`,
      contactId: `contact-${i}`,
      bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT,
      endpoint: undefined,
      recipient: undefined,
      language: 'es',
      source: ChangeSource.CHANGE_SOURCE_STAFF,
    }));
    const results = await Promise.all(requests.map((r) => s.api.book(r)));

    const booked = results.filter((r) => r.outcome === BookOutcome.BOOK_OUTCOME_BOOKED);
    const taken = results.filter((r) => r.outcome === BookOutcome.BOOK_OUTCOME_SLOT_TAKEN);
    expect(booked).toHaveLength(50);
    expect(taken).toHaveLength(150);
    expect(taken.every((r) => r.appointment === undefined)).toBe(true);
    const bookedSlots = booked.map((r) => r.appointment?.slotId);
    expect(new Set(bookedSlots)).toEqual(new Set(slotIds));

    // The store agrees: every slot is gone from the search, and each patient holds at most one.
    const after = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'cardiology', practitionerId: 'p-garcia', facilityId: '', serviceType: '', language: '', from: undefined, to: search.slots[49]?.end, limit: 100 });
    expect(after.slots.filter((x) => slotIds.includes(x.slotId))).toEqual([]);
    const winners = booked.map((r) => r.appointment?.patientId ?? '');
    for (const patientId of winners) {
      const list = await s.api.listAppointments({ tenantId: s.tenantId, patientId, contactId: '', upcomingOnly: true });
      expect(list.appointments).toHaveLength(1);
    }

    // One BOOKED event per winner.
    const events = await waitFor('50 booked events', () => {
      const e = s.appointments.received().filter((x) => x.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED);
      return e.length >= 50 ? e : undefined;
    });
    expect(new Set(events.map((e) => e.payload.appointment?.slotId))).toEqual(new Set(slotIds));
    expect(events.every((e) => e.key === e.payload.appointment?.appointmentId && e.payload.appointment.version === 1)).toBe(true);
  });

  it('a retried booking request returns the same appointment and books nothing more', async () => {
    const search = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'dermatology', practitionerId: '', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 2 });
    const request = {
      tenantId: s.tenantId,
      requestId: randomUUID(),
      slotId: search.slots[0]?.slotId ?? '',
      patientId: 'patient-retry',
      contactId: 'contact-retry',
      bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT,
      endpoint: undefined,
      recipient: undefined,
      language: 'es',
      source: ChangeSource.CHANGE_SOURCE_STAFF,
    };
    const [a, b] = await Promise.all([s.api.book(request), s.api.book(request)]);
    const c = await s.api.book(request);
    expect([a.outcome, b.outcome, c.outcome]).toEqual([BookOutcome.BOOK_OUTCOME_BOOKED, BookOutcome.BOOK_OUTCOME_BOOKED, BookOutcome.BOOK_OUTCOME_BOOKED]);
    expect(new Set([a.appointment?.appointmentId, b.appointment?.appointmentId, c.appointment?.appointmentId]).size).toBe(1);
    const list = await s.api.listAppointments({ tenantId: s.tenantId, patientId: 'patient-retry', contactId: '', upcomingOnly: true });
    expect(list.appointments).toHaveLength(1);
  });

  it('limits future bookings per patient and department, and answers bad input with INVALID_ARGUMENT', async () => {
    const search = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'dermatology', practitionerId: '', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 5 });
    const book = (slotId: string) =>
      s.api.book({ tenantId: s.tenantId, requestId: randomUUID(), slotId, patientId: 'patient-greedy', contactId: 'c', bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT, endpoint: undefined, recipient: undefined, language: 'es', source: ChangeSource.CHANGE_SOURCE_STAFF });
    const outcomes = [];
    for (const slot of search.slots.slice(1, 4)) outcomes.push((await book(slot.slotId)).outcome);
    // The default limit is 2 future bookings per department.
    expect(outcomes).toEqual([BookOutcome.BOOK_OUTCOME_BOOKED, BookOutcome.BOOK_OUTCOME_BOOKED, BookOutcome.BOOK_OUTCOME_LIMIT_REACHED]);

    await expect(s.api.book({ tenantId: '', requestId: 'r', slotId: 'x', patientId: 'p', contactId: '', bookingChannel: BookingChannel.BOOKING_CHANNEL_UNSPECIFIED, endpoint: undefined, recipient: undefined, language: '', source: ChangeSource.CHANGE_SOURCE_UNSPECIFIED })).rejects.toMatchObject({ code: 3 });
    await expect(s.api.searchSlots({ tenantId: s.tenantId, departmentId: '', practitionerId: '', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 5 })).rejects.toMatchObject({ code: 3 });
    const malformed = await book('not-a-slot');
    expect(malformed.outcome).toBe(BookOutcome.BOOK_OUTCOME_SLOT_UNAVAILABLE);
  });

  it('holds the per-patient limit under concurrent bookings of one patient (count, hold and insert are one step per patient)', async () => {
    const search = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'cardiology', practitionerId: '', facilityId: '', serviceType: '', language: '', from: new Date(Date.now() + 10 * 86_400_000), to: undefined, limit: 8 });
    expect(search.slots).toHaveLength(8);
    const patientId = `patient-${randomUUID()}`;
    const outcomes = await Promise.all(
      search.slots.map((slot) =>
        s.api.book({ tenantId: s.tenantId, requestId: randomUUID(), slotId: slot.slotId, patientId, contactId: 'c', bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT, endpoint: undefined, recipient: undefined, language: 'es', source: ChangeSource.CHANGE_SOURCE_STAFF }),
      ),
    );
    // The default limit is 2 future bookings per department.
    expect(outcomes.filter((o) => o.outcome === BookOutcome.BOOK_OUTCOME_BOOKED)).toHaveLength(2);
    expect(outcomes.filter((o) => o.outcome === BookOutcome.BOOK_OUTCOME_LIMIT_REACHED)).toHaveLength(6);
    const held = await s.api.listAppointments({ tenantId: s.tenantId, patientId, contactId: '', upcomingOnly: true });
    expect(held.appointments).toHaveLength(2);
  });
});
