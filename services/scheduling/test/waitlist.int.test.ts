import { randomUUID } from 'node:crypto';
import { BookingChannel, Channel, ChangeSource, WaitlistChangeKind } from '@careloop/contracts';
import { waitFor } from '@careloop/testing';
import { buttonsOf, expectWithinMetaLimits, patient, seedSmallNetwork, startScheduling, textOf, WHATSAPP_NUMBER, type Patient, type SchedulingUnderTest } from './support/harness';

const HOUR = 3_600_000;

describe('waitlist backfill (real Kafka, FerretDB, Redis)', () => {
  let s: SchedulingUnderTest;

  beforeAll(async () => {
    s = await startScheduling({ SCHEDULING_SWEEP_MS: '400', SCHEDULING_WAITLIST_OFFER_MINUTES: '15' });
    await seedSmallNetwork(s, { slotMinutes: 30 });
  });
  afterAll(() => s.stop());

  const endpoint = { channel: Channel.CHANNEL_WHATSAPP, endpointId: WHATSAPP_NUMBER, displayAddress: '34910000001', accountId: '102290129340398' };
  const recipientOf = (p: Patient) => ({ channel: Channel.CHANNEL_WHATSAPP, channelUserId: p.channelUserId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' });
  const book = (p: Patient, slotId: string) =>
    s.api.book({ tenantId: s.tenantId, requestId: randomUUID(), slotId, patientId: p.patientIds[0] ?? '', contactId: p.contactId, bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT, endpoint, recipient: recipientOf(p), language: p.language, source: ChangeSource.CHANGE_SOURCE_PATIENT });
  const offersTo = (p: Patient) => s.outbound.received().filter((c) => c.payload.to?.channelUserId === p.channelUserId && c.payload.content?.$case === 'replyButtons' && c.payload.content.value.buttons.some((b) => b.id.startsWith('sched:wl:yes:')));

  it('offers a cancelled slot to the waitlist in order; an unanswered offer expires and goes to the next; the first to accept gets it', async () => {
    // From two hours on: the second instance below runs twenty minutes ahead, and a slot that has
    // started by its clock is (rightly) never offered.
    const slots = (await s.api.searchSlots({ tenantId: s.tenantId, departmentId: 'dermatology', practitionerId: 'p-lopez', facilityId: '', serviceType: '', language: '', from: new Date(Date.now() + 2 * HOUR), to: undefined, limit: 20 })).slots;
    const early = slots[0]?.slotId ?? '';
    const late = slots[15]?.slotId ?? '';

    // W holds a late appointment and wants it earlier; E has none yet. W joined first.
    const w = patient('es');
    const e = patient('tr');
    const wAppointment = (await book(w, late)).appointment;
    expect(wAppointment?.slotId).toBe(late);
    const wEntry = await s.api.joinWaitlist({ tenantId: s.tenantId, departmentId: '', practitionerId: '', facilityId: '', patientId: '', contactId: '', endpoint: undefined, recipient: undefined, language: '', currentAppointmentId: wAppointment?.appointmentId ?? '', before: undefined, requestId: randomUUID() });
    const eEntry = await s.api.joinWaitlist({ tenantId: s.tenantId, departmentId: 'dermatology', practitionerId: '', facilityId: '', patientId: e.patientIds[0] ?? '', contactId: e.contactId, endpoint, recipient: recipientOf(e), language: 'tr', currentAppointmentId: '', before: new Date(Date.now() + 30 * 24 * HOUR), requestId: randomUUID() });

    // X takes the early slot, then cancels it: the slot is offered to W (first in line), only.
    const x = patient('en');
    const xAppointment = (await book(x, early)).appointment;
    await s.api.cancel({ tenantId: s.tenantId, appointmentId: xAppointment?.appointmentId ?? '', reason: 'pat-crs', source: ChangeSource.CHANGE_SOURCE_PATIENT });
    const offeredW = await waitFor('the offer to W', () => s.waitlist.received().find((ev) => ev.payload.waitlistEntryId === wEntry.waitlistEntryId && ev.payload.kind === WaitlistChangeKind.WAITLIST_CHANGE_KIND_OFFERED));
    expect(offeredW.payload).toMatchObject({ offeredSlotId: early, freedByAppointmentId: xAppointment?.appointmentId, position: 1, currentAppointmentId: wAppointment?.appointmentId, contactId: w.contactId });
    expect(offeredW.payload.recipient?.channelUserId).toBe(w.channelUserId);
    const [offerMessage] = await waitFor('the offer message to W', () => (offersTo(w).length > 0 ? offersTo(w) : undefined));
    expectWithinMetaLimits(offerMessage!.payload);
    expect(buttonsOf(offerMessage!.payload)?.buttons.map((b) => b.id)).toEqual([`sched:wl:yes:${offeredW.payload.offerId}`, `sched:wl:no:${offeredW.payload.offerId}`]);
    expect(offerMessage!.payload.notAfter).toEqual(offeredW.payload.offerExpiresAt);
    expect(s.waitlist.received().some((ev) => ev.payload.waitlistEntryId === eEntry.waitlistEntryId && ev.payload.kind === WaitlistChangeKind.WAITLIST_CHANGE_KIND_OFFERED)).toBe(false);

    // Twenty minutes later (a second instance with its clock moved on), W has not answered: the offer expires and E gets it.
    const later = await s.another({ SCHEDULING_CLOCK_OFFSET_MS: String(20 * 60_000), SCHEDULING_SWEEP_MS: '300', SCHEDULING_PUBLIC_BASE_URL: '' });
    await waitFor('W’s offer to expire', () => s.waitlist.received().find((ev) => ev.payload.waitlistEntryId === wEntry.waitlistEntryId && ev.payload.kind === WaitlistChangeKind.WAITLIST_CHANGE_KIND_EXPIRED), 30_000);
    const offeredE = await waitFor('the offer to E', () => s.waitlist.received().find((ev) => ev.payload.waitlistEntryId === eEntry.waitlistEntryId && ev.payload.kind === WaitlistChangeKind.WAITLIST_CHANGE_KIND_OFFERED), 30_000);
    expect(offeredE.payload.position).toBe(2);
    await waitFor('the offer message to E', () => (offersTo(e).length > 0 ? true : undefined));

    // W answers too late; E takes it.
    const [gone] = await s.answersTo(await s.turn(w, `sched:wl:yes:${offeredW.payload.offerId}`), 1);
    expect(textOf(gone)).toContain('ya no está disponible');
    const taken = await s.answersTo(await s.turn(e, `sched:wl:yes:${offeredE.payload.offerId}`), 1);
    expect(textOf(taken[0])).toContain('Randevunuz alındı');
    const eList = await s.api.listAppointments({ tenantId: s.tenantId, patientId: e.patientIds[0] ?? '', contactId: '', upcomingOnly: true });
    expect(eList.appointments.map((a) => [a.slotId, a.waitlistEntryId])).toEqual([[early, eEntry.waitlistEntryId]]);
    await waitFor('the accepted event', () => s.waitlist.received().find((ev) => ev.payload.waitlistEntryId === eEntry.waitlistEntryId && ev.payload.kind === WaitlistChangeKind.WAITLIST_CHANGE_KIND_ACCEPTED));
    // W keeps the late appointment.
    const wList = await s.api.listAppointments({ tenantId: s.tenantId, patientId: w.patientIds[0] ?? '', contactId: '', upcomingOnly: true });
    expect(wList.appointments.map((a) => a.slotId)).toEqual([late]);
    await later.stop();
  });

});
