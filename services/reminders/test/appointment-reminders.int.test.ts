import { AppointmentChangeKind, AppointmentStatus, ChangeSource, ConsentState, ReminderState, SkillOutcomeKind } from '@careloop/contracts';
import { sleep, uniqueName, waitFor } from '@careloop/testing';
import { newPatient, startReminders, type RemindersUnderTest } from './support/reminders-harness';

const HOUR = 3_600_000;

describe('appointment reminders (real Kafka, FerretDB, Redis)', () => {
  let r: RemindersUnderTest;

  beforeAll(async () => {
    r = await startReminders();
  });

  afterAll(async () => {
    await r.stop();
  });

  it('book → reminders at 48 h and 2 h → the due one fires with buttons → Confirm is recorded at scheduling and published', async () => {
    const patient = newPatient();
    await r.consent(patient, ConsentState.CONSENT_STATE_OPTED_IN);
    const appointmentId = uniqueName('appt');
    // The 48 h reminder comes due a few seconds from now.
    const start = new Date(Date.now() + 48 * HOUR + 5_000);
    await r.appointment(patient, { id: appointmentId, version: 1, start });

    const scheduled = await waitFor('two scheduled reminders', () => {
      const s = r.changesOf({ appointmentId }).filter((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED);
      return s.length >= 2 ? s : undefined;
    });
    const byOffset = Object.fromEntries(scheduled.map((c) => [c.offsetId, c]));
    // Due at the offset, or (when the event is handled after that instant, within a minute) at once.
    const due48 = byOffset['48h']?.dueAt?.getTime() ?? 0;
    expect(due48).toBeGreaterThanOrEqual(start.getTime() - 48 * HOUR);
    expect(due48 - (start.getTime() - 48 * HOUR)).toBeLessThan(60_000);
    expect(byOffset['2h']?.dueAt?.getTime()).toBe(start.getTime() - 2 * HOUR);
    const reminder = byOffset['48h'];
    if (!reminder) throw new Error('no 48 h reminder');

    const command = await waitFor('the reminder sent', () => r.outbound.received().find((e) => e.payload.commandId === reminder.commandId)?.payload);
    expect(command.requestedBy).toBe('reminders');
    expect(command.to?.channelUserId).toBe(patient.waId);
    expect(command.notAfter?.getTime()).toBe(start.getTime());
    expect(command.templateFallback?.name).toBe('appointment_reminder');
    if (command.content?.$case !== 'replyButtons') throw new Error('expected reply buttons');
    expect(command.content.value.body).toContain('Hospital Central, Cardiology');
    expect(command.content.value.body).toContain('Dr. Ruiz');
    expect(command.content.value.buttons.map((b) => b.id)).toEqual([`rem:confirm:${reminder.reminderId}`, `rem:reschedule:${reminder.reminderId}`, `rem:cancel:${reminder.reminderId}`]);

    await r.accepted(command);
    await r.waitForChange('sent', (c) => c.reminderId === reminder.reminderId && c.state === ReminderState.REMINDER_STATE_SENT);

    const turnId = await r.press(patient, `rem:confirm:${reminder.reminderId}`);
    const [answer] = await r.answersTo(turnId, 1);
    expect(answer?.content?.$case === 'text' ? answer.content.value.body : '').toMatch(/is confirmed/);
    await r.waitForChange('confirmed', (c) => c.reminderId === reminder.reminderId && c.state === ReminderState.REMINDER_STATE_CONFIRMED);
    await waitFor('Confirm at scheduling', () => r.scheduling.confirms.find((c) => c.appointmentId === appointmentId));
    expect(r.scheduling.confirms.filter((c) => c.appointmentId === appointmentId)).toEqual([{ tenantId: r.tenantId, appointmentId, source: ChangeSource.CHANGE_SOURCE_PATIENT }]);
    const outcome = await waitFor('outcome', () => r.outcomes.received().find((e) => e.payload.turnId === turnId)?.payload);
    expect(outcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE);

    // The 2 h reminder is still pending; only one message went to the patient.
    expect(r.outbound.received().filter((e) => e.payload.contactId === patient.contactId && e.payload.commandId !== answer?.commandId)).toHaveLength(1);

    // Scheduling's confirmed version of the same time: the 48 h reminder, already sent (and due
    // "now" if planned again), is not planned a second time; the 2 h one stays as it was.
    await r.appointment(patient, { id: appointmentId, version: 2, start, kind: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED, confirmed: true });
    const ledger = r.running.context.mongo?.collection('appointments');
    if (!ledger) throw new Error('reminders has no MongoDB connection');
    await waitFor('version 2 handled', async () => ((await ledger.findOne({ tenantId: r.tenantId, _id: appointmentId } as Record<string, unknown>))?.['version'] === 2 ? true : undefined));
    await sleep(1_000); // its ReminderChanged events, had it planned any, would be on the topic by now
    const planned48 = r.changesOf({ appointmentId }).filter((c) => c.offsetId === '48h' && c.state === ReminderState.REMINDER_STATE_SCHEDULED);
    expect(new Set(planned48.map((c) => c.reminderId))).toEqual(new Set([reminder.reminderId]));
    const listed = await r.list({ appointmentId });
    expect(listed.reminders.map((x) => [x.offsetId, x.state]).sort()).toEqual(
      [
        ['2h', ReminderState.REMINDER_STATE_SCHEDULED],
        ['48h', ReminderState.REMINDER_STATE_CONFIRMED],
      ].sort(),
    );
    expect(r.outbound.received().filter((e) => e.payload.contactId === patient.contactId && e.payload.commandId !== answer?.commandId)).toHaveLength(1);
  });

  it('reschedule replaces the reminders; cancel drops them; an older snapshot changes nothing', async () => {
    const patient = newPatient();
    await r.consent(patient, ConsentState.CONSENT_STATE_OPTED_IN);
    const appointmentId = uniqueName('appt');
    const first = new Date(Date.now() + 72 * HOUR);
    await r.appointment(patient, { id: appointmentId, version: 1, start: first });
    const v1 = await waitFor('v1 scheduled', () => {
      const s = r.changesOf({ appointmentId }).filter((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED);
      return s.length >= 2 ? s : undefined;
    });

    const moved = new Date(first.getTime() + 24 * HOUR);
    await r.appointment(patient, { id: appointmentId, version: 2, start: moved, kind: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_RESCHEDULED });
    await waitFor('old ones withdrawn, new ones scheduled', () => {
      const cs = r.changesOf({ appointmentId });
      const cancelled = cs.filter((c) => c.state === ReminderState.REMINDER_STATE_CANCELLED && c.reasonCode === 'rescheduled');
      const fresh = cs.filter((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED && c.appointmentStart?.getTime() === moved.getTime());
      return cancelled.length === 2 && fresh.length === 2;
    });
    const cancelledIds = r.changesOf({ appointmentId }).filter((c) => c.state === ReminderState.REMINDER_STATE_CANCELLED).map((c) => c.reminderId).sort();
    expect(cancelledIds).toEqual(v1.map((c) => c.reminderId).sort());
    const v2 = r.changesOf({ appointmentId }).filter((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED && c.appointmentStart?.getTime() === moved.getTime());
    expect(v2.map((c) => c.dueAt?.getTime()).sort()).toEqual([moved.getTime() - 48 * HOUR, moved.getTime() - 2 * HOUR].sort());

    // A late duplicate of version 1 must not bring the old reminders back.
    await r.appointment(patient, { id: appointmentId, version: 1, start: first });
    await r.appointment(patient, { id: appointmentId, version: 3, start: moved, kind: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED });
    await waitFor('new ones dropped', () => r.changesOf({ appointmentId }).filter((c) => c.state === ReminderState.REMINDER_STATE_CANCELLED && c.reasonCode === 'appointment-cancelled').length === 2);
    const listed = await r.list({ appointmentId });
    expect(listed.reminders.map((x) => [x.state, x.reasonCode]).sort()).toEqual(
      [
        [ReminderState.REMINDER_STATE_CANCELLED, 'rescheduled'],
        [ReminderState.REMINDER_STATE_CANCELLED, 'rescheduled'],
        [ReminderState.REMINDER_STATE_CANCELLED, 'appointment-cancelled'],
        [ReminderState.REMINDER_STATE_CANCELLED, 'appointment-cancelled'],
      ].sort(),
    );
  });

  it('Cancel from the reminder cancels through scheduling and says so; Reschedule hands over to the booking dialogue', async () => {
    const patient = newPatient();
    await r.consent(patient, ConsentState.CONSENT_STATE_OPTED_IN);
    const appointmentId = uniqueName('appt');
    await r.appointment(patient, { id: appointmentId, version: 1, start: new Date(Date.now() + 48 * HOUR + 1_500) });
    const sent = await waitFor('reminder sent', () => r.outbound.received().find((e) => e.payload.contactId === patient.contactId)?.payload);
    const reminderId = sent.content?.$case === 'replyButtons' ? (sent.content.value.buttons[0]?.id.split(':')[2] ?? '') : '';

    const reschedule = await r.press(patient, `rem:reschedule:${reminderId}`);
    const [handOver] = await r.answersTo(reschedule, 1);
    expect(handOver?.content?.$case === 'replyButtons' ? handOver.content.value.buttons.map((b) => b.id) : []).toEqual([`sched:mv:${appointmentId}`]);

    const cancel = await r.press(patient, `rem:cancel:${reminderId}`);
    const [said] = await r.answersTo(cancel, 1);
    expect(said?.content?.$case === 'text' ? said.content.value.body : '').toMatch(/has been cancelled/);
    expect(r.scheduling.cancels.filter((c) => c.appointmentId === appointmentId)).toEqual([{ tenantId: r.tenantId, appointmentId, reason: 'pat', source: ChangeSource.CHANGE_SOURCE_PATIENT }]);
    await r.waitForChange('cancelled by patient', (c) => c.reminderId === reminderId && c.state === ReminderState.REMINDER_STATE_CANCELLED_BY_PATIENT);

    // Someone else's reply id does nothing to this appointment.
    const stranger = newPatient();
    const foreign = await r.press(stranger, `rem:confirm:${reminderId}`);
    const [refused] = await r.answersTo(foreign, 1);
    expect(refused?.content?.$case === 'text' ? refused.content.value.body : '').toMatch(/no longer active/);
    expect(r.scheduling.confirms.filter((c) => c.appointmentId === appointmentId)).toEqual([]);
  });

  it('sends nothing to an opted-out contact, nor to one who opts out after scheduling, nor without consent', async () => {
    const optedOut = newPatient();
    const laterOut = newPatient();
    const unknown = newPatient();
    await r.consent(optedOut, ConsentState.CONSENT_STATE_OPTED_OUT);
    await r.consent(laterOut, ConsentState.CONSENT_STATE_OPTED_IN);
    const start = new Date(Date.now() + 48 * HOUR + 4_000);
    const ids = { optedOut: uniqueName('appt'), laterOut: uniqueName('appt'), unknown: uniqueName('appt') };
    await r.appointment(optedOut, { id: ids.optedOut, version: 1, start });
    await r.appointment(laterOut, { id: ids.laterOut, version: 1, start });
    await r.appointment(unknown, { id: ids.unknown, version: 1, start });
    await waitFor('laterOut scheduled', () => r.changesOf({ appointmentId: ids.laterOut }).some((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED));
    await r.consent(laterOut, ConsentState.CONSENT_STATE_OPTED_OUT);

    const skipped = (appointmentId: string) => r.changesOf({ appointmentId }).find((c) => c.state === ReminderState.REMINDER_STATE_SKIPPED && c.offsetId === '48h');
    await waitFor('all three skipped at fire time', () => skipped(ids.optedOut) && skipped(ids.laterOut) && skipped(ids.unknown), 25_000);
    expect([skipped(ids.optedOut)?.reasonCode, skipped(ids.laterOut)?.reasonCode, skipped(ids.unknown)?.reasonCode]).toEqual(['opted-out', 'opted-out', 'no-consent']);
    await sleep(500);
    const contacts = new Set([optedOut.contactId, laterOut.contactId, unknown.contactId]);
    expect(r.outbound.received().filter((e) => contacts.has(e.payload.contactId))).toEqual([]);
  });
});

describe('quiet hours (real infrastructure)', () => {
  let r: RemindersUnderTest;
  // Quiet hours around the current UTC time: a reminder due now moves to their end.
  const now = new Date();
  const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const start = new Date(now.getTime() - HOUR);
  const end = new Date(now.getTime() + HOUR);

  beforeAll(async () => {
    r = await startReminders({ REMINDERS_POLICIES: JSON.stringify({ default: { quietHours: { start: hhmm(start), end: hhmm(end), move: 'after' } } }) });
  });

  afterAll(async () => {
    await r.stop();
  });

  it('moves a reminder due in quiet hours to their end in the patient’s zone, and sends nothing meanwhile', async () => {
    const patient = newPatient();
    await r.consent(patient, ConsentState.CONSENT_STATE_OPTED_IN);
    const appointmentId = uniqueName('appt');
    await r.appointment(patient, { id: appointmentId, version: 1, start: new Date(Date.now() + 48 * HOUR + 2_000), timeZone: 'UTC' });
    const reminder = await r.waitForChange('48 h scheduled', (c) => c.appointmentId === appointmentId && c.offsetId === '48h' && c.state === ReminderState.REMINDER_STATE_SCHEDULED);
    const expected = new Date(end);
    expected.setUTCSeconds(0, 0);
    expect(reminder.dueAt?.toISOString()).toBe(expected.toISOString());
    await sleep(3_000);
    expect(r.outbound.received().filter((e) => e.payload.contactId === patient.contactId)).toEqual([]);
  });
});
