import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AppointmentStatus, BookingChannel, Topics, type AppointmentChanged } from '@careloop/contracts';
import { infraEnv, installInMemoryTracing, TopicTap, waitFor, type InMemoryTracing } from '@careloop/testing';
import type { ReceivedMessage, SimulatedPatient } from '@careloop/cloud-api-simulator';
import { Catalog as RoutingCatalog } from '@careloop/routing/i18n/catalog';
import { Catalog as TriageCatalog } from '@careloop/triage/i18n/catalog';
import { Catalog as SchedulingCatalog } from '@careloop/scheduling/i18n/catalog';
import { startPlatform, type Platform } from './support/platform';

const routingText = RoutingCatalog.load();
const triageText = TriageCatalog.load();
const schedulingText = SchedulingCatalog.load();
const HOSPITAL = 'Hospital Demo';

/**
 * The patient journeys of the brief, across the running platform: a patient writes to the
 * simulator (Meta), gateway verifies the signed webhook and publishes it, routing and the skills
 * answer over Kafka, gateway sends within Meta's limits, and the patient's phone shows it.
 * Assertions are on what the patient sees (the simulator) and what staff see (the inbox API).
 */
describe('patient journeys end to end', () => {
  let platform: Platform;
  let tracing: InMemoryTracing;
  let appointments: TopicTap<AppointmentChanged>;

  beforeAll(async () => {
    tracing = installInMemoryTracing();
    platform = await startPlatform();
    appointments = await TopicTap.start(infraEnv().KAFKA_BROKERS, Topics.appointmentChanged, [platform.tenantId]);
    await seedGeneralPractice(platform);
    // Ready means every consumer group has its partitions: the first answer proves routing's.
    const first = platform.patient('Warm-up');
    await first.sendText('Hello');
    await first.waitForMessage(() => true, 180_000);
  }, 240_000);

  afterAll(async () => {
    await appointments.stop();
    await platform.stop();
    await tracing.uninstall();
  });

  const bodyOf = (m: ReceivedMessage) => m.body ?? '';
  const expectMessage = (patient: SimulatedPatient, predicate: (m: ReceivedMessage) => boolean, what: string) =>
    patient.waitForMessage(predicate, 60_000).catch((error: unknown) => {
      throw new Error(`${what}: not received. Transcript:\n${patient.renderTranscript()}`, { cause: error });
    });

  /** First contact through consent to the menu, in Spanish. */
  async function consentedSpanishPatient(name: string): Promise<SimulatedPatient> {
    const patient = platform.patient(name);
    await patient.sendText('Hola');
    await expectMessage(patient, (m) => bodyOf(m) === routingText.t('es', 'consent.ask', { hospital: HOSPITAL }), 'the consent question');
    await patient.replyButton('consent:accept');
    await expectMessage(patient, (m) => bodyOf(m) === routingText.t('es', 'menu.body', { hospital: HOSPITAL }), 'the main menu');
    return patient;
  }

  it('1. a new patient writes "Hola": Spanish is detected, consent is asked, the menu comes in Spanish', async () => {
    const patient = platform.patient('Lucía');
    await patient.sendText('Hola');
    const question = await expectMessage(patient, () => true, 'an answer to Hola');
    expect(bodyOf(question)).toBe(routingText.t('es', 'consent.ask', { hospital: HOSPITAL }));
    expect(question.buttons.map((b) => b.id)).toEqual(['consent:accept', 'consent:decline']);
    await patient.replyButton('consent:accept');
    const menu = await expectMessage(patient, (m) => m.listRows.length > 0, 'the menu as a list');
    expect(bodyOf(menu)).toBe(routingText.t('es', 'menu.body', { hospital: HOSPITAL }));
    expect(menu.listRows.map((r) => r.title)).toContain(routingText.t('es', 'menu.row.book.title'));
    expect(menu.listRows.length).toBeLessThanOrEqual(10);
  });

  it('2. booking: department, then slots as an interactive list, then confirmation; the appointment exists in scheduling', async () => {
    const patient = await consentedSpanishPatient('Carmen');
    await patient.replyList('menu:book');
    const departments = await expectMessage(patient, (m) => m.listRows.length > 0, 'the departments as a list');
    expect(departments.listRows.map((r) => r.id)).toContain('sched:dep:general-practice');
    await patient.replyList('sched:dep:general-practice');
    const practitioners = await expectMessage(patient, (m) => m.listRows.length > 0, 'practitioners or first available');
    expect(practitioners.listRows[0]?.id).toBe('sched:pr:any');
    await patient.replyList('sched:pr:any');
    const slots = await expectMessage(patient, (m) => m.listRows.some((r) => r.id.startsWith('sched:slot:')), 'free slots as a list');
    expect(slots.listRows.length).toBeLessThanOrEqual(10);
    const slot = slots.listRows.find((r) => r.id.startsWith('sched:slot:'))!;
    await patient.replyList(slot.id);
    const confirm = await expectMessage(patient, (m) => m.buttons.length > 0, 'the confirmation buttons');
    const ok = confirm.buttons.find((b) => b.id.startsWith('sched:ok:'))!;
    await patient.replyButton(ok.id);
    const booked = await expectMessage(patient, (m) => bodyOf(m).startsWith(schedulingText.t('es', 'book.done.body', { date: '', time: '', practitioner: '', department: '', facility: '', address: '' }).slice(0, 20)), 'the booking confirmation');
    expect(bodyOf(booked)).toContain('Hospital Madrid Central');
    const event = await waitFor('the booked appointment in scheduling', () => appointments.received().find((e) => e.payload.appointment?.status === AppointmentStatus.APPOINTMENT_STATUS_BOOKED), 30_000);
    expect(event.payload.appointment).toMatchObject({ departmentId: 'general-practice', facilityId: 'madrid-central', bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT });
  }, 300_000);

  it('7. "chest pain and sweating" escalates at once with safety advice and a priority handover; "fever and cough" is offered a GP booking', async () => {
    const supervisor = platform.agentToken({ sub: 'nurse-1', role: 'supervisor' });
    const before = new Set(((await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string }[]).map((c) => c.id));

    const patient = await consentedSpanishPatient('Jorge');
    await patient.replyList('menu:symptoms');
    await expectMessage(patient, () => true, 'triage’s first question');
    await patient.sendText('Tengo dolor en el pecho y estoy sudando mucho');
    const advice = await expectMessage(patient, (m) => bodyOf(m).includes('112'), 'the emergency advice with the number to call');
    expect(bodyOf(advice)).toContain(triageText.t('es', 'emergency.call', { number: '112' }));
    expect(bodyOf(advice)).toContain(triageText.t('es', 'disclaimer', { number: '112' }));

    const queued = await waitFor(
      'the emergency in the human queue',
      async () => {
        const list = (await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string; priority: number }[];
        return list.find((c) => !before.has(c.id));
      },
      30_000,
    );
    expect(queued.priority).toBe(3);

    const other = await consentedSpanishPatient('Marta');
    await other.replyList('menu:symptoms');
    await expectMessage(other, () => true, 'triage’s first question');
    await other.sendText('Tengo fiebre y tos desde ayer');
    // Follow-up questions until an outcome offers a booking with general practice.
    const offer = await answerUntil(other, (m) => m.buttons.some((b) => b.id.startsWith('sched:book:dept:general-practice')), 8);
    expect(offer.buttons.some((b) => b.id === 'sched:book:dept:general-practice')).toBe(true);
    // Every outcome says it is not a diagnosis.
    expect(other.messages().map(bodyOf).join('\n')).toContain(triageText.t('es', 'disclaimer', { number: '112' }));
  }, 300_000);

  it('8. "talk to a person" queues the conversation; an agent replies from the inbox and the patient receives it; closing it ends the handover', async () => {
    const supervisor = platform.agentToken({ sub: 'agent-7', role: 'supervisor' });
    const before = new Set(((await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string }[]).map((c) => c.id));
    const patient = await consentedSpanishPatient('Pilar');
    await patient.sendText('quiero hablar con una persona');
    const conversation = await waitFor(
      'the conversation in the queue',
      async () => ((await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string }[]).find((c) => !before.has(c.id)),
      30_000,
    );
    const reply = await platform.inbox(`/inbox/conversations/${conversation.id}/replies`, supervisor, { method: 'POST', body: { text: 'Buenas tardes, soy Ana, de admisión. ¿En qué le ayudo?' } });
    expect(reply.status).toBeLessThan(300);
    await expectMessage(patient, (m) => bodyOf(m) === 'Buenas tardes, soy Ana, de admisión. ¿En qué le ayudo?', 'the agent’s reply');
    const closed = await platform.inbox(`/inbox/conversations/${conversation.id}/close`, supervisor, { method: 'POST', body: {} });
    expect(closed.status).toBeLessThan(300);
    const after = (await platform.inbox(`/inbox/conversations/${conversation.id}`, supervisor)).json['conversation'] as { status: string };
    expect(after.status).toBe('closed');
  });

  it('11. "STOP" ends all messaging but its confirmation', async () => {
    const patient = await consentedSpanishPatient('Rosa');
    await patient.sendText('BAJA');
    await expectMessage(patient, (m) => bodyOf(m) === routingText.t('es', 'optout.confirmed'), 'the opt-out confirmation');
    const count = patient.messages().length;
    await patient.sendText('Hola');
    await patient.replyList('menu:book');
    // Give the platform every chance to answer (it must not), then count again.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(patient.messages()).toHaveLength(count);
  });

  it('one trace spans a patient message from gateway through routing and a skill to gateway’s send', async () => {
    const patient = await consentedSpanishPatient('Inés');
    tracing.exporter.reset();
    await patient.replyList('menu:symptoms');
    await expectMessage(patient, () => true, 'triage’s answer');
    const spans = await waitFor('the send span of triage’s answer', () => {
      const all = tracing.spans();
      const inbound = all.find((s) => s.name === 'send messaging.inbound-message.v1');
      if (!inbound) return undefined;
      const trace = all.filter((s) => s.spanContext().traceId === inbound.spanContext().traceId);
      return trace.some((s) => s.name === 'process messaging.outbound-command.v1') ? trace : undefined;
    }, 30_000);
    const names = spans.map((s: ReadableSpan) => s.name);
    expect(names).toEqual(expect.arrayContaining([
      'send messaging.inbound-message.v1',
      'process messaging.inbound-message.v1',
      'send triage.turn.v1',
      'process triage.turn.v1',
      'send messaging.outbound-command.v1',
      'process messaging.outbound-command.v1',
    ]));
  });
});

/**
 * Answers triage's follow-up questions — "no" for yes/no, else the first button or row, else
 * "38" — waiting each time for the bot's answer to settle, until a message matches or `limit`
 * answers were given.
 */
async function answerUntil(patient: SimulatedPatient, done: (m: ReceivedMessage) => boolean, limit: number): Promise<ReceivedMessage> {
  for (let i = 0; i <= limit; i += 1) {
    const before = patient.messages().length;
    await patient.waitForMessage(() => true, 30_000).catch(() => undefined);
    await settled(patient);
    const answers = patient.messages().slice(Math.max(0, before - 1));
    const found = answers.find(done);
    if (found) return found;
    const last = patient.lastMessage();
    const no = last?.buttons.find((b) => b.id.endsWith(':no'));
    const firstButton = last?.buttons[0];
    const firstRow = last?.listRows[0];
    if (no) await patient.replyButton(no.id);
    else if (firstButton) await patient.replyButton(firstButton.id);
    else if (firstRow) await patient.replyList(firstRow.id);
    else await patient.sendText('38');
  }
  throw new Error(`no matching message after ${limit} answers. Transcript:\n${patient.renderTranscript()}`);
}

/** Waits until no new message has arrived for a second and a half. */
async function settled(patient: SimulatedPatient): Promise<void> {
  for (let count = -1; count !== patient.messages().length; ) {
    count = patient.messages().length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
}

/** A general practice with one doctor who works every day, round the clock, in Madrid. */
async function seedGeneralPractice(platform: Platform): Promise<void> {
  const tenantId = platform.tenantId;
  const api = platform.scheduling;
  await api.upsertFacility({ facility: { tenantId, facilityId: 'madrid-central', name: 'Hospital Madrid Central', timeZone: 'Europe/Madrid', address: 'Calle de Alcalá 100', city: 'Madrid', country: 'ES' } });
  await api.upsertDepartment({ department: { tenantId, departmentId: 'general-practice', name: 'general-practice', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 30 }], maxFutureBookingsPerPatient: 0 } });
  await api.upsertPractitioner({ practitioner: { tenantId, practitionerId: 'p-ruiz', name: 'Dra. Elena Ruiz', departmentIds: ['general-practice'], facilityIds: ['madrid-central'], roles: ['doctor'], languages: ['es', 'en'], active: true } });
  await api.upsertSchedule({
    schedule: {
      tenantId,
      scheduleId: 's-p-ruiz',
      practitionerId: 'p-ruiz',
      facilityId: 'madrid-central',
      departmentId: 'general-practice',
      serviceType: 'consultation',
      slotMinutes: 0,
      capacity: 1,
      hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' }],
      exceptions: [],
      validFrom: '2020-01-01',
      validTo: '',
    },
  });
}
