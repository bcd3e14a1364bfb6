import type { Appointment, AppointmentResponse, QuestionnaireResponse } from '@medplum/fhirtypes';
import { NonRetryableError } from '@careloop/bus';
import { AppointmentChanged, AppointmentChangeKind, AppointmentStatus, BookingChannel, ChangeSource, PatientResponse, SurveyChanged, SurveyState, SurveySubject, TriageOutcome, triage } from '@careloop/contracts';
import { AssessmentUnavailableError, type AssessmentSource } from '../src/adapters/triage-client';
import { patientAnswerOf, toFhirAppointmentResponse } from '../src/domain/appointment-response-mapping';
import { toSurveyQuestionnaireResponse, toTriageQuestionnaireResponse, triageQuestionnaire } from '../src/domain/questionnaire-response-mapping';
import { assertValidR4 } from '../src/domain/r4-validation';
import { InvalidResourceError } from '../src/domain/errors';
import { SyncAppointment } from '../src/use-cases/sync-appointment';
import { SyncAppointmentResponse } from '../src/use-cases/sync-appointment-response';
import { SyncSurveyAnswers } from '../src/use-cases/sync-survey-answers';
import { SyncTriageAnswers } from '../src/use-cases/sync-triage-answers';
import { Replay, type OutboundSyncs } from '../src/use-cases/replay';
import type { JournalEntry, SyncJournal } from '../src/adapters/sync-journal';
import { silentLogger } from './support/connection';
import { FakeFhir } from './support/fake-fhir';
import { changed, connectionTo, depsWith, received, snapshot } from './support/connection';

const { APPOINTMENT_CHANGE_KIND_CONFIRMED: CONFIRMED, APPOINTMENT_CHANGE_KIND_CANCELLED: CANCELLED, APPOINTMENT_CHANGE_KIND_RESCHEDULED: RESCHEDULED } = AppointmentChangeKind;
const FLOWS = ['appointments-out', 'appointment-responses-out', 'triage-answers-out', 'survey-answers-out'] as const;

function assessment(overrides: Partial<triage.GetAssessmentResponse> = {}): triage.GetAssessmentResponse {
  return triage.GetAssessmentResponse.fromPartial({
    assessmentId: 'as-1',
    contactId: 'contact-1',
    status: 'completed',
    protocolId: 'fever',
    protocolVersion: '3',
    language: 'es',
    answers: [
      { questionId: 'temperature', questionText: 'What is your temperature?', value: { $case: 'number', value: 38.5 } },
      { questionId: 'rash', questionText: 'Do you have a rash?', value: { $case: 'choice', value: 'no' } },
      { questionId: 'duration', questionText: 'How long?', value: { $case: 'unknown', value: true } },
      { questionId: 'description', questionText: 'Description in the patient’s own words', value: { $case: 'text', value: 'hot since yesterday' } },
    ],
    createdAt: new Date('2026-12-01T10:00:00Z'),
    decidedAt: new Date('2026-12-01T10:05:00Z'),
    patientIds: ['patient-1'],
    ...overrides,
  });
}

function outcome(overrides: Partial<TriageOutcome> = {}): TriageOutcome {
  return TriageOutcome.fromPartial({ assessmentId: 'as-1', contactId: 'contact-1', protocolId: 'fever', protocolVersion: '3', language: 'es', decidedAt: new Date('2026-12-01T10:05:00Z'), patientIds: ['patient-1'], ...overrides });
}

function survey(overrides: Partial<SurveyChanged> = {}): SurveyChanged {
  return SurveyChanged.fromPartial({ surveyId: 'sv-1', tenantId: 'tenant-a', subject: SurveySubject.SURVEY_SUBJECT_APPOINTMENT, appointmentId: 'appt-1', contactId: 'contact-1', state: SurveyState.SURVEY_STATE_RATED, rating: 4, ratedAt: new Date('2026-12-01T12:00:00Z'), version: 2, hasComment: false, language: 'es', ...overrides });
}

describe('the patient’s answer to an appointment', () => {
  it('is an acceptance when the patient confirms, a decline when they cancel or decline; nothing from staff, the EHR or other changes', () => {
    const a = snapshot();
    expect(patientAnswerOf(changed({ ...a, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }, CONFIRMED))).toBe('accepted');
    expect(patientAnswerOf(changed({ ...a, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED }, CANCELLED))).toBe('declined');
    expect(patientAnswerOf(changed({ ...a, patientResponse: PatientResponse.PATIENT_RESPONSE_DECLINED }, RESCHEDULED))).toBe('declined');
    expect(patientAnswerOf(changed(a, CONFIRMED, ChangeSource.CHANGE_SOURCE_STAFF))).toBeUndefined();
    expect(patientAnswerOf(changed(a, CANCELLED, ChangeSource.CHANGE_SOURCE_EHR))).toBeUndefined();
    expect(patientAnswerOf(changed(a, RESCHEDULED))).toBeUndefined();
    expect(patientAnswerOf(changed(a))).toBeUndefined(); // booked
  });

  it('maps to an R4 AppointmentResponse with our identifier, the Patient as actor, and no comment', () => {
    const a = snapshot({ version: 4 });
    const r = assertValidR4(toFhirAppointmentResponse('tenant-a', changed(a, CONFIRMED), 'accepted', { reference: 'Appointment/9' }, { reference: 'Patient/3' }));
    expect(r).toEqual({
      resourceType: 'AppointmentResponse',
      identifier: [{ system: 'urn:careloop:tenant-a:appointment-response', value: 'appt-1:4' }],
      appointment: { reference: 'Appointment/9' },
      actor: { reference: 'Patient/3' },
      participantStatus: 'accepted',
    });
    expect(() => assertValidR4({ ...r, comment: 'see you' })).toThrow(InvalidResourceError);
  });
});

describe('AppointmentResponse out against an in-process FHIR server', () => {
  let fake: FakeFhir;
  beforeEach(async () => {
    fake = await FakeFhir.start();
  });
  afterEach(() => fake.stop());
  const responses = () => fake.ofType('AppointmentResponse') as unknown as AppointmentResponse[];

  it('confirm → one accepted response pointing at our Appointment, however often replayed; cancel → a second, declined', async () => {
    const deps = depsWith(connectionTo(fake.baseUrl, { flows: [...FLOWS] }));
    const appointments = new SyncAppointment(deps);
    const sync = new SyncAppointmentResponse(deps);
    const booked = snapshot();
    await appointments.execute(received(changed(booked)));
    await sync.execute(received(changed(booked))); // booked: not an answer
    expect(responses()).toHaveLength(0);

    const confirm = received(changed({ ...booked, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }, CONFIRMED));
    await appointments.execute(confirm);
    for (let i = 0; i < 3; i++) await sync.execute(confirm);
    const appointment = fake.ofType('Appointment')[0] as unknown as Appointment;
    const patient = fake.ofType('Patient')[0];
    expect(responses()).toHaveLength(1);
    expect(responses()[0]).toMatchObject({ appointment: { reference: `Appointment/${appointment.id}` }, actor: { reference: `Patient/${patient?.id}` }, participantStatus: 'accepted' });
    expect(responses()[0]?.comment).toBeUndefined();

    await sync.execute(received(changed({ ...booked, version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat' }, CANCELLED)));
    expect(responses().map((r) => r.participantStatus)).toEqual(['accepted', 'declined']);
    expect(fake.ofType('Patient')).toHaveLength(1);
  });

  it('without appointments out, the response names our appointment by identifier (a logical reference)', async () => {
    const sync = new SyncAppointmentResponse(depsWith(connectionTo(fake.baseUrl, { flows: ['appointment-responses-out'] })));
    await sync.execute(received(changed({ ...snapshot(), version: 2 }, CONFIRMED)));
    expect(responses()[0]?.appointment).toEqual({ type: 'Appointment', identifier: { system: 'urn:careloop:tenant-a:appointment', value: 'appt-1' } });
  });

  it('an appointment imported from this EHR: the response points at the EHR’s Appointment and the EHR’s Patient', async () => {
    const connection = connectionTo(fake.baseUrl, { flows: [...FLOWS] });
    const { resource } = await connection.fhir.create<Appointment>({ resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: 'Patient/p9' }, status: 'needs-action' }] });
    const imported = snapshot({ bookingChannel: BookingChannel.BOOKING_CHANNEL_EHR, externalIds: [{ system: `${fake.baseUrl}/Appointment`, value: resource.id ?? '' }], version: 2 });
    await new SyncAppointmentResponse(depsWith(connection)).execute(received(changed(imported, CANCELLED)));
    expect(responses()[0]).toMatchObject({ appointment: { reference: `Appointment/${resource.id}` }, actor: { reference: 'Patient/p9' }, participantStatus: 'declined' });
    expect(fake.ofType('Patient')).toHaveLength(0); // no pseudonymous Patient for an EHR patient
  });
});

describe('QuestionnaireResponse mappings', () => {
  it('triage: the protocol as the questionnaire, one item per question with the answer by its type', () => {
    const qr = assertValidR4(toTriageQuestionnaireResponse('tenant-a', assessment(), { reference: 'Patient/3' }));
    expect(qr.questionnaire).toBe('urn:careloop:fhir:Questionnaire:triage-fever|3');
    expect(qr.questionnaire).toBe(triageQuestionnaire('fever', '3'));
    expect(qr.status).toBe('completed');
    expect(qr.identifier).toEqual({ system: 'urn:careloop:tenant-a:triage-assessment', value: 'as-1' });
    expect(qr.subject).toEqual({ reference: 'Patient/3' });
    expect(qr.authored).toBe('2026-12-01T10:05:00.000Z');
    expect(qr.item?.map((i) => [i.linkId, i.answer?.[0]])).toEqual([
      ['temperature', { valueDecimal: 38.5 }],
      ['rash', { valueCoding: { system: 'urn:careloop:fhir:Questionnaire:triage-fever:answer', code: 'no' } }],
      ['duration', { valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'asked-unknown', display: 'Asked But Unknown' } }],
      ['description', { valueString: 'hot since yesterday' }],
    ]);
    expect(qr.item?.[0]?.text).toBe('What is your temperature?');
    expect(toTriageQuestionnaireResponse('tenant-a', assessment({ status: 'open' }), { reference: 'Patient/3' }).status).toBe('in-progress');
  });

  it('survey: one rating item, 1-5, no comment', () => {
    const qr = assertValidR4(toSurveyQuestionnaireResponse(survey({ state: SurveyState.SURVEY_STATE_COMMENTED, hasComment: true }), { reference: 'Patient/3' }));
    expect(qr.questionnaire).toBe('urn:careloop:fhir:Questionnaire:satisfaction-appointment|1');
    expect(qr.item).toEqual([{ linkId: 'rating', text: 'How would you rate your experience? (1-5)', answer: [{ valueInteger: 4 }] }]);
    expect(JSON.stringify(qr)).not.toContain('comment');
  });

  it('R4 checks refuse a linkId twice (qrs-2) and an answer with two values', () => {
    const qr = toSurveyQuestionnaireResponse(survey(), { reference: 'Patient/3' });
    expect(() => assertValidR4({ ...qr, item: [...(qr.item ?? []), ...(qr.item ?? [])] })).toThrow(/qrs-2/);
    expect(() => assertValidR4({ ...qr, item: [{ linkId: 'rating', answer: [{ valueInteger: 4, valueString: 'four' }] }] })).toThrow(/exactly one value/);
  });
});

describe('QuestionnaireResponse out against an in-process FHIR server', () => {
  let fake: FakeFhir;
  beforeEach(async () => {
    fake = await FakeFhir.start();
  });
  afterEach(() => fake.stop());
  const responses = () => fake.ofType('QuestionnaireResponse') as unknown as QuestionnaireResponse[];

  class Assessments implements AssessmentSource {
    calls = 0;
    constructor(public current: triage.GetAssessmentResponse | undefined) {}
    getAssessment(): Promise<triage.GetAssessmentResponse> {
      this.calls += 1;
      return this.current ? Promise.resolve(this.current) : Promise.reject(new AssessmentUnavailableError('triage refused GetAssessment: NOT_FOUND'));
    }
  }

  it('triage outcome → one QuestionnaireResponse; the same again → unchanged; a later decision with other answers → amended', async () => {
    const source = new Assessments(assessment());
    const sync = new SyncTriageAnswers(depsWith(connectionTo(fake.baseUrl, { flows: [...FLOWS] })), source);
    const event = received(outcome());
    await sync.execute(event);
    await sync.execute(event);
    expect(responses()).toHaveLength(1);
    expect(responses()[0]?.status).toBe('completed');
    expect(responses()[0]?.meta?.versionId).toBe('1');
    expect(responses()[0]?.subject?.reference).toBe(`Patient/${fake.ofType('Patient')[0]?.id}`);
    expect(fake.ofType('Patient')[0]?.identifier).toEqual([{ system: 'urn:careloop:tenant-a:patient', value: 'patient-1' }]);

    source.current = assessment({ decidedAt: new Date('2026-12-01T10:09:00Z'), answers: [{ questionId: 'temperature', questionText: 'What is your temperature?', value: { $case: 'number', value: 39.2 } }] });
    await sync.execute(received(outcome({ decidedAt: new Date('2026-12-01T10:09:00Z') })));
    expect(responses()).toHaveLength(1);
    expect(responses()[0]?.status).toBe('amended');
    expect(responses()[0]?.item?.[0]?.answer?.[0]?.valueDecimal).toBe(39.2);

    source.current = assessment(); // an older decision, late: never overwrites
    await sync.execute(received(outcome()));
    expect(responses()[0]?.item?.[0]?.answer?.[0]?.valueDecimal).toBe(39.2);
  });

  it('a family phone (several patients) → the contact is the subject; an assessment triage does not have → dead letter', async () => {
    const sync = new SyncTriageAnswers(depsWith(connectionTo(fake.baseUrl, { flows: [...FLOWS] })), new Assessments(assessment({ patientIds: ['p-1', 'p-2'] })));
    await sync.execute(received(outcome({ patientIds: ['p-1', 'p-2'] })));
    expect(fake.ofType('Patient')[0]?.identifier).toEqual([{ system: 'urn:careloop:tenant-a:contact', value: 'contact-1' }]);
    const missing = new SyncTriageAnswers(depsWith(connectionTo(fake.baseUrl, { flows: [...FLOWS] })), new Assessments(undefined));
    await expect(missing.execute(received(outcome({ assessmentId: 'as-2' })))).rejects.toBeInstanceOf(NonRetryableError);
  });

  it('a tenant without the flow: triage is not even asked', async () => {
    const source = new Assessments(assessment());
    await new SyncTriageAnswers(depsWith(connectionTo(fake.baseUrl, { flows: ['appointments-out'] })), source).execute(received(outcome()));
    expect(source.calls).toBe(0);
    expect(responses()).toHaveLength(0);
  });

  it('survey rated → a QuestionnaireResponse with the rating; commented (same rating) → unchanged; sent or skipped → nothing', async () => {
    const sync = new SyncSurveyAnswers(depsWith(connectionTo(fake.baseUrl, { flows: [...FLOWS] })));
    await sync.execute(received(survey({ state: SurveyState.SURVEY_STATE_SENT, rating: 0, version: 1 })));
    expect(responses()).toHaveLength(0);
    await sync.execute(received(survey()));
    await sync.execute(received(survey({ state: SurveyState.SURVEY_STATE_COMMENTED, hasComment: true, version: 3 })));
    await sync.execute(received(survey({ state: SurveyState.SURVEY_STATE_SKIPPED, rating: 0, version: 4 })));
    expect(responses()).toHaveLength(1);
    expect(responses()[0]?.item?.[0]?.answer).toEqual([{ valueInteger: 4 }]);
    expect(responses()[0]?.meta?.versionId).toBe('1');
  });
});

describe('Replay of answers', () => {
  it('an appointment entry gives both the Appointment and the patient’s answer again; triage and survey entries their QuestionnaireResponse', async () => {
    const calls: string[] = [];
    const record = (name: string) => ({ applyToAll: (...args: unknown[]) => Promise.resolve(void calls.push(`${name}:${args.length}`)) });
    const syncs = {
      appointments: record('appointment'), appointmentResponses: record('response'), observations: record('observation'), consents: record('consent'),
      communications: record('communication'), triageAnswers: record('triage'), surveyAnswers: record('survey'),
    } as unknown as OutboundSyncs;
    const at = new Date('2026-12-01T10:00:00Z');
    const entries: JournalEntry[] = [
      { eventId: 'e1', topic: 'appointment', occurredAt: at, payload: AppointmentChanged.encode(changed(snapshot(), CONFIRMED)).finish() },
      { eventId: 'e2', topic: 'triage', occurredAt: at, payload: TriageOutcome.encode(outcome()).finish() },
      { eventId: 'e3', topic: 'survey', occurredAt: at, payload: SurveyChanged.encode(survey()).finish() },
    ];
    const journal = { between: () => Promise.resolve(entries) } as unknown as SyncJournal;
    const result = await new Replay(journal, syncs, silentLogger).execute({ tenantId: 'tenant-a', connectorId: 'ehr', from: new Date(at.getTime() - 1), to: new Date(at.getTime() + 1) });
    expect(result).toEqual({ events: 3, applied: 3, failed: 0 });
    // (tenant,) payload, { only }: the triage use case takes the tenant from the journal, the event carries none.
    expect(calls).toEqual(['appointment:2', 'response:2', 'triage:3', 'survey:2']);
  });
});
