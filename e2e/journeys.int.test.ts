import type { Appointment as FhirAppointment, Communication, Patient as FhirPatient } from '@medplum/fhirtypes';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DateTime } from 'luxon';
import {
  AppointmentChangeKind,
  AppointmentStatus,
  BookingChannel,
  ChangeSource,
  PatientResponse,
  ReminderKind,
  Topics,
  remindersApi,
  type AppointmentChanged,
  type AppointmentSnapshot,
  type ObservationRecorded,
} from '@careloop/contracts';
import type { Language } from '@careloop/i18n';
import { patientIdFor } from '@careloop/crm-sync/domain/import-mapping';
import { infraEnv, installInMemoryTracing, TopicTap, uniqueName, waitFor, type InMemoryTracing } from '@careloop/testing';
import type { ReceivedMessage, SimulatedPatient } from '@careloop/cloud-api-simulator';
import { Catalog as RoutingCatalog } from '@careloop/routing/i18n/catalog';
import { Catalog as TriageCatalog } from '@careloop/triage/i18n/catalog';
import { Catalog as SchedulingCatalog } from '@careloop/scheduling/i18n/catalog';
import { Catalog as RemindersCatalog } from '@careloop/reminders/i18n/catalog';
import { Catalog as SurveyCatalog } from '@careloop/analytics/i18n/catalog';
import { Catalog as EhrCatalog } from '@careloop/crm-sync/i18n/catalog';
import { HOSPITAL_NAME, startPlatform, WHATSAPP_NUMBER, type Platform } from './support/platform';
import { bodyOf, consentedPatient as consentedOn, expectMessage, GREETING, mobileFor } from './support/conversation';
import { bookFrom, practitionerId, seedNetwork, whatsappRecipient, DEPARTMENTS, FACILITY_ID, FACILITY_NAME, MADRID } from './support/network';
import { connectEhr, Ehr, ehrPatient, finalReport } from './support/ehr';
import { runDemo } from './support/demo-script';

const routingText = RoutingCatalog.load();
const triageText = TriageCatalog.load();
const schedulingText = SchedulingCatalog.load();
const remindersText = RemindersCatalog.load();
const surveyText = SurveyCatalog.load();
const ehrText = EhrCatalog.load();
const LANGUAGES = ['en', 'es', 'de', 'fr', 'tr', 'ru'] as const satisfies readonly Language[];
/** "chest pain and sweating" as patients write it. */
const CHEST_PAIN: Record<Language, string> = {
  en: 'I have chest pain and I am sweating a lot',
  es: 'Tengo dolor en el pecho y estoy sudando mucho',
  de: 'Ich habe Schmerzen in der Brust und schwitze stark',
  fr: "J'ai une douleur dans la poitrine et je transpire beaucoup",
  tr: 'Göğsümde ağrı var ve çok terliyorum',
  ru: 'У меня боль в груди и я сильно потею',
};
/** Each language's usual opt-out keyword (routing's keyword lists; French STOP is English too, so ARRÊT). */
const STOP: Record<Language, string> = { en: 'STOP', es: 'BAJA', de: 'STOPP', fr: 'ARRÊT', tr: 'DUR', ru: 'СТОП' };
/** Every report below covers the days any journey's appointment can fall on. */
const PERIOD = { from: DateTime.now().setZone(MADRID).minus({ days: 1 }).toISODate() ?? '', to: DateTime.now().setZone(MADRID).plus({ days: 3 }).toISODate() ?? '' };

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
  let observations: TopicTap<ObservationRecorded>;
  let ehr: Ehr;

  beforeAll(async () => {
    tracing = installInMemoryTracing();
    platform = await startPlatform();
    appointments = await TopicTap.start(infraEnv().KAFKA_BROKERS, Topics.appointmentChanged, [platform.tenantId]);
    observations = await TopicTap.start(infraEnv().KAFKA_BROKERS, Topics.observationRecorded, [platform.tenantId]);
    await seedNetwork(platform.scheduling, platform.tenantId);
    // The EHR's own bookings come into a department no other journey counts: the FHIR server is shared, and every appointment it gets is imported.
    await connectEhr(platform.crmSync, platform.tenantId, platform.fhirBaseUrl, WHATSAPP_NUMBER, { facilityId: FACILITY_ID, departmentId: DEPARTMENTS.internalMedicine.id, practitionerId: practitionerId(DEPARTMENTS.internalMedicine.id, 0) });
    ehr = new Ehr(platform.fhirBaseUrl);
    // The platform is started once every consumer group has caught up; a first answer proves the path through gateway and routing.
    const first = platform.patient('Warm-up');
    await first.sendText('Hello');
    await first.waitForMessage(() => true, 60_000);
  }, 360_000);

  afterAll(async () => {
    await appointments.stop();
    await observations.stop();
    await platform.stop();
    await tracing.uninstall();
  });

  /** A message the patient has received at any time, or the next one that matches. */
  const receivedOrNext = (patient: SimulatedPatient, predicate: (m: ReceivedMessage) => boolean, what: string) => {
    const found = patient.messages().find(predicate);
    return found ? Promise.resolve(found) : expectMessage(patient, predicate, what);
  };

  const consentedPatient = (name: string, language: Language, waId?: string) => consentedOn(platform, name, language, waId);
  const consentedSpanishPatient = (name: string) => consentedPatient(name, 'es');

  it('1. a new patient writes "Hola": Spanish is detected, consent is asked, the menu comes in Spanish', async () => {
    const patient = platform.patient('Lucía');
    await patient.sendText('Hola');
    const question = await expectMessage(patient, () => true, 'an answer to Hola');
    expect(bodyOf(question)).toBe(routingText.t('es', 'consent.ask', { hospital: HOSPITAL_NAME }));
    expect(question.buttons.map((b) => b.id)).toEqual(['consent:accept', 'consent:decline']);
    await patient.replyButton('consent:accept');
    const menu = await expectMessage(patient, (m) => m.listRows.length > 0, 'the menu as a list');
    expect(bodyOf(menu)).toBe(routingText.t('es', 'menu.body', { hospital: HOSPITAL_NAME }));
    expect(menu.listRows.map((r) => r.title)).toContain(routingText.t('es', 'menu.row.book.title'));
    expect(menu.listRows.length).toBeLessThanOrEqual(10);
  });

  it('2. booking: department, then slots as an interactive list, then confirmation; the appointment exists in scheduling and in the EHR', async () => {
    const who = await consentedBooker('Carmen');
    const patient = who.patient;
    await patient.replyList('menu:book');
    const departments = await expectMessage(patient, (m) => m.listRows.some((r) => r.id.startsWith('sched:dep:')), 'the departments as a list');
    expect(departments.listRows.map((r) => r.id)).toContain('sched:dep:general-practice');
    await patient.replyList('sched:dep:general-practice');
    const practitioners = await expectMessage(patient, (m) => m.listRows.some((r) => r.id.startsWith('sched:pr:')), 'practitioners or first available');
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
    const event = await waitFor('the booked appointment in scheduling', () => appointments.received().find((e) => e.payload.appointment?.contactId === who.contactId && e.payload.appointment.status === AppointmentStatus.APPOINTMENT_STATUS_BOOKED), 30_000);
    const appointment = event.payload.appointment!;
    expect(appointment).toMatchObject({ departmentId: 'general-practice', facilityId: 'madrid-central', bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT });

    // The EHR holds it too (crm-sync's appointments out), found by our identifier, with its Patient.
    const [inEhr] = await waitFor('the booking in the EHR', async () => {
      const found = await ehr.search<FhirAppointment>('Appointment', { identifier: `urn:careloop:${platform.tenantId}:appointment|${appointment.appointmentId}` });
      return found.length > 0 ? found : undefined;
    }, 30_000);
    expect(inEhr?.status).toBe('booked');
    expect(new Date(inEhr?.start ?? 0).getTime()).toBe(appointment.start?.getTime());
    const patientRef = inEhr?.participant.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor?.reference ?? '';
    const ehrPatient = await ehr.read<FhirPatient>('Patient', patientRef.slice('Patient/'.length));
    expect(ehrPatient.identifier).toContainEqual(expect.objectContaining({ system: `urn:careloop:${platform.tenantId}:patient`, value: appointment.patientId }));
  }, 300_000);

  it('7. "chest pain and sweating" escalates at once with safety advice and a priority handover, in every language; "fever and cough" is offered a GP booking', async () => {
    const supervisor = platform.agentToken({ sub: 'nurse-1', role: 'supervisor' });
    const before = new Set(((await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string }[]).map((c) => c.id));

    // Fever and cough, at the same time as the emergencies: follow-up questions until an outcome offers a booking with general practice.
    const feverAndCough = (async () => {
      const other = await consentedSpanishPatient('Marta');
      await other.replyList('menu:symptoms');
      await expectMessage(other, () => true, 'triage’s first question');
      await other.sendText('Tengo fiebre y tos desde ayer');
      return { other, offer: await answerUntil(other, (m) => m.buttons.some((b) => b.id.startsWith('sched:book:dept:general-practice')), 8) };
    })();

    // One patient per language, at the same time (the emergency number is the facility's country's: Spain, 112).
    const emergencies = Promise.all(
      LANGUAGES.map(async (language) => {
        const patient = await consentedPatient(`Chest ${language}`, language);
        await patient.replyList('menu:symptoms');
        await expectMessage(patient, () => true, `triage’s first question in ${language}`);
        await patient.sendText(CHEST_PAIN[language]);
        const advice = await expectMessage(patient, (m) => bodyOf(m).includes('112'), `the emergency advice in ${language}`);
        expect(bodyOf(advice)).toContain(triageText.t(language, 'emergency.call', { number: '112' }));
        expect(bodyOf(advice)).toContain(triageText.t(language, 'disclaimer', { number: '112' }));
        return platform.contactIdOf(patient);
      }),
    );
    const [contacts, { other, offer }] = await Promise.all([emergencies, feverAndCough]);

    const queued = await waitFor(
      'the emergencies in the human queue',
      async () => {
        const list = (await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string; contactId: string; priority: number }[];
        const fresh = contacts.map((contactId) => list.find((c) => c.contactId === contactId && !before.has(c.id)));
        return fresh.every((c) => c !== undefined) ? fresh : undefined;
      },
      30_000,
    );
    expect(queued.map((c) => c.priority)).toEqual(LANGUAGES.map(() => 3));

    expect(offer.buttons.some((b) => b.id === 'sched:book:dept:general-practice')).toBe(true);
    // Every outcome says it is not a diagnosis.
    expect(other.messages().map(bodyOf).join('\n')).toContain(triageText.t('es', 'disclaimer', { number: '112' }));
  }, 300_000);

  it('8. "talk to a person" queues the conversation; an agent replies from the inbox and the patient receives it; closing it ends the handover and triggers the survey', async () => {
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
    // Closing a conversation an agent handled triggers the survey about it.
    const survey = await expectMessage(patient, (m) => m.listRows.some((r) => r.id.startsWith('survey:rate:')), 'the survey about the conversation');
    expect(bodyOf(survey)).toBe(surveyText.t('es', 'survey.ask.conversation'));
  });

  it('9. lab results only after identity verification: the lab report comes as a document, imaging is announced with a booking button, genetics is never mentioned; three wrong dates of birth lock the request for staff', async () => {
    const supervisor = platform.agentToken({ sub: 'privacy-1', role: 'supervisor' });
    const audit = async (patientId: string) =>
      ((await platform.inbox(`/inbox/audit?resource=${encodeURIComponent(`patient:${patientId}`)}`, supervisor)).json['entries'] as { action: string; actor: string }[] | undefined) ?? [];
    const patientIdOf = (fhirId: string) => patientIdFor({ tenantId: platform.tenantId, baseUrl: platform.fhirBaseUrl }, fhirId);
    /** The patient's messages since the nth one. */
    const since = (patient: SimulatedPatient, n: number) => patient.messages().slice(n);

    // The EHR holds each patient before they write: their messages then come inside one of Meta's
    // 6-second pair windows (the simulator's), where a later answer would wait out the pair limit.
    // Rosa: in the EHR under her mobile, with a blood count (lab), a chest X-ray (imaging) and a genetic analysis (genetics).
    const released = (async () => {
      const waId = mobileFor('es');
      const record = await ehrPatient(ehr, { given: 'Rosa', family: 'Delgado', birthDate: '1984-05-17', phoneE164: `+${waId}` });
      const fhirId = record.id ?? '';
      const cbc = await finalReport(ehr, fhirId, { section: 'LAB', code: '58410-2', name: 'Hemograma completo', daysAgo: 3, observations: [{ code: '718-7', name: 'Hemoglobina', value: 13.4, unit: 'g/dL', low: 12, high: 15.5 }] });
      const xray = await finalReport(ehr, fhirId, { section: 'RAD', code: '36643-5', name: 'Radiografía de tórax', daysAgo: 2, conclusion: 'Sin hallazgos agudos.' });
      const genetics = await finalReport(ehr, fhirId, { section: 'GE', code: '51969-4', name: 'Análisis genético', daysAgo: 1, conclusion: 'Variante de significado incierto.' });
      const rosa = await consentedPatient('Rosa', 'es', waId);

      await rosa.replyList('menu:results');
      await expectMessage(rosa, (m) => bodyOf(m) === routingText.t('es', 'verify.dob.ask'), 'the question for the date of birth');
      // Her date of birth as Spaniards write it; then this tenant's policy asks for a one-time code, sent with its authentication template.
      await rosa.sendText('17/05/1984');
      const code = await expectMessage(rosa, (m) => m.template?.name === 'careloop_verification_code', 'the one-time code (authentication template)');
      await expectMessage(rosa, (m) => bodyOf(m) === routingText.t('es', 'verify.otp.ask'), 'the question for the code');
      const digits = /\b(\d{6})\b/.exec(bodyOf(code))?.[1] ?? '';
      expect(digits).toMatch(/^\d{6}$/);
      const beforeCode = rosa.messages().length;
      await rosa.sendText(digits);
      await expectMessage(rosa, (m) => bodyOf(m) === routingText.t('es', 'verify.passed'), 'the identity confirmed');
      const document = await expectMessage(rosa, (m) => m.type === 'document', 'the lab report as a document');
      const announced = await receivedOrNext(rosa, (m) => m.buttons.some((b) => b.id.startsWith('sched:book:')), 'the imaging result announced with a booking button');

      // The document: no PHI in its name or caption, a link that serves the PDF.
      if (document.payload.type !== 'document') throw new Error(`a ${document.payload.type} message, not a document`);
      expect(document.payload.document.filename).toBe('result.pdf');
      expect(document.payload.document.caption).toBe(ehrText.t('es', 'results.document.caption'));
      const link = document.payload.document.link ?? '';
      expect(link.startsWith(`${platform.ehrDocumentsUrl}/ehr/documents/`)).toBe(true);
      const pdf = await fetch(link);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      // The announcement: its date, a booking with general practice, no test name or finding.
      const xrayDate = new Intl.DateTimeFormat('es', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(xray.effectiveDateTime ?? 0));
      expect(bodyOf(announced)).toBe(ehrText.t('es', 'results.announce.body', { date: xrayDate }));
      expect(announced.buttons).toEqual([{ id: 'sched:book:dept:general-practice', title: ehrText.t('es', 'results.announce.button') }]);
      // Genetics: not a word, in any message since the code.
      await settled(rosa);
      const after = since(rosa, beforeCode);
      expect(after.filter((m) => m.type === 'document' || m.buttons.some((b) => b.id.startsWith('sched:book:')))).toHaveLength(2);
      expect(after.map((m) => m.text).join('\n')).not.toMatch(/genétic|Variante|Radiografía|Hemograma/i);

      // Staff's audit trail: routing's side (code sent, passed) and crm-sync's (each result and what was done with it, by which rule).
      const contactId = await platform.contactIdOf(rosa);
      const patientId = patientIdOf(fhirId);
      const verification = await audit(patientId);
      expect(verification.map((e) => e.action)).toEqual(['identity.verification.code_sent', 'identity.verification.passed:results']);
      expect(verification.every((e) => e.actor === `contact:${contactId}`)).toBe(true);
      const decisions = await platform.ehrAudit(patientId);
      expect(Object.fromEntries(decisions.map((e) => [e.resource, [e.action, e.reason]]))).toEqual({
        [`DiagnosticReport/${cbc.id ?? ''}`]: ['result.released.document', 'category:LAB'],
        [`DiagnosticReport/${xray.id ?? ''}`]: ['result.announced', 'category:RAD'],
        [`DiagnosticReport/${genetics.id ?? ''}`]: ['result.withheld', 'category:GE'],
      });
      expect(decisions.every((e) => e.contactId === contactId)).toBe(true);
    })();

    // Klaus, at the same time: three wrong dates of birth (German format) lock the request; staff see it at high priority.
    const locked = (async () => {
      const waId = mobileFor('de');
      const record = await ehrPatient(ehr, { given: 'Klaus', family: 'Becker', birthDate: '1962-09-03', phoneE164: `+${waId}` });
      await finalReport(ehr, record.id ?? '', { section: 'LAB', code: '2345-7', name: 'Glukose', daysAgo: 1, observations: [{ code: '2345-7', name: 'Glukose', value: 95, unit: 'mg/dL', low: 70, high: 99 }] });
      const klaus = await consentedPatient('Klaus', 'de', waId);
      await klaus.replyList('menu:results');
      await expectMessage(klaus, (m) => bodyOf(m) === routingText.t('de', 'verify.dob.ask'), 'the question for the date of birth in German');
      const first = klaus.messages().length;
      for (const wrong of ['03.10.1962', '04.09.1962']) {
        await klaus.sendText(wrong);
        await expectMessage(klaus, (m) => bodyOf(m) === routingText.t('de', 'verify.dob.wrong'), `"${wrong}" does not match`);
      }
      await klaus.sendText('03.09.1963');
      await expectMessage(klaus, (m) => bodyOf(m) === routingText.t('de', 'verify.locked'), 'the request locked');
      const contactId = await platform.contactIdOf(klaus);

      const queued = await waitFor('the locked conversation in the staff queue', async () => {
        const list = (await platform.inbox('/inbox/conversations?status=queued', supervisor)).json['conversations'] as { id: string; contactId: string; priority: number }[];
        return list.find((c) => c.contactId === contactId);
      }, 30_000);
      expect(queued.priority).toBe(2); // high
      const patientId = patientIdOf(record.id ?? '');
      const trail = await audit(patientId);
      expect(trail.map((e) => e.action)).toEqual(['identity.verification.failed', 'identity.verification.failed', 'identity.verification.failed', 'identity.verification.locked']);
      expect(trail.every((e) => e.actor === `contact:${contactId}`)).toBe(true);
      // Nothing of his record reached the chat, and the EHR's side recorded no release.
      expect(since(klaus, first).some((m) => m.type === 'document' || m.template !== undefined)).toBe(false);
      expect(await platform.ehrAudit(patientId)).toEqual([]);
    })();

    await Promise.all([released, locked]);
  }, 180_000);

  it('11. "STOP" ends all messaging but its confirmation, in every language', async () => {
    const stopped = await Promise.all(
      LANGUAGES.map(async (language) => {
        const patient = await consentedPatient(`Stop ${language}`, language);
        await patient.sendText(STOP[language]);
        await expectMessage(patient, (m) => bodyOf(m) === routingText.t(language, 'optout.confirmed'), `the opt-out confirmation in ${language}`);
        const count = patient.messages().length;
        await patient.sendText(GREETING[language]);
        await patient.replyList('menu:book');
        return { patient, count };
      }),
    );
    // Give the platform every chance to answer (it must not), then count again.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(stopped.map(({ patient }) => patient.messages().length)).toEqual(stopped.map(({ count }) => count));
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

  /** A consented Spanish patient, with routing's contact id for them. */
  async function consentedBooker(name: string): Promise<{ patient: SimulatedPatient; contactId: string; waId: string; language: string }> {
    const patient = await consentedSpanishPatient(name);
    return { patient, contactId: await platform.contactIdOf(patient), waId: patient.waId ?? '', language: 'es' };
  }

  /** Books the first slot that starts 24 hours from now (less 45 s: reminders sends one due within the last minute at once). */
  const bookTomorrow = (departmentId: string, who: { contactId: string; waId: string; language: string }) =>
    bookFrom(platform.scheduling, platform.tenantId, WHATSAPP_NUMBER, departmentId, new Date(Date.now() + 24 * 3_600_000 - 45_000), who);

  /** The reminder of an appointment as the patient sees it: its text and its three buttons. */
  async function reminderOf(patient: SimulatedPatient, appointment: AppointmentSnapshot): Promise<ReceivedMessage> {
    const when = DateTime.fromJSDate(appointment.start ?? new Date(0), { zone: MADRID }).setLocale('es');
    const reminder = await expectMessage(patient, (m) => m.buttons.some((b) => b.id.startsWith('rem:confirm:')), 'the 24 h reminder with buttons');
    expect(bodyOf(reminder)).toContain(when.toLocaleString(DateTime.TIME_SIMPLE));
    expect(bodyOf(reminder)).toContain(FACILITY_NAME);
    expect(bodyOf(reminder)).toContain(remindersText.t('es', 'appointment.ask'));
    expect(reminder.buttons.map((b) => b.title)).toEqual(['appointment.reply.confirm', 'appointment.reply.reschedule', 'appointment.reply.cancel'].map((k) => remindersText.t('es', k as 'appointment.reply.confirm')));
    return reminder;
  }

  const changeOf = (what: string, appointmentId: string, kind: AppointmentChangeKind) =>
    waitFor(what, () => appointments.received().find((e) => e.payload.appointment?.appointmentId === appointmentId && e.payload.kind === kind)?.payload.appointment, 30_000);

  /** A report's figures, once `ready` holds (analytics consumes asynchronously). */
  const reportWhen = (name: Parameters<Platform['report']>[0], query: Record<string, string>, ready: (values: Record<string, number | null>) => boolean) =>
    waitFor(`the ${name} report`, async () => {
      const report = await platform.report(name, { ...PERIOD, ...query });
      return ready(report.total.values) ? report : undefined;
    }, 45_000);

  it('3. the reminder comes 24 h before with buttons; "Confirm" is recorded in scheduling and shows in analytics', async () => {
    const who = await consentedBooker('Alba');
    const appointment = await bookTomorrow(DEPARTMENTS.cardiology.id, who);
    const reminder = await reminderOf(who.patient, appointment);
    const confirm = reminder.buttons.find((b) => b.id.startsWith('rem:confirm:'))!;
    await who.patient.replyButton(confirm.id);
    const when = DateTime.fromJSDate(appointment.start ?? new Date(0), { zone: MADRID }).setLocale('es');
    const thanks = await expectMessage(who.patient, (m) => bodyOf(m).startsWith(remindersText.t('es', 'appointment.confirmed', { date: '', time: '' }).slice(0, 12)), 'the confirmation thanks');
    expect(bodyOf(thanks)).toContain(when.toLocaleString(DateTime.TIME_SIMPLE));

    const confirmed = await changeOf('the confirmation in scheduling', appointment.appointmentId, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED);
    expect(confirmed.patientResponse).toBe(PatientResponse.PATIENT_RESPONSE_ACCEPTED);
    expect(confirmed.status).toBe(AppointmentStatus.APPOINTMENT_STATUS_BOOKED);

    // Staff's view: the reminders report counts the sent and confirmed reminder; the no-show report attributes the appointment to "confirmed".
    const reminders = await reportWhen('reminders', { department: DEPARTMENTS.cardiology.id }, (v) => v['confirmed'] === 1);
    // Not `reminders`: a reminder sent at once (booked inside its offset) is planned again, and skipped, on the confirmed version (docs/e2e.md, known issues).
    expect(reminders.total.values).toMatchObject({ sent: 1, confirmed: 1, confirmed_rate: 1 });
    const noShow = await reportWhen('no-show', { department: DEPARTMENTS.cardiology.id, group_by: 'reminder_outcome' }, (v) => v['appointments'] === 1);
    expect(noShow.rows.map((r) => [r.key, r.values['appointments'], r.values['no_shows']])).toEqual([['confirmed', 1, 0]]);
  }, 180_000);

  it('4. "Cancel" from the reminder frees the slot and a waitlisted patient is offered it; "Change time" leads to new slots', async () => {
    const waiting = await consentedBooker('Nieves');
    await platform.scheduling.joinWaitlist({
      tenantId: platform.tenantId,
      departmentId: DEPARTMENTS.dermatology.id,
      practitionerId: '',
      facilityId: '',
      patientId: waiting.contactId,
      contactId: waiting.contactId,
      endpoint: platform.endpoint,
      recipient: whatsappRecipient(waiting.waId),
      language: 'es',
      currentAppointmentId: '',
      before: undefined,
      requestId: uniqueName('wl'),
    });
    const [leaving, moving] = [await consentedBooker('Belén'), await consentedBooker('Ramón')];
    const cancelled = await bookTomorrow(DEPARTMENTS.dermatology.id, leaving);
    const moved = await bookTomorrow(DEPARTMENTS.dermatology.id, moving);

    // Cancel: the patient is told, scheduling cancels, and the freed slot goes to the waitlist.
    const toCancel = await reminderOf(leaving.patient, cancelled);
    await leaving.patient.replyButton(toCancel.buttons.find((b) => b.id.startsWith('rem:cancel:'))!.id);
    await expectMessage(leaving.patient, (m) => bodyOf(m).startsWith(remindersText.t('es', 'appointment.cancelled', { date: '', time: '' }).slice(0, 12)), 'the cancellation notice');
    const gone = await changeOf('the cancellation in scheduling', cancelled.appointmentId, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED);
    expect(gone.status).toBe(AppointmentStatus.APPOINTMENT_STATUS_CANCELLED);
    const offer = await expectMessage(waiting.patient, (m) => m.buttons.some((b) => b.id.startsWith('sched:wl:yes:')), 'the waitlist offer');
    expect(bodyOf(offer)).toContain(DateTime.fromJSDate(cancelled.start ?? new Date(0), { zone: MADRID }).setLocale('es').toLocaleString(DateTime.TIME_SIMPLE));
    await waiting.patient.replyButton(offer.buttons.find((b) => b.id.startsWith('sched:wl:yes:'))!.id);
    const taken = await waitFor('the offered slot booked for the waitlisted patient', () => appointments.received().find((e) => e.payload.appointment?.contactId === waiting.contactId && e.payload.appointment.status === AppointmentStatus.APPOINTMENT_STATUS_BOOKED)?.payload.appointment, 30_000);
    expect(taken.slotId).toBe(cancelled.slotId);

    // Change time: the reminder hands the patient to the booking dialogue's slots; the pick moves the appointment.
    const toMove = await reminderOf(moving.patient, moved);
    await moving.patient.replyButton(toMove.buttons.find((b) => b.id.startsWith('rem:reschedule:'))!.id);
    const handOver = await expectMessage(moving.patient, (m) => m.buttons.some((b) => b.id.startsWith('sched:')), 'the "choose a new time" button');
    expect(bodyOf(handOver)).toBe(remindersText.t('es', 'appointment.reschedule'));
    await moving.patient.replyButton(handOver.buttons[0]!.id);
    const slots = await expectMessage(moving.patient, (m) => m.listRows.some((r) => r.id.startsWith('sched:slot:')), 'free slots to move to');
    await moving.patient.replyList(slots.listRows.find((r) => r.id.startsWith('sched:slot:'))!.id);
    const confirm = await expectMessage(moving.patient, (m) => m.buttons.some((b) => b.id.startsWith('sched:ok:')), 'the confirmation buttons');
    await moving.patient.replyButton(confirm.buttons.find((b) => b.id.startsWith('sched:ok:'))!.id);
    await expectMessage(moving.patient, (m) => bodyOf(m).startsWith(schedulingText.t('es', 'moved.body', { date: '', time: '', practitioner: '', department: '', facility: '' }).slice(0, 20)), 'the moved-appointment message');
    const rescheduled = await changeOf('the reschedule in scheduling', moved.appointmentId, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_RESCHEDULED);
    expect(rescheduled.slotId).not.toBe(moved.slotId);
    expect(rescheduled.rescheduleCount).toBe(1);
  }, 240_000);

  it('5. an appointment passes without arrival: the sweep marks it no-show and analytics’ no-show rate updates', async () => {
    const [absent, present] = [await consentedBooker('Hugo'), await consentedBooker('Sara')];
    const department = DEPARTMENTS.orthopedics;
    const before = await platform.report('no-show', { ...PERIOD, department: department.id });
    expect(before.total.values['appointments']).toBe(0);
    // Two appointments the EHR booked for this morning, ended an hour and a half ago; one patient came.
    const imported = async (who: { contactId: string; waId: string }, value: string) =>
      (
        await platform.scheduling.importAppointment({
          tenantId: platform.tenantId,
          externalId: { system: 'urn:e2e:ehr', value },
          practitionerId: practitionerId(department.id, 0),
          facilityId: FACILITY_ID,
          departmentId: department.id,
          serviceType: 'consultation',
          start: new Date(Date.now() - 120 * 60_000),
          end: new Date(Date.now() - 90 * 60_000),
          status: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
          patientId: who.contactId,
          contactId: who.contactId,
          cancellationReason: '',
          language: 'es',
          endpoint: platform.endpoint,
          recipient: whatsappRecipient(who.waId),
        })
      ).appointment!;
    const missed = await imported(absent, uniqueName('ehr'));
    const attended = await imported(present, uniqueName('ehr'));
    await platform.scheduling.markAttendance({ tenantId: platform.tenantId, appointmentId: attended.appointmentId, status: AppointmentStatus.APPOINTMENT_STATUS_ARRIVED, source: ChangeSource.CHANGE_SOURCE_STAFF });

    const noShow = await changeOf('the no-show mark', missed.appointmentId, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW);
    expect(noShow.status).toBe(AppointmentStatus.APPOINTMENT_STATUS_NOSHOW);
    const { appointments: listed } = await platform.scheduling.listAppointments({ tenantId: platform.tenantId, patientId: '', contactId: absent.contactId, upcomingOnly: false });
    expect(listed.map((a) => a.status)).toEqual([AppointmentStatus.APPOINTMENT_STATUS_NOSHOW]);
    const after = await reportWhen('no-show', { department: department.id }, (v) => v['appointments'] === 2 && v['no_shows'] === 1);
    expect(after.total.values).toMatchObject({ appointments: 2, no_shows: 1, attended: 1, no_show_rate: 0.5 });
  }, 180_000);

  it('6. CSAT: after a fulfilled visit the survey comes; the rating and comment show in the CSAT report', async () => {
    const who = await consentedBooker('Teresa');
    const department = DEPARTMENTS.pediatrics;
    // Booked for within the hour (its 24 h reminder is past, so none is sent), then attended and fulfilled.
    const visit = await bookFrom(platform.scheduling, platform.tenantId, WHATSAPP_NUMBER, department.id, new Date(Date.now() + 10 * 60_000), who);
    await platform.scheduling.markAttendance({ tenantId: platform.tenantId, appointmentId: visit.appointmentId, status: AppointmentStatus.APPOINTMENT_STATUS_FULFILLED, source: ChangeSource.CHANGE_SOURCE_STAFF });

    const survey = await expectMessage(who.patient, (m) => m.listRows.some((r) => r.id.startsWith('survey:rate:')), 'the survey as a list of ratings');
    expect(bodyOf(survey)).toBe(surveyText.t('es', 'survey.ask.visit', { facility: FACILITY_NAME }));
    expect(survey.listRows.map((r) => r.title)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'].map((r) => surveyText.t('es', `survey.row.${r}.title` as 'survey.row.r5.title')));
    await who.patient.replyList(survey.listRows[0]!.id);
    await expectMessage(who.patient, (m) => bodyOf(m) === surveyText.t('es', 'survey.comment.ask'), 'the question for a comment');
    await who.patient.sendText('Muy amables y puntuales, gracias');
    await expectMessage(who.patient, (m) => bodyOf(m) === surveyText.t('es', 'survey.thanks'), 'the thanks');

    const csat = await reportWhen('csat', { department: department.id }, (v) => v['responses'] === 1 && v['comments'] === 1);
    expect(csat.total.values).toMatchObject({ surveys_sent: 1, responses: 1, rating_5: 1, csat: 1, average_rating: 5, comments: 1, comments_positive: 1 });
  }, 180_000);

  it('npm run demo: its scripted patients go through booking, an emergency, a handover with its survey and STOP (smoke)', async () => {
    const run = await runDemo(platform);
    const transcript = (journey: string) => run.stories.find((s) => s.journey === journey)?.transcript ?? '';
    expect(run.stories.map((s) => [s.journey, s.language])).toEqual([['booking', 'es'], ['emergency', 'de'], ['handover and survey', 'en'], ['opt-out', 'tr']]);
    // What each phone showed, line by line as the demo prints it (patient ←, hospital →).
    expect(transcript('booking')).toContain(`→ ${HOSPITAL_NAME}: ${schedulingText.t('es', 'book.done.body', { date: '', time: '', practitioner: '', department: '', facility: '', address: '' }).slice(0, 20)}`);
    expect(transcript('emergency')).toContain('← Jonas: Ich habe Schmerzen in der Brust und schwitze stark');
    expect(transcript('emergency')).toContain(triageText.t('de', 'emergency.call', { number: '112' }));
    expect(transcript('handover and survey')).toContain(`→ ${HOSPITAL_NAME}: Hello Emma, this is Sam from patient accounts.`);
    expect(transcript('handover and survey')).toContain(`→ ${HOSPITAL_NAME}: ${surveyText.t('en', 'survey.thanks')}`);
    expect(transcript('opt-out').trimEnd().split('\n').at(-1)).toContain(`→ ${HOSPITAL_NAME}: ${routingText.t('tr', 'optout.confirmed')}`);
    expect(run.reports.csat.total.values['responses']).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('12. an appointment booked in the EHR gets reminders like one booked on WhatsApp; "Confirm" reaches scheduling and the EHR', async () => {
    const who = await consentedBooker('Mercedes');
    const tenant = platform.tenantId;
    // Consent out wrote the contact's Patient into the EHR; the registrar completes it (name, mobile) and books a visit on it in the EHR.
    const [registered] = await waitFor('the contact’s Patient in the EHR', async () => {
      const found = await ehr.search<FhirPatient>('Patient', { identifier: `urn:careloop:${tenant}:contact|${who.contactId}` });
      return found.length > 0 ? found : undefined;
    }, 30_000);
    const patientId = registered?.id ?? '';
    await ehr.update<FhirPatient & { id: string }>({ ...registered, resourceType: 'Patient', id: patientId, name: [{ family: 'Ortiz', given: ['Mercedes'] }], telecom: [{ system: 'phone', use: 'mobile', value: `+${who.waId}` }] });
    // 24 h and 20 s from now, to the second: its "24 h before" reminder falls due while crm-sync imports it (a poll a second).
    const start = new Date(Math.ceil((Date.now() + 24 * 3_600_000 + 20_000) / 1_000) * 1_000);
    const booked = await ehr.create<FhirAppointment>({
      resourceType: 'Appointment',
      status: 'booked',
      description: 'Consulta de medicina interna',
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'needs-action' }],
    });
    const ehrId = booked.id ?? '';

    // scheduling holds it as the EHR's booking, for the contact, addressed to the WhatsApp number the EHR has.
    const imported = await waitFor('the EHR appointment in scheduling', () => appointments.received().find((e) => e.payload.appointment?.externalIds.some((x) => x.value === ehrId))?.payload.appointment, 30_000);
    expect(imported).toMatchObject({
      bookingChannel: BookingChannel.BOOKING_CHANNEL_EHR,
      status: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
      departmentId: DEPARTMENTS.internalMedicine.id,
      contactId: who.contactId,
      patientId: patientIdFor({ tenantId: tenant, baseUrl: platform.fhirBaseUrl }, patientId),
      language: 'es',
      start,
    });
    expect(imported.recipient?.channelUserId).toBe(who.waId);

    // The patient sees the same reminder as for a chat booking, and confirms from it.
    const reminder = await reminderOf(who.patient, imported);
    const confirm = reminder.buttons.find((b) => b.id.startsWith('rem:confirm:'))!;
    await who.patient.replyButton(confirm.id);
    await expectMessage(who.patient, (m) => bodyOf(m).startsWith(remindersText.t('es', 'appointment.confirmed', { date: '', time: '' }).slice(0, 12)), 'the confirmation thanks');
    const confirmed = await changeOf('the confirmation in scheduling', imported.appointmentId, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED);
    expect(confirmed.patientResponse).toBe(PatientResponse.PATIENT_RESPONSE_ACCEPTED);
    const { appointments: upcoming } = await platform.scheduling.listAppointments({ tenantId: tenant, patientId: '', contactId: who.contactId, upcomingOnly: true });
    expect(upcoming.map((a) => [a.appointmentId, a.bookingChannel, a.patientResponse])).toEqual([[imported.appointmentId, BookingChannel.BOOKING_CHANNEL_EHR, PatientResponse.PATIENT_RESPONSE_ACCEPTED]]);

    // The EHR: its own Appointment now says the patient accepted, and the reminder is a Communication (no message text).
    const written = await waitFor('the patient’s answer in the EHR', async () => {
      const current = await ehr.read<FhirAppointment>('Appointment', ehrId);
      return current.participant.find((p) => p.actor?.reference === `Patient/${patientId}`)?.status === 'accepted' ? current : undefined;
    }, 30_000);
    expect(written.status).toBe('booked');
    const reminderId = confirm.id.slice('rem:confirm:'.length);
    const [communication] = await waitFor('the reminder as a Communication in the EHR', async () => {
      const found = await ehr.search<Communication>('Communication', { identifier: `urn:careloop:${tenant}:reminder|${reminderId}` });
      return found[0]?.status === 'completed' ? found : undefined;
    }, 30_000);
    expect(communication?.category?.[0]?.coding?.[0]?.code).toBe('reminder');
    expect(communication?.payload).toBeUndefined();
  }, 180_000);

  // Last: it moves reminders' clock forward to 08:00 in the patient's zone, which would fire every other journey's pending reminders early.
  it('10. medication and glucose reminders come at 08:00 in the patient’s time zone; a glucose reply becomes an observation', async () => {
    const who = await consentedBooker('Guadalupe');
    const zone = 'America/Mexico_City';
    const plan = (kind: ReminderKind, extra: Partial<remindersApi.CreatePlanRequest>) =>
      platform.reminders.createPlan(
        remindersApi.CreatePlanRequest.fromPartial({
          tenantId: platform.tenantId,
          planId: uniqueName('plan'),
          kind,
          facilityId: FACILITY_ID,
          departmentId: DEPARTMENTS.generalPractice.id,
          contactId: who.contactId,
          patientId: who.contactId,
          endpoint: platform.endpoint,
          recipient: whatsappRecipient(who.waId),
          language: 'es',
          timeZone: zone,
          timesOfDay: ['08:00'],
          startDate: DateTime.now().setZone(zone).toISODate() ?? '',
          ...extra,
        }),
      );
    const medication = await plan(ReminderKind.REMINDER_KIND_MEDICATION, { medicationLabel: 'Metformina 850 mg' });
    const glucose = await plan(ReminderKind.REMINDER_KIND_VITAL_SIGN, { vitalSign: remindersApi.VitalSign.VITAL_SIGN_BLOOD_GLUCOSE });
    const eight = medication.nextDueAt ?? new Date(0);
    expect(DateTime.fromJSDate(eight, { zone }).toFormat('HH:mm')).toBe('08:00');
    expect(glucose.nextDueAt).toEqual(eight);

    // Time passes until 08:00 in Mexico City: reminders restarts with its clock there (configuration, no patched code).
    // Its groups keep their committed offsets (and the file's start time for any partition without one).
    await platform.restart('reminders', { REMINDERS_CLOCK_OFFSET_MS: String(eight.getTime() - Date.now() + 1_000) });

    // Both at the same minute, in either order.
    const dose = await receivedOrNext(who.patient, (m) => m.buttons.some((b) => b.id.startsWith('rem:taken:')), 'the medication reminder');
    const prompt = await receivedOrNext(who.patient, (m) => m.buttons.some((b) => b.id.startsWith('rem:reading:')), 'the glucose prompt').catch(async (error: unknown) => {
      const states = await platform.reminders.listReminders({ tenantId: platform.tenantId, appointmentId: '', planId: glucose.planId });
      throw new Error(`glucose reminders: ${JSON.stringify(states.reminders.map((r) => [r.state, r.reasonCode, r.dueAt]))}`, { cause: error });
    });
    expect(bodyOf(dose)).toBe(remindersText.t('es', 'medication.body', { medication: 'Metformina 850 mg' }));
    await who.patient.replyButton(dose.buttons.find((b) => b.id.startsWith('rem:taken:'))!.id);
    await expectMessage(who.patient, (m) => bodyOf(m) === remindersText.t('es', 'medication.taken'), 'the medication noted');

    await who.patient.replyButton(prompt.buttons.find((b) => b.id.startsWith('rem:reading:'))!.id);
    await expectMessage(who.patient, (m) => bodyOf(m) === remindersText.t('es', 'vital.ask'), 'the question for the reading');
    await who.patient.sendText('6,1');
    await expectMessage(who.patient, (m) => bodyOf(m).startsWith(remindersText.t('es', 'vital.recorded', { value: '', unit: '' }).slice(0, 20)), 'the reading recorded');

    expect(bodyOf(prompt)).toBe(remindersText.t('es', 'vital.body'));
    const observation = await waitFor('the glucose observation', () => observations.received().find((e) => e.payload.contactId === who.contactId)?.payload, 30_000);
    expect(observation).toMatchObject({ patientId: who.contactId, codeSystem: 'http://loinc.org', code: '15074-8', value: 6.1, unit: 'mmol/L' });
  }, 240_000);

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
