import { randomUUID } from 'node:crypto';
import type { Location, MedicationRequest, Organization, Patient, Task } from '@medplum/fhirtypes';
import { Channel, ConsentState, crmApi, DispatchReason, SkillOutcomeKind, SkillTurn, Topics, type OutboundMessageCommand, type SkillOutcome } from '@careloop/contracts';
import { infraEnv, TopicTap } from '@careloop/testing';
import { Catalog } from '../src/i18n/catalog';
import { refillSystem } from '../src/use-cases/request-refill';
import { fhir, requireFhirServer, startCrmSync, waitFor, type CrmSyncUnderTest } from './support/harness';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const OXYCODONE = '1049621';
const catalog = Catalog.load();
const env = infraEnv();

describe('the ehr skill: repeat prescriptions', () => {
  let s: CrmSyncUnderTest;
  let outbound: TopicTap<OutboundMessageCommand>;
  let outcomes: TopicTap<SkillOutcome>;
  let patient: Patient;
  let statin: MedicationRequest;
  let opioid: MedicationRequest;
  let pharmacy: Location;

  beforeAll(async () => {
    await requireFhirServer();
    // The facility's pharmacy directory: an Organization of its own, so other runs' pharmacies on the shared server stay out.
    const organization = await fhir.create<Organization>({ resourceType: 'Organization', name: `Hospital ${randomUUID().slice(0, 8)}`, active: true });
    pharmacy = await fhir.create<Location>({
      resourceType: 'Location',
      status: 'active',
      name: 'Farmacia Central',
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'PHARM' }] }],
      managingOrganization: { reference: `Organization/${organization.id ?? ''}` },
      address: { city: 'Madrid' },
    });
    s = await startCrmSync((tenantId) => ({
      EHR_REFILL_POLL_MS: '500',
      EHR_REFILL_POLICY: JSON.stringify({ [tenantId]: { controlledCodes: [OXYCODONE], autoApprove: true, pharmacyDepartment: 'pharmacy', clinicianDepartment: 'internal-medicine', pharmacyOrganizations: { '*': organization.id } } }),
    }));
    await s.putConnector({ flows: [crmApi.SyncFlow.SYNC_FLOW_PATIENT_LOOKUP], mrnSystem: 'urn:oid:1.2.3.4' });
    outbound = await TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [s.tenantId]);
    outcomes = await TopicTap.start(env.KAFKA_BROKERS, Topics.skillOutcome, [s.tenantId]);

    patient = await fhir.create<Patient>({ resourceType: 'Patient', name: [{ given: ['Pedro'], family: 'Ruiz' }], birthDate: '1971-06-30' });
    const prescription = (code: string, text: string) =>
      fhir.create<MedicationRequest>({
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: { coding: [{ system: RXNORM, code }], text },
        subject: { reference: `Patient/${patient.id ?? ''}` },
        dosageInstruction: [{ text: 'Once a day' }],
      });
    statin = await prescription('617312', 'Atorvastatin 20 mg');
    opioid = await prescription(OXYCODONE, 'Oxycodone 5 mg');
  }, 90_000);

  afterAll(async () => {
    await outbound.stop();
    await outcomes.stop();
    await s.stop();
  });

  const contact = () => ({ contactId: `contact-${randomUUID().slice(0, 8)}`, channelUserId: `3460${Math.floor(1_000_000 + Math.random() * 8_999_999)}` });

  async function say(who: { contactId: string; channelUserId: string }, input: Partial<SkillTurn>): Promise<{ outcome: SkillOutcome; messages: OutboundMessageCommand[] }> {
    const t = SkillTurn.fromPartial({
      turnId: randomUUID(),
      contactId: who.contactId,
      conversationId: `conv-${who.contactId}`,
      language: 'es',
      endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '', accountId: '' },
      recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: who.channelUserId },
      reason: DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE,
      windowOpen: true,
      receivedAt: new Date(),
      facilityId: 'madrid-central',
      ...input,
    });
    await s.bus.publish(Topics.ehrTurn, t, { key: t.contactId, tenantId: s.tenantId, facilityId: 'madrid-central' });
    const outcome = await waitFor('the outcome', () => outcomes.received().find((e) => e.payload.turnId === t.turnId)?.payload, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { outcome, messages: outbound.received().filter((e) => e.payload.contactId === who.contactId).map((e) => e.payload) };
  }

  const verified = (): Partial<SkillTurn> => ({
    reason: DispatchReason.DISPATCH_REASON_VERIFIED,
    verified: { patientId: `pid-${patient.id ?? ''}`, connectorId: 'ehr', ehrPatientId: patient.id ?? '', purpose: 'refills', verifiedAt: new Date(), expiresAt: new Date(Date.now() + 10 * 60_000) },
  });

  async function tasksFor(request: MedicationRequest): Promise<Task[]> {
    return fhir.search<Task>('Task', { focus: `MedicationRequest/${request.id ?? ''}`, _count: '50' });
  }

  it('takes a request to the pharmacy queue and the EHR, approves it by policy, and tells the patient when it is ready', async () => {
    const who = contact();
    const asked = await say(who, { replyId: 'menu:refills', reason: DispatchReason.DISPATCH_REASON_MENU });
    expect(asked.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY, verifyPurpose: 'refills' });

    const listed = await say(who, verified());
    expect(listed.outcome.kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE);
    const list = listed.messages.at(-1)?.content;
    expect(list?.$case).toBe('interactiveList');
    if (list?.$case !== 'interactiveList') return;
    expect(list.value.sections.flatMap((x) => x.rows.map((r) => r.id)).sort()).toEqual([`ehr:rx:${opioid.id ?? ''}`, `ehr:rx:${statin.id ?? ''}`].sort());

    const pharmacies = await say(who, { replyId: `ehr:rx:${statin.id ?? ''}` });
    const pharmacyList = pharmacies.messages.at(-1)?.content;
    expect(pharmacyList?.$case === 'interactiveList' ? pharmacyList.value.sections.flatMap((x) => x.rows.map((r) => [r.id, r.title])) : []).toEqual([[`ehr:ph:${pharmacy.id ?? ''}`, 'Farmacia Central']]);
    const confirm = await say(who, { replyId: `ehr:ph:${pharmacy.id ?? ''}` });
    const buttons = confirm.messages.at(-1)?.content;
    expect(buttons?.$case === 'replyButtons' ? buttons.value.body : '').toBe(catalog.t('es', 'refills.confirm.body', { medication: 'Atorvastatin 20 mg', pharmacy: 'Farmacia Central' }));

    const done = await say(who, { replyId: 'ehr:rxok' });
    // The staff queue: routing enqueues on this escalation.
    expect(done.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, department: 'pharmacy', reason: 'refill_request' });
    expect(done.messages.at(-1)?.content).toEqual({ $case: 'text', value: { body: catalog.t('es', 'refills.approved_now', { pharmacy: 'Farmacia Central' }), previewUrl: false } });
    // The EHR: one Task about the prescription, accepted by the tenant's auto-approval.
    const [task, ...more] = await tasksFor(statin);
    expect(more).toEqual([]);
    expect(task).toMatchObject({ status: 'accepted', intent: 'order', for: { reference: `Patient/${patient.id ?? ''}` }, location: { reference: `Location/${pharmacy.id ?? ''}` } });
    expect(task?.identifier?.[0]?.system).toBe(refillSystem(s.tenantId));

    // The pharmacy dispenses it: the Task is completed in the EHR, and the patient hears it.
    await fhir.update({ ...task!, id: task!.id ?? '', status: 'completed' });
    const ready = await waitFor('the ready message', () => outbound.received().find((e) => e.payload.contactId === who.contactId && e.payload.content?.$case === 'text' && e.payload.content.value.body === catalog.t('es', 'refills.status.ready')), 20_000);
    expect(ready.payload.to?.channelUserId).toBe(who.channelUserId);
    expect(ready.payload.templateFallback?.components).toEqual([]); // outside the window: a template with no clinical detail
  }, 90_000);

  it('sends a controlled medication to a clinician, never approving it, and passes on a decline with its reason', async () => {
    const who = contact();
    await say(who, verified());
    await say(who, { replyId: `ehr:rx:${opioid.id ?? ''}` });
    await say(who, { replyId: `ehr:ph:${pharmacy.id ?? ''}` });
    const done = await say(who, { replyId: 'ehr:rxok' });
    expect(done.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, department: 'internal-medicine', reason: 'refill_controlled_medication', priority: 2 });
    expect(done.messages.at(-1)?.content).toEqual({ $case: 'text', value: { body: catalog.t('es', 'refills.sent_clinician'), previewUrl: false } });
    const [task] = await tasksFor(opioid);
    expect(task).toMatchObject({ status: 'requested', priority: 'urgent', businessStatus: { coding: [{ code: 'clinician-review' }] } });

    // Nothing is said until a clinician decides; then the reason reaches the patient.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const before = outbound.received().filter((e) => e.payload.contactId === who.contactId).length;
    await fhir.update({ ...task!, id: task!.id ?? '', status: 'rejected', statusReason: { text: 'Se necesita una consulta antes de renovarla' } });
    const declined = await waitFor('the decline', () => outbound.received().filter((e) => e.payload.contactId === who.contactId)[before], 20_000);
    expect(declined.payload.content).toEqual({ $case: 'text', value: { body: catalog.t('es', 'refills.status.declined', { reason: 'Se necesita una consulta antes de renovarla' }), previewUrl: false } });
  }, 90_000);

  it('asks routing to verify again when a refill step comes after the verification expired, and says nothing after an opt-out', async () => {
    const stranger = contact();
    const late = await say(stranger, { replyId: `ehr:rx:${statin.id ?? ''}` });
    expect(late.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY, verifyPurpose: 'refills' });
    expect(await tasksFor(statin)).toHaveLength(1); // still only the first test's

    const who = contact();
    await say(who, verified());
    await say(who, { replyId: `ehr:rx:${statin.id ?? ''}` });
    await say(who, { replyId: `ehr:ph:${pharmacy.id ?? ''}` });
    await say(who, { replyId: 'ehr:rxok' });
    const task = (await tasksFor(statin)).find((x) => x.status === 'accepted' && x.meta?.versionId === '1');
    expect(task).toBeDefined();
    await s.publishConsent({ contactId: who.contactId, state: ConsentState.CONSENT_STATE_OPTED_OUT, purpose: 'care-messaging', wordingVersion: 'v1', source: 'keyword', changedAt: new Date(), identities: [], language: 'es' });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = outbound.received().filter((e) => e.payload.contactId === who.contactId).length;
    await fhir.update({ ...task!, id: task!.id ?? '', status: 'completed' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(outbound.received().filter((e) => e.payload.contactId === who.contactId)).toHaveLength(before);
  }, 90_000);
});
