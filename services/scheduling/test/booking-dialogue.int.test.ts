import { randomUUID } from 'node:crypto';
import { AppointmentChangeKind, AppointmentStatus, BookingChannel, ChangeSource, MediaKind, SkillOutcomeKind, schedulingApi } from '@careloop/contracts';
import { waitFor } from '@careloop/testing';
import { buttonsOf, expectWithinMetaLimits, listOf, patient, seedSmallNetwork, startScheduling, textOf, type SchedulingUnderTest } from './support/harness';

const { BookOutcome } = schedulingApi;

describe('the booking dialogue, driven by turn events (real Kafka, FerretDB, Redis)', () => {
  let s: SchedulingUnderTest;

  beforeAll(async () => {
    s = await startScheduling();
    await seedSmallNetwork(s, { slotMinutes: 30 });
  });
  afterAll(() => s.stop());

  const rowsOf = (list: ReturnType<typeof listOf>) => list?.sections.flatMap((x) => x.rows) ?? [];

  it('books from the menu: department → first available → slots with paging → confirm → confirmation with a calendar file; a slot taken meanwhile gets "just taken"', async () => {
    const p = patient('es');
    const [departments] = await s.answersTo(await s.turn(p, 'menu:book'), 1);
    expectWithinMetaLimits(departments!);
    expect(rowsOf(listOf(departments)).map((r) => r.id)).toEqual(['sched:dep:cardiology', 'sched:dep:dermatology']);
    expect(rowsOf(listOf(departments)).map((r) => r.title)).toEqual(['Cardiología', 'Dermatología']);

    const [practitioners] = await s.answersTo(await s.turn(p, 'sched:dep:cardiology'), 1);
    expectWithinMetaLimits(practitioners!);
    const pRows = rowsOf(listOf(practitioners));
    expect(pRows[0]?.id).toBe('sched:pr:any');
    // The practitioners of the facility the patient wrote to come first.
    expect(pRows.slice(1).map((r) => r.id)).toEqual(['sched:pr:p-garcia', 'sched:pr:p-yilmaz']);

    const [page1] = await s.answersTo(await s.turn(p, 'sched:pr:any'), 1);
    expectWithinMetaLimits(page1!);
    const rows1 = rowsOf(listOf(page1));
    expect(rows1).toHaveLength(10);
    expect(rows1[9]?.id.startsWith('sched:more:')).toBe(true);
    const slots1 = rows1.slice(0, 9).map((r) => r.id.replace('sched:slot:', ''));

    const [page2] = await s.answersTo(await s.turn(p, rows1[9]?.id ?? ''), 1);
    expectWithinMetaLimits(page2!);
    const slots2 = rowsOf(listOf(page2)).filter((r) => r.id.startsWith('sched:slot:')).map((r) => r.id.replace('sched:slot:', ''));
    expect(slots2.length).toBeGreaterThan(0);
    // Paging moves forward in time: every slot of page 2 starts after the last of page 1.
    const minuteOf = (slotId: string) => Number.parseInt(slotId.split('@')[2] ?? '', 36);
    expect(Math.min(...slots2.map(minuteOf))).toBeGreaterThan(Math.max(...slots1.map(minuteOf)));
    expect(slots1.map(minuteOf)).toEqual([...slots1.map(minuteOf)].sort((a, b) => a - b));

    const chosen = slots1[0] ?? '';
    const [confirm] = await s.answersTo(await s.turn(p, `sched:slot:${chosen}`), 1);
    expectWithinMetaLimits(confirm!);
    expect(buttonsOf(confirm)?.buttons.map((b) => b.id)).toEqual([`sched:ok:${chosen}`, 'sched:other', 'sched:quit']);

    // Someone else books the slot between listing and confirming.
    const other = await s.api.book({ tenantId: s.tenantId, requestId: randomUUID(), slotId: chosen, patientId: 'someone-else', contactId: 'c-else', bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT, endpoint: undefined, recipient: undefined, language: 'es', source: ChangeSource.CHANGE_SOURCE_STAFF });
    expect(other.outcome).toBe(BookOutcome.BOOK_OUTCOME_BOOKED);
    const [taken, nextList] = await s.answersTo(await s.turn(p, `sched:ok:${chosen}`), 2);
    expect(textOf(taken)).toContain('acaba de reservar');
    expectWithinMetaLimits(nextList!);
    const nextSlots = rowsOf(listOf(nextList)).filter((r) => r.id.startsWith('sched:slot:')).map((r) => r.id.replace('sched:slot:', ''));
    expect(nextSlots).not.toContain(chosen);
    expect(nextSlots.length).toBeGreaterThan(0);

    const second = nextSlots[0] ?? '';
    const okTurn = randomUUID();
    const answers = await s.answersTo(await s.turn(p, `sched:ok:${second}`, { turnId: okTurn }), 3);
    const [done, ics, ask] = answers;
    expect(textOf(done)).toContain('Su cita está reservada');
    const facilityId = second.split('@')[1];
    const place = facilityId === 'madrid-central' ? { name: 'Hospital Madrid Central', zone: 'Europe/Madrid' } : { name: 'Levent Hastanesi', zone: 'Europe/Istanbul' };
    expect(textOf(done)).toContain(place.name);
    expect(ics?.content?.$case).toBe('media');
    const media = ics?.content?.$case === 'media' ? ics.content.value : undefined;
    expect(media?.kind).toBe(MediaKind.MEDIA_KIND_DOCUMENT);
    expect(media?.media?.filename).toBe('appointment.ics');
    expectWithinMetaLimits(ask!);
    for (const a of answers) expect(a.to?.channelUserId).toBe(p.channelUserId);

    // The calendar file is served at an unguessable link on scheduling's HTTP port.
    const path = new URL(media?.media?.link ?? 'http://x/').pathname;
    expect(path).toMatch(/^\/ics\/[A-Za-z0-9_-]{32}\.ics$/);
    const res = await fetch(`${s.baseUrl}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/calendar');
    const body = await res.text();
    expect(body).toContain('BEGIN:VEVENT');
    expect(body).toContain(`DTSTART:${new Date(Number.parseInt(second.split('@')[2] ?? '', 36) * 60_000).toISOString().replace(/[-:]/g, '').replace('.000', '')}`);
    expect((await fetch(`${s.baseUrl}/ics/${'A'.repeat(32)}.ics`)).status).toBe(404);

    // The BOOKED event carries what reminders and analytics need, and no phone number or name.
    const booked = await waitFor('the booked event', () => s.appointments.received().find((e) => e.payload.appointment?.patientId === p.patientIds[0] && e.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED));
    const a = booked.payload.appointment;
    expect(a).toMatchObject({ slotId: second, facilityId, facilityTimeZone: place.zone, departmentId: 'cardiology', contactId: p.contactId, bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT, status: AppointmentStatus.APPOINTMENT_STATUS_BOOKED, version: 1, language: 'es' });
    expect(a?.recipient).toMatchObject({ channelUserId: p.channelUserId, phoneE164: '', profileName: '' });
    expect(a?.endpoint?.endpointId).toBe('1000001');
    expect(a?.leadTimeSeconds).toBe(Math.round(((a?.start?.getTime() ?? 0) - (a?.bookedAt?.getTime() ?? 0)) / 1000));
    expect(JSON.stringify(booked.payload)).not.toContain('Paciente Prueba');

    // The dialogue ended: routing gets DONE.
    const outcome = await waitFor('the outcome', () => s.outcomes.received().find((o) => o.payload.contactId === p.contactId && o.payload.kind === SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE));
    expect(outcome.payload.skill).toBe('scheduling');

    // A redelivered turn books nothing more.
    await s.turn(p, `sched:ok:${second}`, { turnId: okTurn });
    await new Promise((r) => setTimeout(r, 1500));
    const list = await s.api.listAppointments({ tenantId: s.tenantId, patientId: p.patientIds[0] ?? '', contactId: '', upcomingOnly: true });
    expect(list.appointments.map((x) => x.slotId)).toEqual([second]);
  });

  it("starts at the department another skill named (triage's sched:book:dept:, reminders' sched:book:), after \"for whom?\", and lists all departments for one it does not know", async () => {
    const single = patient('en');
    const [fromTriage] = await s.answersTo(await s.turn(single, 'sched:book:dept:dermatology'), 1);
    expect(rowsOf(listOf(fromTriage))[0]?.id).toBe('sched:pr:any');
    expect(rowsOf(listOf(fromTriage)).map((r) => r.id)).toContain('sched:pr:p-lopez');
    expect(rowsOf(listOf(fromTriage)).map((r) => r.id)).not.toContain('sched:pr:p-garcia');

    const shared = patient('en', 2);
    const [who] = await s.answersTo(await s.turn(shared, 'sched:book:cardiology'), 1);
    expect(rowsOf(listOf(who)).map((r) => r.id)).toEqual(['sched:who:0', 'sched:who:1']);
    const [practitioners] = await s.answersTo(await s.turn(shared, 'sched:who:0'), 1);
    expect(rowsOf(listOf(practitioners)).map((r) => r.id)).toContain('sched:pr:p-garcia');

    const [unknown] = await s.answersTo(await s.turn(patient('en'), 'sched:book:dept:radiology'), 1);
    expect(rowsOf(listOf(unknown)).map((r) => r.id)).toEqual(['sched:dep:cardiology', 'sched:dep:dermatology']);
  });

  it('moves and cancels from the chat, listing upcoming appointments, and asks "for whom?" for a shared phone', async () => {
    const p = patient('de', 2);
    const [who] = await s.answersTo(await s.turn(p, 'menu:book'), 1);
    expectWithinMetaLimits(who!);
    expect(rowsOf(listOf(who)).map((r) => r.id)).toEqual(['sched:who:0', 'sched:who:1']);
    const [deps] = await s.answersTo(await s.turn(p, 'sched:who:1'), 1);
    expect(rowsOf(listOf(deps)).map((r) => r.id)).toContain('sched:dep:dermatology');
    await s.answersTo(await s.turn(p, 'sched:dep:dermatology'), 1);
    const [slots] = await s.answersTo(await s.turn(p, 'sched:pr:p-lopez'), 1);
    const slotIds = rowsOf(listOf(slots)).filter((r) => r.id.startsWith('sched:slot:')).map((r) => r.id.replace('sched:slot:', ''));
    const first = slotIds[0] ?? '';
    const [done] = await s.answersTo(await s.turn(p, `sched:ok:${first}`), 3);
    expect(textOf(done)).toContain('Ihr Termin ist gebucht');
    const mine = await s.api.listAppointments({ tenantId: s.tenantId, patientId: p.patientIds[1] ?? '', contactId: '', upcomingOnly: true });
    expect(mine.appointments).toHaveLength(1);
    const appointmentId = mine.appointments[0]?.appointmentId ?? '';

    // "My appointments" for the second patient.
    await s.answersTo(await s.turn(p, 'menu:appointments'), 1);
    const [upcoming] = await s.answersTo(await s.turn(p, 'sched:who:1'), 1);
    expectWithinMetaLimits(upcoming!);
    expect(rowsOf(listOf(upcoming)).map((r) => r.id)).toEqual([`sched:appt:${appointmentId}`]);
    const [actions] = await s.answersTo(await s.turn(p, `sched:appt:${appointmentId}`), 1);
    expectWithinMetaLimits(actions!);
    expect(buttonsOf(actions)?.buttons.map((b) => b.id)).toEqual([`sched:mv:${appointmentId}`, `sched:cx:${appointmentId}`, 'sched:keep']);

    // Reschedule: the new slot is held, the old one is free again.
    const [moveList] = await s.answersTo(await s.turn(p, `sched:mv:${appointmentId}`), 1);
    const target = rowsOf(listOf(moveList)).filter((r) => r.id.startsWith('sched:slot:')).map((r) => r.id.replace('sched:slot:', '')).find((x) => x !== first) ?? '';
    const [moved] = await s.answersTo(await s.turn(p, `sched:ok:${target}`), 2);
    expect(textOf(moved)).toContain('verschoben');
    const after = await s.api.listAppointments({ tenantId: s.tenantId, patientId: p.patientIds[1] ?? '', contactId: '', upcomingOnly: true });
    expect(after.appointments.map((x) => [x.appointmentId, x.slotId, x.version])).toEqual([[appointmentId, target, 2]]);
    const free = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'dermatology', practitionerId: 'p-lopez', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 20 });
    expect(free.slots.map((x) => x.slotId)).toContain(first);
    expect(free.slots.map((x) => x.slotId)).not.toContain(target);
    const rescheduled = await waitFor('the rescheduled event', () => s.appointments.received().find((e) => e.key === appointmentId && e.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_RESCHEDULED));
    expect(rescheduled.payload.previousSlotId).toBe(first);
    expect(rescheduled.payload.appointment?.version).toBe(2);

    // Cancel, with a confirmation step.
    const [sure] = await s.answersTo(await s.turn(p, `sched:cx:${appointmentId}`), 1);
    expect(buttonsOf(sure)?.buttons.map((b) => b.id)).toEqual([`sched:cxy:${appointmentId}`, 'sched:keep']);
    const [cancelled] = await s.answersTo(await s.turn(p, `sched:cxy:${appointmentId}`), 1);
    expect(textOf(cancelled)).toContain('abgesagt');
    const event = await waitFor('the cancelled event', () => s.appointments.received().find((e) => e.key === appointmentId && e.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED));
    expect(event.payload.appointment).toMatchObject({ status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat', version: 3 });
    expect(event.payload.appointment?.cancelledAt).toBeInstanceOf(Date);
    const freeAgain = await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'dermatology', practitionerId: 'p-lopez', facilityId: '', serviceType: '', language: '', from: undefined, to: undefined, limit: 20 });
    expect(freeAgain.slots.map((x) => x.slotId)).toContain(target);

    // Another contact cannot act on this appointment with a forged reply id.
    const stranger = patient('en');
    const [list] = await s.answersTo(await s.turn(stranger, `sched:cxy:${appointmentId}`), 1);
    expect(buttonsOf(list)?.buttons.map((b) => b.id)).toEqual(['sched:book', 'sched:menu']);
  });
});
