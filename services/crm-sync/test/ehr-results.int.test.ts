import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { DiagnosticReport, Observation, Patient } from '@medplum/fhirtypes';
import { crmApi, DispatchReason, MediaKind, SkillOutcomeKind, SkillTurn, Topics, Channel, type OutboundMessageCommand, type SkillOutcome } from '@careloop/contracts';
import { infraEnv, TopicTap } from '@careloop/testing';
import { EhrAudit } from '../src/adapters/ehr-audit';
import { Catalog } from '../src/i18n/catalog';
import { fhir, requireFhirServer, startCrmSync, waitFor, type CrmSyncUnderTest } from './support/harness';

const LAB = 'http://terminology.hl7.org/CodeSystem/v2-0074';
const LOINC = 'http://loinc.org';
const LINK_TTL_MS = 8_000;
const catalog = Catalog.load();
const env = infraEnv();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A final report with its Observations, as a lab system writes them. */
async function report(patientId: string, input: { category: string; code: string; name: string; observations: { code: string; name: string; value: number; unit: string; low?: number; high?: number }[]; daysAgo: number; conclusion?: string }): Promise<DiagnosticReport> {
  const when = new Date(Date.now() - input.daysAgo * 86_400_000).toISOString();
  const observations: Observation[] = [];
  for (const o of input.observations) {
    observations.push(
      await fhir.create<Observation>({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: LOINC, code: o.code, display: o.name }], text: o.name },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: when,
        valueQuantity: { value: o.value, unit: o.unit, system: 'http://unitsofmeasure.org', code: o.unit },
        ...(o.low !== undefined && o.high !== undefined ? { referenceRange: [{ low: { value: o.low, unit: o.unit }, high: { value: o.high, unit: o.unit } }] } : {}),
      }),
    );
  }
  return fhir.create<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [{ coding: [{ system: LAB, code: input.category }] }],
    code: { coding: [{ system: LOINC, code: input.code, display: input.name }], text: input.name },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: when,
    issued: when,
    ...(observations.length > 0 ? { result: observations.map((o) => ({ reference: `Observation/${o.id ?? ''}` })) } : {}),
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
  });
}

describe('the ehr skill: results by the tenant’s policy, after routing verified the patient', () => {
  let s: CrmSyncUnderTest;
  let outbound: TopicTap<OutboundMessageCommand>;
  let outcomes: TopicTap<SkillOutcome>;
  let baseUrl = '';
  let carer: { sofia: Patient; lucas: Patient };
  let reports: { cbc: DiagnosticReport; glucose: DiagnosticReport; imaging: DiagnosticReport; genetics: DiagnosticReport; lucasCbc: DiagnosticReport };

  beforeAll(async () => {
    await requireFhirServer();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    s = await startCrmSync((tenantId) => ({
      HTTP_PORT: String(port),
      EHR_DOCUMENT_BASE_URL: baseUrl,
      EHR_DOCUMENT_LINK_TTL_MS: String(LINK_TTL_MS),
      EHR_RESULTS_POLICY: JSON.stringify({
        [tenantId]: {
          rules: [
            { match: 'LAB', release: 'document' },
            { match: '2345-7', release: 'summary' },
            { match: 'RAD', release: 'announce' },
            { match: 'GE', release: 'never' },
          ],
          otherwise: 'never',
          bookingDepartmentId: 'cardiology',
        },
      }),
    }));
    await s.putConnector({ flows: [crmApi.SyncFlow.SYNC_FLOW_PATIENT_LOOKUP], mrnSystem: 'urn:oid:1.2.3.4' });
    outbound = await TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [s.tenantId]);
    outcomes = await TopicTap.start(env.KAFKA_BROKERS, Topics.skillOutcome, [s.tenantId]);

    // A carer's phone on two children's records; each child has results.
    const phone = `+3460${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const child = (given: string, birthDate: string) =>
      fhir.create<Patient>({ resourceType: 'Patient', name: [{ use: 'official', given: [given], family: 'García' }], birthDate, telecom: [{ system: 'phone', value: phone, use: 'mobile' }] });
    carer = { sofia: await child('Sofía', '2015-11-02'), lucas: await child('Lucas', '2012-03-15') };
    const sofia = carer.sofia.id ?? '';
    reports = {
      cbc: await report(sofia, { category: 'LAB', code: '58410-2', name: 'Complete blood count', daysAgo: 3, observations: [{ code: '718-7', name: 'Hemoglobin', value: 13.1, unit: 'g/dL', low: 11.5, high: 15.5 }] }),
      glucose: await report(sofia, { category: 'LAB', code: '2345-7', name: 'Glucose', daysAgo: 2, observations: [{ code: '2345-7', name: 'Glucose', value: 92, unit: 'mg/dL', low: 70, high: 99 }] }),
      imaging: await report(sofia, { category: 'RAD', code: '36643-5', name: 'Chest X-ray', daysAgo: 1, observations: [], conclusion: 'No acute findings.' }),
      genetics: await report(sofia, { category: 'GE', code: '51969-4', name: 'Genetic analysis', daysAgo: 1, observations: [], conclusion: 'Variant of uncertain significance.' }),
      lucasCbc: await report(carer.lucas.id ?? '', { category: 'LAB', code: '58410-2', name: 'Complete blood count', daysAgo: 1, observations: [{ code: '718-7', name: 'Hemoglobin', value: 14.2, unit: 'g/dL' }] }),
    };
  }, 90_000);

  afterAll(async () => {
    await outbound.stop();
    await outcomes.stop();
    await s.stop();
  });

  function turn(input: Partial<SkillTurn>): SkillTurn {
    return SkillTurn.fromPartial({
      turnId: randomUUID(),
      contactId: `contact-${randomUUID().slice(0, 8)}`,
      conversationId: randomUUID(),
      language: 'en',
      endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '', accountId: '' },
      recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600000001' },
      windowOpen: true,
      receivedAt: new Date(),
      facilityId: 'madrid-central',
      ...input,
    });
  }

  async function publish(t: SkillTurn): Promise<void> {
    await s.bus.publish(Topics.ehrTurn, t, { key: t.contactId, tenantId: s.tenantId, facilityId: 'madrid-central' });
  }

  const outcomeOf = (t: SkillTurn) => waitFor('the skill outcome', () => outcomes.received().find((e) => e.payload.turnId === t.turnId)?.payload, 20_000);
  const messagesOf = (t: SkillTurn) => outbound.received().filter((e) => e.payload.contactId === t.contactId).map((e) => e.payload);

  function verifiedFor(patient: Patient, expiresInMs: number): Partial<SkillTurn> {
    return {
      reason: DispatchReason.DISPATCH_REASON_VERIFIED,
      patientIds: ['carer-patient-a', 'carer-patient-b'],
      verified: { patientId: `pid-${patient.id ?? ''}`, connectorId: 'ehr', ehrPatientId: patient.id ?? '', purpose: 'results', verifiedAt: new Date(), expiresAt: new Date(Date.now() + expiresInMs) },
    };
  }

  it('asks routing to verify before it reads anything', async () => {
    const t = turn({ replyId: 'menu:results', reason: DispatchReason.DISPATCH_REASON_MENU });
    await publish(t);
    const outcome = await outcomeOf(t);
    expect(outcome).toMatchObject({ skill: 'ehr', kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY, verifyPurpose: 'results' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(messagesOf(t)).toEqual([]);
  });

  it('releases a document, a summary and an announcement by policy, says nothing of the never-by-chat result, and audits each', async () => {
    const t = turn(verifiedFor(carer.sofia, 10 * 60_000));
    await publish(t);
    expect((await outcomeOf(t)).kind).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE);
    const messages = await waitFor('three messages', () => (messagesOf(t).length >= 3 ? messagesOf(t) : undefined), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(messagesOf(t)).toHaveLength(3); // the genetics result is never mentioned

    // Newest first: imaging (announce), glucose (summary: its code beats its LAB category), blood count (document).
    const [announce, summary, document] = messages;
    expect(announce?.content?.$case).toBe('replyButtons');
    if (announce?.content?.$case === 'replyButtons') {
      expect(announce.content.value.buttons).toEqual([{ id: 'sched:book:dept:cardiology', title: catalog.t('en', 'results.announce.button') }]);
      expect(announce.content.value.body).not.toMatch(/X-ray/i); // announce-only: no clinical detail
    }
    expect(summary?.content?.$case).toBe('text');
    if (summary?.content?.$case === 'text') expect(summary.content.value.body).toMatch(/Glucose: 92 mg\/dL \[70–99 mg\/dL\]/);
    expect(document?.content?.$case).toBe('media');
    if (document?.content?.$case !== 'media') return;
    const media = document.content.value;
    expect(media.kind).toBe(MediaKind.MEDIA_KIND_DOCUMENT);
    expect(media.media?.filename).toBe('result.pdf'); // no PHI in the file name
    expect(media.media?.caption).toBe(catalog.t('en', 'results.document.caption'));
    expect(media.media?.link.startsWith(`${baseUrl}/ehr/documents/`)).toBe(true);

    const res = await fetch(media.media?.link ?? '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const audit = await new EhrAudit(s.running.context.mongo!).forPatient(s.tenantId, `pid-${carer.sofia.id ?? ''}`);
    const byResource = Object.fromEntries(audit.filter((e) => e.turnId === t.turnId).map((e) => [e.resource, [e.action, e.reason]]));
    expect(byResource).toEqual({
      [`DiagnosticReport/${reports.cbc.id ?? ''}`]: ['result.released.document', 'category:LAB'],
      [`DiagnosticReport/${reports.glucose.id ?? ''}`]: ['result.released.summary', 'code:2345-7'],
      [`DiagnosticReport/${reports.imaging.id ?? ''}`]: ['result.announced', 'category:RAD'],
      [`DiagnosticReport/${reports.genetics.id ?? ''}`]: ['result.withheld', 'category:GE'],
    });
    // Only the verified child's results: Lucas's blood count was neither released nor audited here.
    expect(Object.keys(byResource)).not.toContain(`DiagnosticReport/${reports.lucasCbc.id ?? ''}`);
    expect(audit.every((e) => e.contactId === t.contactId && e.connectorId === 'ehr')).toBe(true);

    // The link expires.
    await new Promise((resolve) => setTimeout(resolve, LINK_TTL_MS + 500));
    expect((await fetch(media.media?.link ?? '')).status).toBe(404);
  }, 60_000);

  it('refuses (and audits) a verification that has expired, asking routing again', async () => {
    const t = turn(verifiedFor(carer.lucas, -1_000));
    await publish(t);
    const outcome = await outcomeOf(t);
    expect(outcome).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY, verifyPurpose: 'results' });
    const [message] = await waitFor('the answer', () => (messagesOf(t).length > 0 ? messagesOf(t) : undefined), 20_000);
    expect(message?.content).toEqual({ $case: 'text', value: { body: catalog.t('en', 'results.expired'), previewUrl: false } });
    const audit = await new EhrAudit(s.running.context.mongo!).forPatient(s.tenantId, `pid-${carer.lucas.id ?? ''}`);
    expect(audit.map((e) => [e.action, e.reason])).toEqual([['results.refused.unverified', 'verification_expired']]);
  });
});
