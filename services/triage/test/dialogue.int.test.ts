import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { HandoverPriority, SkillOutcomeKind, TriageAcuity, TriageOutcome, type triage } from '@careloop/contracts';
import { waitFor } from '@careloop/testing';
import { Catalog } from '../src/i18n/catalog';
import { call, shapeOf, startTriage, type TriageUnderTest } from './support/triage-harness';

const catalog = Catalog.load();

describe('triage dialogue against real Kafka and FerretDB', () => {
  let triageUnderTest: TriageUnderTest;

  beforeAll(async () => {
    triageUnderTest = await startTriage();
  });

  afterAll(async () => {
    await triageUnderTest.stop();
  });

  async function outcomeEventOf(assessmentTurnConversation: string): Promise<TriageOutcome> {
    await waitFor('the triage outcome event', () => triageUnderTest.triageOutcomes.received().some((e) => e.payload.conversationId === assessmentTurnConversation), 20_000);
    const events = triageUnderTest.triageOutcomes.received().filter((e) => e.payload.conversationId === assessmentTurnConversation);
    expect(events).toHaveLength(1);
    return events[0]!.payload;
  }

  it('"fever and cough": follow-up questions, a "soon" outcome with the disclaimer, and a GP booking offer', async () => {
    const c = triageUnderTest.conversation('en');

    const start = await c.answersTo(await c.menu(), 1);
    expect(shapeOf(start.messages[0]!).body).toBe(catalog.t('en', 'start.describe'));
    expect(start.outcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE);

    // The description chooses the protocol; its first question is the temperature, with a "Don't know" button.
    const described = await c.answersTo(await c.text('I have had a fever and a cough since Monday'), 1);
    const temperature = shapeOf(described.messages[0]!);
    expect(temperature.body).toMatch(/temperature in °C/);
    expect(temperature.ids).toHaveLength(1);
    expect(temperature.ids[0]).toMatch(/^triage:a:[^:]+:temperature:unknown$/);
    expect(described.outcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE);
    const assessmentId = temperature.ids[0]!.split(':')[2]!;

    // A number out of range is refused with the range, then the question again.
    const wrong = await c.answersTo(await c.text('385'), 2);
    expect(wrong.messages.map((m) => shapeOf(m).body)).toEqual([catalog.t('en', 'question.number_hint', { min: 34, max: 43 }), temperature.body]);

    const days = await c.answersTo(await c.text('38,4'), 1);
    expect(shapeOf(days.messages[0]!).body).toMatch(/how many days/);
    const breathless = await c.answersTo(await c.text('3 days'), 1);
    expect(shapeOf(breathless.messages[0]!)).toEqual({ kind: 'buttons', body: expect.stringMatching(/short of breath/) as string, ids: [`triage:a:${assessmentId}:breathless:yes`, `triage:a:${assessmentId}:breathless:no`] });
    const chronic = await c.answersTo(await c.press(`triage:a:${assessmentId}:breathless:no`), 1);
    expect(shapeOf(chronic.messages[0]!).ids).toEqual([`triage:a:${assessmentId}:chronic:yes`, `triage:a:${assessmentId}:chronic:no`]);

    const done = await c.answersTo(await c.press(`triage:a:${assessmentId}:chronic:no`), 1);
    const outcome = shapeOf(done.messages[0]!);
    expect(outcome.kind).toBe('buttons');
    expect(outcome.body).toContain(catalog.t('en', 'outcome.soon', { department: catalog.t('en', 'department.general-practice') }));
    expect(outcome.body).toContain(catalog.t('en', 'disclaimer', { number: '112' }));
    expect(outcome.ids).toEqual(['sched:book:dept:general-practice', 'menu:agent']);
    expect(done.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE, skill: 'triage', reason: 'triage_soon' });

    const event = await outcomeEventOf(c.conversationId);
    expect(event).toMatchObject({ assessmentId, contactId: c.contactId, acuity: TriageAcuity.ACUITY_SOON, department: 'general-practice', redFlags: [], protocolId: 'fever-cough', protocolVersion: '1.0.0', redFlagVersion: '1.0.0' });
    // No free text in the event: nothing the patient wrote is in its bytes.
    expect(Buffer.from(TriageOutcome.encode(event).finish()).toString('utf8')).not.toMatch(/Monday|I have had/);

    // The answers are stored sealed, and come back through GetAssessment for the EHR.
    const raw = await triageUnderTest.rawAssessments();
    expect(JSON.stringify(raw)).not.toMatch(/Monday|I have had/);
    const stored = await call<triage.GetAssessmentRequest, triage.GetAssessmentResponse>(triageUnderTest.client.getAssessment.bind(triageUnderTest.client), { tenantId: triageUnderTest.tenantId, assessmentId });
    expect(stored.answers.map((a) => [a.questionId, a.value])).toEqual([
      ['_description', { $case: 'text', value: 'I have had a fever and a cough since Monday' }],
      ['temperature', { $case: 'number', value: 38.4 }],
      ['days', { $case: 'number', value: 3 }],
      ['breathless', { $case: 'choice', value: 'no' }],
      ['chronic', { $case: 'choice', value: 'no' }],
    ]);
    expect(stored).toMatchObject({ status: 'completed', acuity: TriageAcuity.ACUITY_SOON, protocolId: 'fever-cough', protocolVersion: '1.0.0' });
  });

  it('"chest pain and sweating" mid-flow: the emergency message at once, a priority handover, and the flow stops', async () => {
    const c = triageUnderTest.conversation('es');
    await c.answersTo(await c.menu(), 1);
    const first = await c.answersTo(await c.text('tengo tos y fiebre'), 1);
    const [pendingButton] = shapeOf(first.messages[0]!).ids;
    expect(pendingButton).toMatch(/:temperature:unknown$/);

    const emergency = await c.answersTo(await c.text('ahora además tengo dolor en el pecho y estoy sudando mucho'), 1);
    expect(emergency.messages).toHaveLength(1);
    const advice = emergency.messages[0]!;
    expect(shapeOf(advice)).toEqual({ kind: 'text', body: [catalog.t('es', 'emergency.call', { number: '112' }), catalog.t('es', 'disclaimer', { number: '112' })].join('\n\n'), ids: [] });
    expect(advice.priority).toBeGreaterThan(0);
    expect(emergency.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, priority: HandoverPriority.HANDOVER_PRIORITY_EMERGENCY, department: 'emergency', reason: 'triage_red_flag' });

    const event = await outcomeEventOf(c.conversationId);
    expect(event).toMatchObject({ acuity: TriageAcuity.ACUITY_EMERGENCY, department: 'emergency', redFlags: ['CARDIAC_CHEST_PAIN'], protocolId: 'fever-cough' });

    // The questionnaire is over: the old button brings the emergency advice again, never the next question.
    const late = await c.answersTo(await c.press(pendingButton!), 1);
    expect(late.messages.map((m) => shapeOf(m).body)).toEqual([shapeOf(advice).body]);
    expect(late.outcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE);
    expect(triageUnderTest.triageOutcomes.received().filter((e) => e.payload.conversationId === c.conversationId)).toHaveLength(1);
  });

  it('suicidal intent in the first message: the crisis line too, and the mental-health queue', async () => {
    const c = triageUnderTest.conversation('fr');
    await c.answersTo(await c.menu(), 1);
    const r = await c.answersTo(await c.text("je n'en peux plus, je veux me tuer"), 1);
    expect(shapeOf(r.messages[0]!).body).toContain(catalog.t('fr', 'emergency.crisis', { crisis: '024' }));
    expect(r.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, priority: HandoverPriority.HANDOVER_PRIORITY_EMERGENCY, department: 'mental-health' });
  });

  it('offers the complaint list when the words do not point to one, and starts the chosen protocol', async () => {
    const c = triageUnderTest.conversation('de');
    await c.answersTo(await c.menu(), 1);
    const list = await c.answersTo(await c.text('mir geht es nicht gut'), 1);
    const shown = shapeOf(list.messages[0]!);
    expect(shown.kind).toBe('list');
    expect(shown.ids).toHaveLength(10);
    expect(shown.ids).toContain('triage:c:back-pain');
    const first = await c.answersTo(await c.press('triage:c:back-pain'), 1);
    expect(shapeOf(first.messages[0]!).body).toMatch(/Taubheit/);
    const stored = (await triageUnderTest.rawAssessments()).find((d) => d['conversationId'] === c.conversationId);
    expect(stored).toMatchObject({ protocolId: 'back-pain', protocolVersion: '1.0.0', status: 'open' });
  });

  it('Assess over gRPC: red flags with their evidence, and INVALID_ARGUMENT for a bad request', async () => {
    const assess = triageUnderTest.client.assess.bind(triageUnderTest.client);
    const r = await call<triage.AssessRequest, triage.AssessResponse>(assess, { text: 'Merhaba, otopark ücretli mi? Bir de babamın yüzü kaydı ve konuşamıyor', language: 'tr', facilityId: 'madrid-central' });
    expect(r).toMatchObject({ emergency: true, acuity: TriageAcuity.ACUITY_EMERGENCY, department: 'emergency', emergencyNumber: '112', redFlagVersion: '1.0.0' });
    expect(r.redFlags.map((f) => f.code)).toEqual(['STROKE_SIGNS']);
    const calm = await call<triage.AssessRequest, triage.AssessResponse>(assess, { text: 'no chest pain, only a cough', language: 'en', facilityId: '' });
    expect(calm).toMatchObject({ emergency: false, acuity: TriageAcuity.ACUITY_UNSPECIFIED, suggestedProtocolId: 'fever-cough' });
    await expect(call(assess, { text: 'hola', language: 'pt', facilityId: '' })).rejects.toMatchObject({ code: grpcStatus.INVALID_ARGUMENT } satisfies Partial<ServiceError>);
    await expect(call(assess, { text: '  ', language: 'en', facilityId: '' })).rejects.toMatchObject({ code: grpcStatus.INVALID_ARGUMENT } satisfies Partial<ServiceError>);
  });
});
