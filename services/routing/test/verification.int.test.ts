import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Channel, crmApi, DispatchReason, InboundMessage, InteractiveReplyKind, SkillOutcome, SkillOutcomeKind, Topics, type OutboundMessageCommand, type SkillTurn } from '@careloop/contracts';
import { infraEnv, TopicTap, waitFor } from '@careloop/testing';
import { Catalog } from '../src/i18n/catalog';
import { bodyOf, startRouting, whatsappSender, WHATSAPP_NUMBER, type RoutingUnderTest, type Sender } from './support/routing-harness';

/**
 * Stand-in for crm-sync's LookupPatients (another service's API, not infrastructure): the EHR's
 * patients per phone and per hospital number, as crm-sync would answer from the FHIR server (a
 * patient found by a phone lists that phone).
 */
class CrmSyncStandIn {
  readonly patients = new Map<string, crmApi.PatientMatch[]>();
  readonly byMrn = new Map<string, crmApi.PatientMatch>();
  private readonly server = new grpc.Server();
  address = '';

  static async start(): Promise<CrmSyncStandIn> {
    const standIn = new CrmSyncStandIn();
    const implementation: Pick<crmApi.CrmSyncServiceServer, 'lookupPatients'> = {
      lookupPatients: (call, callback) => {
        const { tenantId, by } = call.request;
        const withPhone = (phone: string) => (p: crmApi.PatientMatch) => ({ ...p, phonesE164: p.phonesE164.includes(phone) ? p.phonesE164 : [phone, ...p.phonesE164] });
        const all = () => [
          ...[...standIn.patients].filter(([k]) => k.startsWith(`${tenantId}|`)).flatMap(([k, list]) => list.map(withPhone(k.slice(tenantId.length + 1)))),
          ...[...standIn.byMrn].filter(([k]) => k.startsWith(`${tenantId}|`)).map(([, p]) => p),
        ];
        const patients =
          by?.$case === 'phoneE164'
            ? (standIn.patients.get(`${tenantId}|${by.value}`) ?? []).map(withPhone(by.value))
            : by?.$case === 'mrn'
              ? [standIn.byMrn.get(`${tenantId}|${by.value}`)].filter((p) => p !== undefined)
              : by?.$case === 'ehrPatient'
                ? all().filter((p) => p.connectorId === by.value.connectorId && p.fhirId === by.value.fhirId).slice(0, 1)
                : [];
        callback(null, { patients });
      },
    };
    standIn.server.addService(crmApi.CrmSyncServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      standIn.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p)));
    });
    standIn.address = `127.0.0.1:${port}`;
    return standIn;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

const LOCK_MS = 6_000;

function answers0ContactId(list: readonly OutboundMessageCommand[]): string {
  const contactId = list[0]?.contactId;
  if (!contactId) throw new Error('no answer to take the contact from');
  return contactId;
}
const catalog = Catalog.load();
const env = infraEnv();

function patient(givenName: string, birthDate: string, phonesE164: string[] = []): crmApi.PatientMatch {
  const fhirId = `p-${randomUUID().slice(0, 8)}`;
  return { connectorId: 'ehr-1', fhirId, patientId: randomUUID(), mrn: '', givenName, familyName: 'García', birthDate, language: 'es', phonesE164 };
}

describe('identity verification (routing owns it, a skill asks for it)', () => {
  let crm: CrmSyncStandIn;
  let routing: RoutingUnderTest;
  let ehrTurns: TopicTap<SkillTurn>;

  beforeAll(async () => {
    crm = await CrmSyncStandIn.start();
    routing = await startRouting(({ otherTenantId }) => ({
      ROUTING_AVAILABLE_SKILLS: 'ehr',
      CRM_SYNC_GRPC_ADDRESS: crm.address,
      ROUTING_VERIFICATION_LOCK_MS: String(LOCK_MS),
      ROUTING_VERIFICATION_MAX_FAILURES: '3',
      // The other tenant's policy asks for a one-time code as well.
      ROUTING_VERIFICATION_OTP_TENANTS: otherTenantId,
      ROUTING_HOSPITAL_NAMES: '{}',
    }));
    ehrTurns = await TopicTap.start(env.KAFKA_BROKERS, Topics.ehrTurn, [routing.tenantId, routing.otherTenantId]);
  }, 60_000);

  afterAll(async () => {
    await ehrTurns.stop();
    await routing.stop();
    await crm.stop();
  });

  /**
   * Our routing's answers to one inbound event for one contact. Filtering by contact keeps out
   * answers another platform on the shared cluster (an e2e run) gives to the same events.
   */
  async function answersFor(eventId: string, contactId: string, expected: number): Promise<OutboundMessageCommand[]> {
    const mine = () => routing.outbound.received().filter((e) => e.meta.causationId === eventId && e.payload.contactId === contactId);
    await waitFor(`${expected} answer(s) to ${eventId}`, () => mine().length >= expected, 20_000);
    await new Promise((resolve) => setTimeout(resolve, expected === 0 ? 2_500 : 800));
    return mine().map((e) => e.payload);
  }

  /** A patient of the other tenant (whose policy asks for a code): gateway-shaped inbound messages of that tenant. */
  function otherTenant(sender: Sender) {
    const send = async (content: InboundMessage['content']) => {
      const now = new Date();
      const message = InboundMessage.fromPartial({
        messageId: `wamid.${randomUUID()}`,
        to: { channel: Channel.CHANNEL_WHATSAPP, endpointId: WHATSAPP_NUMBER, displayAddress: '34910000001', accountId: '102290129340398' },
        from: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: sender.channelUserId, phoneE164: sender.phoneE164 ?? '', businessScopedUserId: '', profileName: sender.profileName ?? '', username: '' },
        sentAt: now,
        receivedAt: now,
        content,
      });
      return (await routing.bus.publish(Topics.inboundMessage, message, { key: `whatsapp:${sender.channelUserId}`, tenantId: routing.otherTenantId, facilityId: 'madrid-central', occurredAt: now })).id;
    };
    return {
      text: (body: string) => send({ $case: 'text', value: { body } }),
      reply: (id: string) => send({ $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id, title: '', description: '' } }),
    };
  }

  async function consentedPatient(name: string): Promise<Sender> {
    const sender = whatsappSender(name);
    await routing.answersTo(await routing.text(sender, 'Hola'), 1);
    await routing.answersTo(await routing.reply(sender, 'consent:accept'), 2);
    return sender;
  }

  /** The patient asks for results; the ehr skill (played here) answers with a VERIFY outcome. */
  async function askResults(sender: Sender, expectedAnswers: number, tenantId = routing.tenantId): Promise<{ turn: SkillTurn; answers: OutboundMessageCommand[] }> {
    const chose = tenantId === routing.tenantId ? await routing.reply(sender, 'menu:results') : await otherTenant(sender).reply('menu:results');
    const turn = (await waitFor('the ehr turn', () => ehrTurns.received().find((t) => t.payload.turnId === chose), 20_000)).payload;
    const meta = await routing.bus.publish(
      Topics.skillOutcome,
      SkillOutcome.fromPartial({ turnId: turn.turnId, contactId: turn.contactId, conversationId: turn.conversationId, skill: 'ehr', kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_VERIFY, verifyPurpose: 'results' }),
      { key: turn.contactId, tenantId },
    );
    return { turn, answers: await answersFor(meta.id, turn.contactId, expectedAnswers) };
  }

  const verifiedTurn = (contactId: string, after: number) =>
    waitFor('the verified turn', () => ehrTurns.received().slice(after).find((t) => t.payload.contactId === contactId && t.payload.reason === DispatchReason.DISPATCH_REASON_VERIFIED), 20_000);

  it('asks a carer "for whom?" and hands the skill only the chosen patient', async () => {
    const sender = await consentedPatient('Marta');
    const lucas = patient('Lucas', '2012-03-15');
    const sofia = patient('Sofía', '2015-11-02');
    crm.patients.set(`${routing.tenantId}|${sender.phoneE164 ?? ''}`, [lucas, sofia]);

    const { answers } = await askResults(sender, 1);
    const list = answers[0]?.content;
    expect(list?.$case).toBe('interactiveList');
    if (list?.$case !== 'interactiveList') return;
    expect(list.value.body).toBe(catalog.t('es', 'verify.who.body'));
    expect(list.value.sections.flatMap((s) => s.rows.map((r) => [r.id, r.title]))).toEqual([
      ['verify:who:0', 'Lucas'],
      ['verify:who:1', 'Sofía'],
    ]);

    const contactId = answers0ContactId(answers);
    const [ask] = await answersFor(await routing.reply(sender, 'verify:who:1', 'Sofía'), contactId, 1);
    expect(bodyOf(ask!)).toBe(catalog.t('es', 'verify.dob.ask'));
    const before = ehrTurns.received().length;
    const [passed] = await answersFor(await routing.text(sender, '02/11/2015'), contactId, 1);
    expect(bodyOf(passed!)).toBe(catalog.t('es', 'verify.passed'));
    const verified = (await verifiedTurn(answers[0]!.contactId, before)).payload;
    expect(verified.verified).toMatchObject({ patientId: sofia.patientId, ehrPatientId: sofia.fhirId, connectorId: 'ehr-1', purpose: 'results' });
    expect(verified.verified!.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    // Lucas was never verified: his id is not the one the skill may read.
    expect(verified.verified?.patientId).not.toBe(lucas.patientId);

    // Within the validity period the same request needs only "for whom?" again, no date of birth.
    const again = await askResults(sender, 1);
    const afterAgain = ehrTurns.received().length;
    expect(again.answers[0]?.content?.$case).toBe('interactiveList');
    expect(await answersFor(await routing.reply(sender, 'verify:who:1', 'Sofía'), contactId, 0)).toEqual([]);
    expect((await verifiedTurn(again.turn.contactId, afterAgain)).payload.verified?.patientId).toBe(sofia.patientId);
  });

  it('locks after three wrong dates of birth, queues the conversation for staff, audits it, and works after the lock', async () => {
    const sender = await consentedPatient('Pedro');
    const pedro = patient('Pedro', '1971-06-30');
    crm.patients.set(`${routing.tenantId}|${sender.phoneE164 ?? ''}`, [pedro]);

    const first = await askResults(sender, 1);
    expect(bodyOf(first.answers[0]!)).toBe(catalog.t('es', 'verify.dob.ask')); // one patient: no "for whom?"
    expect(bodyOf((await answersFor(await routing.text(sender, '30 de junio'), first.turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.dob.invalid'));
    expect(bodyOf((await answersFor(await routing.text(sender, '01/06/1971'), first.turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.dob.wrong'));
    expect(bodyOf((await answersFor(await routing.text(sender, '30/06/1972'), first.turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.dob.wrong'));
    const lockedAt = Date.now();
    expect(bodyOf((await answersFor(await routing.text(sender, '1971-07-30'), first.turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.locked'));

    const supervisor = routing.token({ id: 'privacy-1', role: 'supervisor' });
    const queued = await waitFor('the conversation in the staff queue', async () => {
      const { json } = await routing.api('/inbox/conversations?status=queued', supervisor);
      return (json['conversations'] as { id: string; priority: number }[] | undefined)?.find((c) => c.id === first.turn.conversationId);
    });
    expect(queued.priority).toBe(2); // high
    const { json: audit } = await routing.api(`/inbox/audit?resource=${encodeURIComponent(`patient:${pedro.patientId}`)}`, supervisor);
    const actions = (audit['entries'] as { action: string; actor: string }[]).map((e) => e.action);
    expect(actions).toEqual(['identity.verification.failed', 'identity.verification.failed', 'identity.verification.failed', 'identity.verification.locked']);
    expect((audit['entries'] as { actor: string }[]).every((e) => e.actor === `contact:${first.turn.contactId}`)).toBe(true);

    // Staff closes it; while the lock lasts, even the right date is not asked for.
    expect((await routing.api(`/inbox/conversations/${first.turn.conversationId}/close`, supervisor, { method: 'POST', body: {} })).status).toBe(200);
    const during = await askResults(sender, 1);
    if (Date.now() - lockedAt < LOCK_MS) expect(bodyOf(during.answers[0]!)).toBe(catalog.t('es', 'verify.locked'));

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, LOCK_MS - (Date.now() - lockedAt)) + 500));
    const after = await askResults(sender, 1);
    expect(bodyOf(after.answers[0]!)).toBe(catalog.t('es', 'verify.dob.ask'));
    const before = ehrTurns.received().length;
    expect(bodyOf((await answersFor(await routing.text(sender, '30/06/1971'), first.turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.passed'));
    expect((await verifiedTurn(after.turn.contactId, before)).payload.verified?.patientId).toBe(pedro.patientId);
    const { json: later } = await routing.api(`/inbox/audit?resource=${encodeURIComponent(`patient:${pedro.patientId}`)}`, supervisor);
    expect((later['entries'] as { action: string }[]).map((e) => e.action)).toContain('identity.verification.passed:results');
  }, 90_000);

  it('asks for a one-time code with the authentication template where the tenant’s policy says so', async () => {
    const sender = whatsappSender('Elif');
    const other = otherTenant(sender);
    await routing.answersTo(await other.text('Hola'), 1);
    await routing.answersTo(await other.reply('consent:accept'), 2);
    const elif = patient('Elif', '1990-04-12');
    crm.patients.set(`${routing.otherTenantId}|${sender.phoneE164 ?? ''}`, [elif]);

    const { turn, answers } = await askResults(sender, 1, routing.otherTenantId);
    expect(bodyOf(answers[0]!)).toBe(catalog.t('es', 'verify.dob.ask'));
    const [template, ask] = await answersFor(await other.text('12/04/1990'), turn.contactId, 2);
    expect(template?.content?.$case).toBe('template');
    if (template?.content?.$case !== 'template') return;
    expect(template.content.value.name).toBe('careloop_verification_code');
    expect(template.priority).toBeGreaterThan(0);
    const [body, button] = template.content.value.components;
    const code = body?.parameters[0]?.value?.$case === 'text' ? body.parameters[0].value.value : '';
    expect(code).toMatch(/^\d{6}$/);
    expect(button).toMatchObject({ subType: 'url', index: 0 });
    expect(bodyOf(ask!)).toBe(catalog.t('es', 'verify.otp.ask'));
    expect(ehrTurns.received().some((t) => t.payload.contactId === turn.contactId && t.payload.reason === DispatchReason.DISPATCH_REASON_VERIFIED)).toBe(false);

    // The conversation as agents read it says a code was sent, never which.
    const supervisor = routing.token({ id: 'supervisor-otp', role: 'supervisor', tenantId: routing.otherTenantId });
    const { status, json: conversation } = await routing.api(`/inbox/conversations/${turn.conversationId}`, supervisor);
    expect(status).toBe(200);
    const shown = JSON.stringify(conversation['history']);
    expect(shown).toContain('careloop_verification_code');
    expect(shown).toContain('••••••');
    expect(shown).not.toContain(code);

    const wrong = code === '000000' ? '111111' : '000000';
    expect(bodyOf((await answersFor(await other.text(wrong), turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.otp.wrong'));
    const before = ehrTurns.received().length;
    expect(bodyOf((await answersFor(await other.text(code), turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.passed'));
    expect((await verifiedTurn(turn.contactId, before)).payload.verified?.patientId).toBe(elif.patientId);
    // Nor which code the patient typed back, right or wrong.
    const after = JSON.stringify((await routing.api(`/inbox/conversations/${turn.conversationId}`, supervisor)).json['history']);
    expect(after).not.toContain(code);
    expect(after).not.toContain(wrong);
    expect(after.split('••••••').length - 1).toBeGreaterThanOrEqual(3);
  });

  it('a patient writing from a new number verifies with their hospital number, and the code goes to the phone on the record', async () => {
    const sender = await consentedPatient('Inés');
    const recordPhone = whatsappSender('old phone').phoneE164 ?? '';
    const mrn = `HC-${randomUUID().slice(0, 6)}`;
    const ines = { ...patient('Inés', '1966-09-21', [recordPhone]), mrn };
    crm.byMrn.set(`${routing.tenantId}|${mrn}`, ines);

    const { turn, answers } = await askResults(sender, 1);
    expect(bodyOf(answers[0]!)).toBe(catalog.t('es', 'verify.mrn.ask'));
    const contactId = turn.contactId;
    expect(bodyOf((await answersFor(await routing.text(sender, 'no lo sé!'), contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.mrn.invalid'));
    expect(bodyOf((await answersFor(await routing.text(sender, 'HC-000000'), contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.mrn.not_found'));
    expect(bodyOf((await answersFor(await routing.text(sender, ` ${mrn} `), contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.dob.ask'));
    const [code, ask] = await answersFor(await routing.text(sender, '21/09/1966'), contactId, 2);
    // The code goes to the record's phone, not to the phone that writes; the patient is told which one by its last digits.
    expect(code?.content?.$case).toBe('template');
    expect(code?.to?.channelUserId).toBe(recordPhone.slice(1));
    expect(ask?.to?.channelUserId).toBe(sender.channelUserId);
    expect(bodyOf(ask!)).toBe(catalog.t('es', 'verify.otp.ask_record', { last: recordPhone.slice(-2) }));
    const digits = code?.content?.$case === 'template' && code.content.value.components[0]?.parameters[0]?.value?.$case === 'text' ? code.content.value.components[0].parameters[0].value.value : '';
    expect(digits).toMatch(/^\d{6}$/);
    const before = ehrTurns.received().length;
    expect(bodyOf((await answersFor(await routing.text(sender, digits), contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.passed'));
    expect((await verifiedTurn(contactId, before)).payload.verified?.patientId).toBe(ines.patientId);
    const supervisor = routing.token({ id: 'privacy-1', role: 'supervisor' });
    const { json: audit } = await routing.api(`/inbox/audit?resource=${encodeURIComponent(`patient:${ines.patientId}`)}`, supervisor);
    expect((audit['entries'] as { action: string }[]).map((e) => e.action)).toEqual(['identity.verification.code_sent_to_record', 'identity.verification.passed:results']);
    const { json: misses } = await routing.api(`/inbox/audit?resource=${encodeURIComponent(`contact:${contactId}`)}`, supervisor);
    expect((misses['entries'] as { action: string }[]).map((e) => e.action)).toEqual(['identity.verification.mrn_not_found']);
  });

  it('refuses by chat when the record found by hospital number has no phone to send the code to', async () => {
    const sender = await consentedPatient('Tomás');
    const mrn = `HC-${randomUUID().slice(0, 6)}`;
    const tomas = { ...patient('Tomás', '1950-02-01'), mrn };
    crm.byMrn.set(`${routing.tenantId}|${mrn}`, tomas);
    const { turn } = await askResults(sender, 1);
    expect(bodyOf((await answersFor(await routing.text(sender, mrn), turn.contactId, 1))[0]!)).toBe(catalog.t('es', 'verify.dob.ask'));
    const answers = await answersFor(await routing.text(sender, '01/02/1950'), turn.contactId, 1);
    expect(answers.map(bodyOf)).toEqual([catalog.t('es', 'verify.otp.no_phone')]);
    expect(answers.some((a) => a.content?.$case === 'template')).toBe(false);
  });
});
