import { randomUUID } from 'node:crypto';
import { AppointmentChangeKind, AppointmentStatus, BookingChannel, Channel, ChangeSource } from '@careloop/contracts';
import { waitFor } from '@careloop/testing';
import { patient, seedSmallNetwork, startScheduling, WHATSAPP_NUMBER, type Patient, type SchedulingUnderTest } from './support/harness';

const HOUR = 3_600_000;

describe('attendance (real Kafka, FerretDB, Redis)', () => {
  let s: SchedulingUnderTest;

  beforeAll(async () => {
    s = await startScheduling({ SCHEDULING_SWEEP_MS: '400', SCHEDULING_NO_SHOW_GRACE_MINUTES: '30' });
    await seedSmallNetwork(s, { slotMinutes: 30 });
  });
  afterAll(() => s.stop());

  const endpoint = { channel: Channel.CHANNEL_WHATSAPP, endpointId: WHATSAPP_NUMBER, displayAddress: '34910000001', accountId: '102290129340398' };
  const recipientOf = (p: Patient) => ({ channel: Channel.CHANNEL_WHATSAPP, channelUserId: p.channelUserId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' });
  const book = (p: Patient, slotId: string) =>
    s.api.book({ tenantId: s.tenantId, requestId: randomUUID(), slotId, patientId: p.patientIds[0] ?? '', contactId: p.contactId, bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT, endpoint, recipient: recipientOf(p), language: p.language, source: ChangeSource.CHANGE_SOURCE_PATIENT });

  it('marks a passed appointment no-show after the grace period unless the EHR recorded an arrival', async () => {
    const now = Date.now();
    const imported = (value: string, status: AppointmentStatus, startMs: number) =>
      s.api.importAppointment({
        tenantId: s.tenantId,
        externalId: { system: 'urn:ehr:demo', value },
        practitionerId: 'p-garcia',
        facilityId: 'madrid-central',
        departmentId: 'cardiology',
        serviceType: 'consultation',
        start: new Date(startMs),
        end: new Date(startMs + 30 * 60_000),
        status,
        patientId: `patient-${value}`,
        contactId: '',
        cancellationReason: '',
        language: 'es',
        endpoint: undefined,
        recipient: undefined,
      });
    const missed = (await imported(`ehr-${randomUUID()}`, AppointmentStatus.APPOINTMENT_STATUS_BOOKED, now - 3 * HOUR)).appointment;
    const came = (await imported(`ehr-${randomUUID()}`, AppointmentStatus.APPOINTMENT_STATUS_ARRIVED, now - 3 * HOUR)).appointment;
    const recent = (await imported(`ehr-${randomUUID()}`, AppointmentStatus.APPOINTMENT_STATUS_BOOKED, now - 40 * 60_000)).appointment;
    expect(missed?.bookingChannel).toBe(BookingChannel.BOOKING_CHANNEL_EHR);

    const noShow = await waitFor('the no-show event', () => s.appointments.received().find((ev) => ev.key === missed?.appointmentId && ev.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW), 20_000);
    expect(noShow.payload.source).toBe(ChangeSource.CHANGE_SOURCE_SYSTEM);
    expect(noShow.payload.appointment).toMatchObject({ status: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, version: 2 });
    // Ten minutes after its end: still inside the 30-minute grace period. Give the sweep a few rounds.
    await new Promise((r) => setTimeout(r, 2_000));
    const seen = s.appointments.received().filter((ev) => ev.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW).map((ev) => ev.key);
    expect(seen).not.toContain(came?.appointmentId);
    expect(seen).not.toContain(recent?.appointmentId);

    // The EHR says the presumed no-show came after all: the import wins, and the same import again changes nothing.
    const externalValue = missed?.externalIds[0]?.value ?? '';
    const corrected = (await imported(externalValue, AppointmentStatus.APPOINTMENT_STATUS_ARRIVED, now - 3 * HOUR)).appointment;
    expect(corrected).toMatchObject({ appointmentId: missed?.appointmentId, status: AppointmentStatus.APPOINTMENT_STATUS_ARRIVED, version: 3 });
    expect((await imported(externalValue, AppointmentStatus.APPOINTMENT_STATUS_ARRIVED, now - 3 * HOUR)).appointment?.version).toBe(3);

    // A chat booking for tomorrow: an instance whose clock is 36 hours ahead marks it no-show.
    const p = patient('es');
    const slot = (await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'cardiology', practitionerId: 'p-garcia', facilityId: '', serviceType: '', language: '', from: new Date(now + 6 * HOUR), to: undefined, limit: 1 })).slots[0];
    const chat = (await book(p, slot?.slotId ?? '')).appointment;
    await s.another({ SCHEDULING_CLOCK_OFFSET_MS: String(36 * HOUR), SCHEDULING_SWEEP_MS: '300', SCHEDULING_PUBLIC_BASE_URL: '' });
    const chatNoShow = await waitFor('the chat appointment no-show', () => s.appointments.received().find((ev) => ev.key === chat?.appointmentId && ev.payload.kind === AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW), 30_000);
    expect(chatNoShow.payload.appointment?.noShowAt).toBeInstanceOf(Date);
  });

  it('keeps SCHEDULING_HORIZON_DAYS of slots ahead as the calendar moves on, leaving the days already stored alone', async () => {
    const days = s.running.context.mongo?.collection('slot_days');
    if (!days) throw new Error('scheduling has no MongoDB connection');
    const dayOffset = (d: number) => new Date(Date.now() + d * 24 * HOUR).toISOString().slice(0, 10);
    const beyond = { tenantId: s.tenantId, date: { $gt: dayOffset(61) } };
    const stored = await days.countDocuments({ tenantId: s.tenantId });
    expect(stored).toBeGreaterThan(0);
    expect(await days.countDocuments(beyond)).toBe(0);

    // An instance whose clock is 10 days ahead: its first sweep adds the days it now has in view.
    await s.another({ SCHEDULING_CLOCK_OFFSET_MS: String(10 * 24 * HOUR), SCHEDULING_SWEEP_MS: '300', SCHEDULING_PUBLIC_BASE_URL: '' });
    await waitFor('slot days beyond the old horizon', async () => ((await days.countDocuments(beyond)) > 0 ? true : undefined), 30_000);
    const late = await days.find({ tenantId: s.tenantId }, { projection: { date: 1 } }).toArray();
    const newest = late.map((d) => String(d['date'])).sort().at(-1) ?? '';
    expect(newest > dayOffset(61)).toBe(true);
    expect(newest <= dayOffset(71)).toBe(true);
    // Nothing was replaced or duplicated: each (schedule, date) once.
    expect(new Set(late.map((d) => String(d['_id']))).size).toBe(late.length);
    expect(late.length).toBeGreaterThan(stored);
  });
});
