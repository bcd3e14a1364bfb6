import type { Appointment, AppointmentResponse, Patient, QuestionnaireResponse } from '@medplum/fhirtypes';
import { AppointmentChangeKind, AppointmentStatus, crmApi, PatientResponse, SurveyChanged, SurveyState, SurveySubject, Topics, triage, TriageOutcome, type AppointmentSnapshot } from '@careloop/contracts';
import { freePort, infraEnv, uniqueName, waitFor } from '@careloop/testing';
import { changed, snapshot } from './support/connection';
import { DeadLetterTap, FHIR_BASE_URL, fhir, requireFhirServer, startCrmSync, type CrmSyncUnderTest } from './support/harness';
import { TriageStandIn } from './support/triage-stand-in';

jest.setTimeout(180_000);

const { SyncFlow } = crmApi;

describe('patients’ answers out to a real FHIR R4 server (HAPI): AppointmentResponse, QuestionnaireResponse', () => {
  let crm: CrmSyncUnderTest;
  let triageApi: TriageStandIn;
  let triageDlq: DeadLetterTap;
  beforeAll(async () => {
    await requireFhirServer();
    triageApi = await TriageStandIn.start();
    crm = await startCrmSync({ TRIAGE_GRPC_ADDRESS: triageApi.address });
    await crm.putConnector({ flows: [SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT, SyncFlow.SYNC_FLOW_APPOINTMENT_RESPONSES_OUT, SyncFlow.SYNC_FLOW_TRIAGE_ANSWERS_OUT, SyncFlow.SYNC_FLOW_SURVEY_ANSWERS_OUT] });
    triageDlq = await DeadLetterTap.start(infraEnv().KAFKA_BROKERS, Topics.triageOutcome.topic, crm.tenantId);
  });
  afterAll(async () => {
    await triageDlq.stop();
    await crm.stop();
    await triageApi.stop();
  });

  const responsesOf = (a: AppointmentSnapshot, version: number) => fhir.search<AppointmentResponse>('AppointmentResponse', { identifier: `urn:careloop:${crm.tenantId}:appointment-response|${a.appointmentId}:${version}` });
  const waitForOne = <T>(what: string, find: () => Promise<T[]>) =>
    // The first wait also covers the new consumer group reading the topics' history.
    waitFor(what, async () => {
      const found = await find();
      return found.length ? found : undefined;
    }, 90_000, 250);

  it('a patient’s confirm (published 3 times) → one accepted AppointmentResponse for our Appointment; their cancel → a declined one', async () => {
    const booked = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), contactId: uniqueName('contact') });
    await crm.publishAppointment(changed(booked));
    const confirm = changed({ ...booked, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED, confirmedAt: new Date() }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED);
    for (let i = 0; i < 3; i++) await crm.publishAppointment(confirm);
    await crm.publishAppointment(changed({ ...booked, version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat', cancelledAt: new Date() }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED));

    const [declined] = await waitForOne('the declined AppointmentResponse', () => responsesOf(booked, 3));
    const [appointment] = await fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${booked.appointmentId}` });
    const [patient] = await fhir.search<Patient>('Patient', { identifier: `urn:careloop:${crm.tenantId}:patient|${booked.patientId}` });
    // Same key, in order: by the time the cancel is there, the three confirms were handled.
    const accepted = await responsesOf(booked, 2);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ appointment: { reference: `Appointment/${appointment?.id}` }, actor: { reference: `Patient/${patient?.id}` }, participantStatus: 'accepted' });
    expect(accepted[0]?.comment).toBeUndefined();
    expect(declined?.participantStatus).toBe('declined');
    const forAppointment = await fhir.search<AppointmentResponse>('AppointmentResponse', { appointment: `Appointment/${appointment?.id}` });
    expect(forAppointment.map((r) => r.participantStatus).sort()).toEqual(['accepted', 'declined']);
  });

  it('a TriageOutcome → a QuestionnaireResponse with the assessment’s answers by type, which the server accepts', async () => {
    const assessmentId = uniqueName('assessment');
    const contactId = uniqueName('contact');
    const patientId = uniqueName('patient');
    const decidedAt = new Date();
    triageApi.put(crm.tenantId, triage.GetAssessmentResponse.fromPartial({
      assessmentId, contactId, status: 'completed', protocolId: 'fever', protocolVersion: '2026.1', language: 'es', createdAt: new Date(decidedAt.getTime() - 60_000), decidedAt, patientIds: [patientId],
      answers: [
        { questionId: 'temperature', questionText: 'What is your temperature?', value: { $case: 'number', value: 38.4 } },
        { questionId: 'stiff-neck', questionText: 'Is your neck stiff?', value: { $case: 'choice', value: 'no' } },
        { questionId: 'days', questionText: 'For how many days?', value: { $case: 'unknown', value: true } },
      ],
    }));
    await crm.bus.publish(Topics.triageOutcome, TriageOutcome.fromPartial({ assessmentId, contactId, protocolId: 'fever', protocolVersion: '2026.1', language: 'es', decidedAt, patientIds: [patientId] }), { key: contactId, tenantId: crm.tenantId });
    const [qr] = await waitForOne('the triage QuestionnaireResponse', () => fhir.search<QuestionnaireResponse>('QuestionnaireResponse', { identifier: `urn:careloop:${crm.tenantId}:triage-assessment|${assessmentId}` }));
    expect(qr?.status).toBe('completed');
    expect(qr?.questionnaire).toBe('urn:careloop:fhir:Questionnaire:triage-fever|2026.1');
    expect(qr?.item?.map((i) => i.linkId)).toEqual(['temperature', 'stiff-neck', 'days']);
    expect(qr?.item?.[0]?.answer?.[0]?.valueDecimal).toBe(38.4);
    expect(qr?.item?.[1]?.answer?.[0]?.valueCoding?.code).toBe('no');
    expect(qr?.item?.[2]?.answer?.[0]?.valueCoding?.code).toBe('asked-unknown');
    const [patient] = await fhir.search<Patient>('Patient', { identifier: `urn:careloop:${crm.tenantId}:patient|${patientId}` });
    expect(qr?.subject?.reference).toBe(`Patient/${patient?.id}`);
  });

  it('a TriageOutcome whose assessment triage does not have → a dead letter naming why', async () => {
    const assessmentId = uniqueName('assessment');
    const contactId = uniqueName('contact');
    await crm.bus.publish(Topics.triageOutcome, TriageOutcome.fromPartial({ assessmentId, contactId, protocolId: 'fever', decidedAt: new Date() }), { key: contactId, tenantId: crm.tenantId });
    const letter = await waitFor('the dead letter', () => Promise.resolve(triageDlq.letters.find((l) => l.reason.includes('NOT_FOUND'))), 60_000, 250);
    expect(letter.reason).toContain('triage refused GetAssessment');
    expect(await fhir.search<QuestionnaireResponse>('QuestionnaireResponse', { identifier: `urn:careloop:${crm.tenantId}:triage-assessment|${assessmentId}` })).toHaveLength(0);
  });

  it('a rated survey → a QuestionnaireResponse with the 1-5 rating and nothing else; a sent one → none', async () => {
    const surveyId = uniqueName('survey');
    const contactId = uniqueName('contact');
    const base = { surveyId, tenantId: crm.tenantId, subject: SurveySubject.SURVEY_SUBJECT_APPOINTMENT, appointmentId: uniqueName('appt'), contactId, language: 'es' };
    const sentId = uniqueName('survey');
    await crm.bus.publish(Topics.surveyChanged, SurveyChanged.fromPartial({ ...base, surveyId: sentId, state: SurveyState.SURVEY_STATE_SENT, version: 1 }), { key: sentId, tenantId: crm.tenantId });
    await crm.bus.publish(Topics.surveyChanged, SurveyChanged.fromPartial({ ...base, state: SurveyState.SURVEY_STATE_RATED, rating: 2, ratedAt: new Date(), version: 2 }), { key: surveyId, tenantId: crm.tenantId });
    await crm.bus.publish(Topics.surveyChanged, SurveyChanged.fromPartial({ ...base, state: SurveyState.SURVEY_STATE_COMMENTED, rating: 2, ratedAt: new Date(), hasComment: true, sentimentScore: -0.4, version: 3 }), { key: surveyId, tenantId: crm.tenantId });
    const [qr] = await waitForOne('the survey QuestionnaireResponse', () => fhir.search<QuestionnaireResponse>('QuestionnaireResponse', { identifier: `urn:careloop:${crm.tenantId}:survey|${surveyId}` }));
    expect(qr?.questionnaire).toBe('urn:careloop:fhir:Questionnaire:satisfaction-appointment|1');
    expect(qr?.item).toEqual([{ linkId: 'rating', text: 'How would you rate your experience? (1-5)', answer: [{ valueInteger: 2 }] }]);
    const [patient] = await fhir.search<Patient>('Patient', { identifier: `urn:careloop:${crm.tenantId}:contact|${contactId}` });
    expect(qr?.subject?.reference).toBe(`Patient/${patient?.id}`);
    expect(await fhir.search<QuestionnaireResponse>('QuestionnaireResponse', { identifier: `urn:careloop:${crm.tenantId}:survey|${sentId}` })).toHaveLength(0);
  });
});

describe('answers while the FHIR server is down: parked behind their appointment, applied in order once it answers', () => {
  let crm: CrmSyncUnderTest;
  beforeAll(async () => {
    await requireFhirServer();
    crm = await startCrmSync();
  });
  afterAll(async () => {
    await crm.stop();
  });

  it('the Appointment and the patient’s AppointmentResponse (and a survey answer) all arrive, the response pointing at the Appointment', async () => {
    const flows = [SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT, SyncFlow.SYNC_FLOW_APPOINTMENT_RESPONSES_OUT, SyncFlow.SYNC_FLOW_SURVEY_ANSWERS_OUT];
    await crm.putConnector({ baseUrl: `http://127.0.0.1:${await freePort()}/fhir`, flows });
    const booked = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), contactId: uniqueName('contact') });
    await crm.publishAppointment(changed(booked));
    await crm.publishAppointment(changed({ ...booked, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED));
    const surveyId = uniqueName('survey');
    await crm.bus.publish(Topics.surveyChanged, SurveyChanged.fromPartial({ surveyId, tenantId: crm.tenantId, subject: SurveySubject.SURVEY_SUBJECT_APPOINTMENT, contactId: booked.contactId, state: SurveyState.SURVEY_STATE_RATED, rating: 5, ratedAt: new Date(), version: 2 }), { key: surveyId, tenantId: crm.tenantId });
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // attempts fail, the circuit opens, writes park
    expect(await fhir.search<AppointmentResponse>('AppointmentResponse', { identifier: `urn:careloop:${crm.tenantId}:appointment-response|${booked.appointmentId}:2` })).toHaveLength(0);

    await crm.putConnector({ baseUrl: FHIR_BASE_URL, flows });
    const [response] = await waitFor('the AppointmentResponse', async () => {
      const found = await fhir.search<AppointmentResponse>('AppointmentResponse', { identifier: `urn:careloop:${crm.tenantId}:appointment-response|${booked.appointmentId}:2` });
      return found.length ? found : undefined;
    }, 60_000, 500);
    const [appointment] = await fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${booked.appointmentId}` });
    // A literal reference: the Appointment was there first (HAPI refuses a reference to nothing).
    expect(response?.appointment.reference).toBe(`Appointment/${appointment?.id}`);
    expect(appointment?.participant[0]?.status).toBe('accepted');
    const [survey] = await waitFor('the survey answer', async () => {
      const found = await fhir.search<QuestionnaireResponse>('QuestionnaireResponse', { identifier: `urn:careloop:${crm.tenantId}:survey|${surveyId}` });
      return found.length ? found : undefined;
    }, 60_000, 500);
    expect(survey?.item?.[0]?.answer?.[0]?.valueInteger).toBe(5);
  });
});
