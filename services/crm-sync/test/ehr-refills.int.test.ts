import { randomUUID } from 'node:crypto';
import type { Location, MedicationRequest, Organization, Patient, Task } from '@medplum/fhirtypes';
import { Channel, ConsentState, crmApi, DispatchReason, SkillOutcomeKind, SkillTurn, Topics, type OutboundMessageCommand, type SkillOutcome } from '@careloop/contracts';
import { issueStaffBearer } from '@careloop/service-kit';
import { infraEnv, TopicTap } from '@careloop/testing';
import { EhrAudit } from '../src/adapters/ehr-audit';
import { Catalog } from '../src/i18n/catalog';
import type { AuditTrailPage } from '../src/use-cases/read-ehr-audit';
import { refillSystem } from '../src/use-cases/request-refill';
import { fhir, requireFhirServer, STAFF_JWT_SECRET, startCrmSync, waitFor, type CrmSyncUnderTest } from './support/harness';

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

  async function say(who: { contactId: string; channelUserId: string }, input: Partial<SkillTurn>): Promise<{ turnId: string; outcome: SkillOutcome; messages: OutboundMessageCommand[] }> {
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
    return { turnId: t.turnId, outcome, messages: outbound.received().filter((e) => e.payload.contactId === who.contactId).map((e) => e.payload) };
  }

  const patientId = () => `pid-${patient.id ?? ''}`;
  const verified = (expiresInMs = 10 * 60_000): Partial<SkillTurn> => ({
    reason: DispatchReason.DISPATCH_REASON_VERIFIED,
    verified: { patientId: patientId(), connectorId: 'ehr', ehrPatientId: patient.id ?? '', purpose: 'refills', verifiedAt: new Date(), expiresAt: new Date(Date.now() + expiresInMs) },
  });
  /** The real ehr_audit, read straight from crm-sync's database: this contact's entries. */
  const auditOf = async (contactId: string) => (await new EhrAudit(s.running.context.mongo!).forPatient(s.tenantId, patientId())).filter((e) => e.contactId === contactId);
  /** Nothing of the medication, the pharmacy's patient-facing text or a clinician's words in the audit. */
  const PHI = ['Atorvastatin', 'Oxycodone', 'Pedro', 'Ruiz', 'consulta'];

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
    expect((await auditOf(who.contactId)).map((e) => [e.action, e.resource, e.reason, e.turnId, e.connectorId])).toEqual([['refill.requested', `Task/${task?.id ?? ''}`, 'auto_approved', done.turnId, 'ehr']]);

    // The pharmacy dispenses it: the Task is completed in the EHR, and the patient hears it.
    await fhir.update({ ...task!, id: task!.id ?? '', status: 'completed' });
    const ready = await waitFor('the ready message', () => outbound.received().find((e) => e.payload.contactId === who.contactId && e.payload.content?.$case === 'text' && e.payload.content.value.body === catalog.t('es', 'refills.status.ready')), 20_000);
    expect(ready.payload.to?.channelUserId).toBe(who.channelUserId);
    expect(ready.payload.templateFallback?.components).toEqual([]); // outside the window: a template with no clinical detail
    // What the patient was told is audited once, by status, with no turn (the EHR changed the Task).
    const told = await waitFor('the status entry', async () => ((await auditOf(who.contactId)).length === 2 ? auditOf(who.contactId) : undefined), 10_000);
    expect(told.map((e) => [e.action, e.resource, e.reason, e.turnId])).toEqual([
      ['refill.requested', `Task/${task?.id ?? ''}`, 'auto_approved', done.turnId],
      ['refill.status.ready', `Task/${task?.id ?? ''}`, 'ready', ''],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // more rounds of the follower: still one entry per status
    expect(await auditOf(who.contactId)).toHaveLength(2);
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
    // The audit names the decline by status, never by the clinician's words; no medication names.
    const entries = await waitFor('the decline entry', async () => ((await auditOf(who.contactId)).length === 2 ? auditOf(who.contactId) : undefined), 10_000);
    expect(entries.map((e) => [e.action, e.resource, e.reason])).toEqual([
      ['refill.requested', `Task/${task?.id ?? ''}`, 'controlled'],
      ['refill.status.declined', `Task/${task?.id ?? ''}`, 'declined'],
    ]);
    expect(PHI.filter((word) => JSON.stringify(entries).includes(word))).toEqual([]);
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
    // Nothing told, nothing audited but the request.
    expect((await auditOf(who.contactId)).map((e) => e.action)).toEqual(['refill.requested']);
  }, 90_000);

  it('audits a refill the patient cancels at the confirmation, and a refill verification that had expired', async () => {
    const who = contact();
    await say(who, verified());
    await say(who, { replyId: `ehr:rx:${statin.id ?? ''}` });
    await say(who, { replyId: `ehr:ph:${pharmacy.id ?? ''}` });
    const tasksBefore = (await tasksFor(statin)).length;
    const cancelled = await say(who, { replyId: 'ehr:rxno' });
    expect(cancelled.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE, reason: 'refill_cancelled' });
    expect(await tasksFor(statin)).toHaveLength(tasksBefore);

    const late = contact();
    const refused = await say(late, verified(-1_000));
    expect(refused.outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY, verifyPurpose: 'refills' });

    expect((await auditOf(who.contactId)).map((e) => [e.action, e.resource, e.reason, e.turnId])).toEqual([['refill.cancelled', `MedicationRequest/${statin.id ?? ''}`, 'by_patient', cancelled.turnId]]);
    expect((await auditOf(late.contactId)).map((e) => [e.action, e.resource, e.reason, e.turnId])).toEqual([['refill.refused.unverified', `Patient/${patient.id ?? ''}`, 'verification_expired', refused.turnId]]);
  }, 90_000);

  it('lets a privacy officer read the patient’s trail over HTTP, oldest first, and audits each read', async () => {
    const url = (query: string) => `http://127.0.0.1:${s.running.httpPort ?? 0}/ehr/v1/audit?${query}`;
    const as = (role: string, id = 'po-1', tenantId = s.tenantId) => ({ authorization: `Bearer ${issueStaffBearer(STAFF_JWT_SECRET, { id, tenantId, role })}` });
    const stored = await new EhrAudit(s.running.context.mongo!).forPatient(s.tenantId, patientId());

    const res = await fetch(url(`patientId=${patientId()}`), { headers: as('privacy-officer') });
    expect(res.status).toBe(200);
    const page = (await res.json()) as AuditTrailPage;
    // Everything the earlier tests caused for this patient, in time order, then this read.
    expect(page.entries.map((e) => [e.action, e.resource, e.reason, e.contactId])).toEqual([
      ...stored.map((e) => [e.action, e.resource, e.reason, e.contactId]),
      ['audit.read', 'ehr_audit', 'role:privacy-officer', ''],
    ]);
    const times = page.entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(page.entries.map((e) => e.action))).toEqual(new Set(['refill.requested', 'refill.status.ready', 'refill.status.declined', 'refill.cancelled', 'refill.refused.unverified', 'audit.read']));
    expect(page.entries.at(-1)).toMatchObject({ actor: 'staff:po-1', connectorId: '', turnId: '' });
    expect(PHI.filter((word) => JSON.stringify(page).includes(word))).toEqual([]);

    // The read is in the store; a supervisor's later read lists it, a window and a limit narrow it.
    const reads = (await new EhrAudit(s.running.context.mongo!).forPatient(s.tenantId, patientId())).filter((e) => e.action === 'audit.read');
    expect(reads.map((e) => [e.actor, e.reason])).toEqual([['staff:po-1', 'role:privacy-officer']]);
    const firstTwo = (await (await fetch(url(`patientId=${patientId()}&limit=2`), { headers: as('supervisor', 'sup-1') })).json()) as AuditTrailPage;
    expect(firstTwo).toMatchObject({ hasMore: true });
    expect(firstTwo.entries.map((e) => e.action)).toEqual(page.entries.slice(0, 2).map((e) => e.action));
    const since = (await (await fetch(url(`patientId=${patientId()}&from=${encodeURIComponent(page.entries.at(-1)?.at ?? '')}`), { headers: as('admin', 'admin-1') })).json()) as AuditTrailPage;
    expect(since.entries.map((e) => e.actor)).toEqual(['staff:po-1', 'staff:sup-1', 'staff:admin-1']);

    // Another tenant's privacy officer sees nothing of this one; an agent may not read; no token, no read.
    const other = (await (await fetch(url(`patientId=${patientId()}`), { headers: as('privacy-officer', 'po-2', 'another-tenant') })).json()) as AuditTrailPage;
    expect(other.entries.map((e) => e.action)).toEqual(['audit.read']);
    expect((await fetch(url(`patientId=${patientId()}`), { headers: as('agent') })).status).toBe(403);
    expect((await fetch(url(`patientId=${patientId()}`))).status).toBe(401);
    expect((await fetch(url(`patientId=${patientId()}&limit=0`), { headers: as('privacy-officer') })).status).toBe(400);
    const after = await new EhrAudit(s.running.context.mongo!).forPatient(s.tenantId, patientId());
    expect(after.filter((e) => e.action === 'audit.read')).toHaveLength(3); // the refused ones are not reads
  }, 60_000);
});
