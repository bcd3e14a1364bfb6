import { Channel, ConsentState, ReminderKind, ReminderState, SkillOutcomeKind, remindersApi } from '@careloop/contracts';
import { sleep, uniqueName, waitFor } from '@careloop/testing';
import { DateTime } from 'luxon';
import { newPatient, startReminders, type Patient, type RemindersUnderTest } from './support/reminders-harness';

describe('medication reminders and vital-sign prompts (real Kafka, FerretDB, Redis)', () => {
  let r: RemindersUnderTest;
  let target: DateTime;
  let offsetMs: number;

  const medication = { patients: [] as Patient[], plans: [] as string[] };
  const vital = { patients: [] as Patient[], plans: [] as string[] };

  // The service's clock stands some seconds before a whole minute, so plans at that minute fire soon.
  beforeAll(async () => {
    target = DateTime.utc().plus({ minutes: 2 }).startOf('minute');
    offsetMs = target.toMillis() - 30_000 - Date.now();
    r = await startReminders({ REMINDERS_CLOCK_OFFSET_MS: String(offsetMs) });
    // However long the start took, plans are created six seconds (service time) before they are due.
    const wait = target.toMillis() - 6_000 - (Date.now() + offsetMs);
    if (wait > 0) await sleep(wait);
    medication.patients.push(newPatient(), newPatient(), newPatient());
    vital.patients.push(newPatient(), newPatient());
    for (const p of [...medication.patients, ...vital.patients]) await r.consent(p, ConsentState.CONSENT_STATE_OPTED_IN);
    medication.plans.push(...(await Promise.all(medication.patients.map((p) => plan(p, ReminderKind.REMINDER_KIND_MEDICATION, { medicationLabel: 'Metformin 850 mg' })))));
    vital.plans.push(...(await Promise.all(vital.patients.map((p) => plan(p, ReminderKind.REMINDER_KIND_VITAL_SIGN, { vitalSign: remindersApi.VitalSign.VITAL_SIGN_BLOOD_GLUCOSE })))));
  });

  afterAll(async () => {
    await r.stop();
  });

  async function plan(patient: Patient, kind: ReminderKind, extra: Partial<remindersApi.CreatePlanRequest> = {}): Promise<string> {
    const planId = uniqueName('plan');
    await r.createPlan(
      remindersApi.CreatePlanRequest.fromPartial({
        tenantId: r.tenantId,
        planId,
        kind,
        facilityId: 'madrid-central',
        departmentId: 'endocrinology',
        contactId: patient.contactId,
        patientId: patient.patientId,
        endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: r.endpointId, displayAddress: '', accountId: '' },
        recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: patient.waId },
        language: 'en',
        timeZone: 'Europe/Madrid',
        timesOfDay: [target.setZone('Europe/Madrid').toFormat('HH:mm')],
        startDate: target.setZone('Europe/Madrid').toISODate() ?? '',
        ...extra,
      }),
    );
    return planId;
  }

  async function fired(planId: string): Promise<{ reminderId: string; buttons: string[]; body: string }> {
    const scheduled = await r.waitForChange('plan scheduled', (c) => c.planId === planId && c.state === ReminderState.REMINDER_STATE_SCHEDULED);
    const command = await waitFor('plan reminder sent', () => r.outbound.received().find((e) => e.payload.commandId === scheduled.commandId)?.payload, 25_000);
    if (command.content?.$case !== 'replyButtons') throw new Error('expected buttons');
    return { reminderId: scheduled.reminderId, buttons: command.content.value.buttons.map((b) => b.id), body: command.content.value.body };
  }

  it('fires a medication reminder at the local time with Taken / Snooze / Skip, and records each answer', async () => {
    const { patients, plans } = medication;
    const [taken, snoozed, skipped] = await Promise.all(plans.map((id) => fired(id)));
    if (!taken || !snoozed || !skipped) throw new Error('three reminders expected');
    expect(taken.body).toContain('Metformin 850 mg');
    expect(taken.buttons).toEqual([`rem:taken:${taken.reminderId}`, `rem:snooze:${taken.reminderId}`, `rem:skip:${taken.reminderId}`]);
    const scheduledAt = r.changesOf({ reminderId: taken.reminderId }).find((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED);
    expect(scheduledAt?.dueAt?.getTime()).toBe(target.toMillis());

    const [p0, p1, p2] = patients as [Patient, Patient, Patient];
    await r.press(p0, `rem:taken:${taken.reminderId}`);
    await r.press(p1, `rem:snooze:${snoozed.reminderId}`);
    await r.press(p2, `rem:skip:${skipped.reminderId}`);
    await r.waitForChange('taken', (c) => c.reminderId === taken.reminderId && c.state === ReminderState.REMINDER_STATE_CONFIRMED && c.reasonCode === 'taken');
    await r.waitForChange('skipped', (c) => c.reminderId === skipped.reminderId && c.state === ReminderState.REMINDER_STATE_SKIPPED && c.reasonCode === 'patient-skipped');
    await r.waitForChange('snoozed', (c) => c.reminderId === snoozed.reminderId && c.state === ReminderState.REMINDER_STATE_SNOOZED);
    const again = await r.waitForChange('snooze occurrence', (c) => c.planId === plans[1] && c.state === ReminderState.REMINDER_STATE_SCHEDULED && c.occurrenceKey.endsWith(':snooze'));
    const serviceNow = Date.now() + offsetMs;
    expect(Math.abs((again.dueAt?.getTime() ?? 0) - (serviceNow + 30 * 60_000))).toBeLessThan(60_000);
    // The next day's dose is already scheduled (one pending occurrence per plan).
    const tomorrow = r.changesOf({ planId: plans[0] }).find((c) => c.state === ReminderState.REMINDER_STATE_SCHEDULED && c.reminderId !== taken.reminderId);
    expect(tomorrow?.dueAt?.getTime()).toBe(target.setZone('Europe/Madrid').plus({ days: 1 }).toMillis());
  });

  it('turns glucose replies "6.1" and "110 mg/dl" into observations with the right codes and units, and re-asks politely on "banana"', async () => {
    const [a, b] = vital.patients as [Patient, Patient];
    const [promptA, promptB] = await Promise.all(vital.plans.map((id) => fired(id)));
    if (!promptA || !promptB) throw new Error('two prompts expected');

    const askA = await r.press(a, `rem:reading:${promptA.reminderId}`);
    const [asked] = await r.answersTo(askA, 1);
    expect(asked?.content?.$case === 'text' ? asked.content.value.body : '').toMatch(/type your blood glucose/);
    const askOutcome = await waitFor('continue', () => r.outcomes.received().find((e) => e.payload.turnId === askA)?.payload);
    expect(askOutcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE);

    const banana = await r.say(a, 'banana');
    const [reask] = await r.answersTo(banana, 1);
    expect(reask?.content?.$case === 'text' ? reask.content.value.body : '').toMatch(/could not read that/);
    const bananaOutcome = await waitFor('continue', () => r.outcomes.received().find((e) => e.payload.turnId === banana)?.payload);
    expect(bananaOutcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE);

    await r.say(a, '6.1');
    await r.press(b, `rem:reading:${promptB.reminderId}`);
    await r.say(b, '110 mg/dl');
    const observations = await waitFor('two observations', () => {
      const mine = r.observations.received().map((e) => e.payload).filter((o) => o.contactId === a.contactId || o.contactId === b.contactId);
      return mine.length >= 2 ? mine : undefined;
    });
    const byContact = Object.fromEntries(observations.map((o) => [o.contactId, o]));
    expect(byContact[a.contactId]).toMatchObject({ patientId: a.patientId, reminderId: promptA.reminderId, codeSystem: 'http://loinc.org', code: '15074-8', value: 6.1, unit: 'mmol/L', unitInferred: true });
    expect(byContact[b.contactId]).toMatchObject({ patientId: b.patientId, reminderId: promptB.reminderId, codeSystem: 'http://loinc.org', code: '2339-0', value: 110, unit: 'mg/dL', unitInferred: false });
    expect(r.observations.received().filter((e) => e.payload.contactId === a.contactId)).toHaveLength(1);

    // Three unreadable answers: the third says so and how to try again, and hands the chat back (routing sends the menu).
    await r.answersTo(await r.press(b, `rem:reading:${promptB.reminderId}`), 1);
    await r.answersTo(await r.say(b, 'banana'), 1);
    await r.answersTo(await r.say(b, 'no sé'), 1);
    const third = await r.say(b, '¿?');
    const [gaveUp] = await r.answersTo(third, 1);
    expect(gaveUp?.content?.$case === 'text' ? gaveUp.content.value.body : '').toMatch(/still could not read it.*press “Send my reading”/);
    const thirdOutcome = await waitFor('hand-back', () => r.outcomes.received().find((e) => e.payload.turnId === third)?.payload);
    expect(thirdOutcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_HAND_BACK, reason: 'reading-unreadable' });
  });
});
