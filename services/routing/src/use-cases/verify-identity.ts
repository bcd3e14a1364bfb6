import { Channel, DispatchReason, HandoverPriority, SkillOutcome, SkillOutcomeKind, TemplateComponentType, Topics, type InboundMessage, type OutboundMessageCommand } from '@careloop/contracts';
import { nameBasedId, type EventBus, type ReceivedEvent } from '@careloop/bus';
import type { Logger } from '@careloop/observability';
import { isLanguage, DEFAULT_LANGUAGE, type Language } from '../i18n/catalog';
import { WHATSAPP_LIMITS } from '../i18n/whatsapp-limits';
import type { Contact, ContactDirectory } from '../adapters/contact-directory';
import type { ConversationStore } from '../adapters/conversation-store';
import type { AuditLog } from '../adapters/ledgers';
import type { PatientLookup, PatientRecord } from '../adapters/patient-lookup';
import { recipientOfConversation, type Recipient, type Replier } from '../adapters/replier';
import type { Candidate, PendingVerification, VerificationState } from '../adapters/verification-state';
import type { Conversation } from '../domain/conversation';
import { SKILL_TOPICS, isSkillName } from '../domain/skills';
import { parseBirthDate, type VerificationPolicy } from '../domain/verification';
import { text, type BotMessages } from './bot-messages';

type Content = OutboundMessageCommand['content'];

/** The part of a patient's turn the verification needs. */
export interface VerificationTurn {
  readonly tenantId: string;
  readonly facilityId: string;
  readonly contact: Contact;
  readonly conversation: Conversation;
  readonly language: Language;
  readonly to: Recipient;
  /** Derived from the inbound message (or the skill's outcome): the ids of what we send derive from it. */
  readonly key: string;
  readonly causationId: string;
  readonly message?: InboundMessage;
}

/** A "for whom?" list holds at most this many patients (WhatsApp: 10 rows). */
const MAX_CANDIDATES = 10;
/** A hospital number as patients copy it from their card or letters. */
const MRN = /^[A-Za-z0-9][A-Za-z0-9./-]{1,31}$/;

/**
 * Step-up identity verification, owned by routing and asked for by any skill (a
 * SKILL_OUTCOME_KIND_VERIFY outcome): the patient must be in the EHR under the phone that is
 * writing ("for whom?" when it is listed for several), then give their date of birth in their
 * language's format, and — where the tenant asks for it — a one-time code sent with its
 * authentication template. A patient writing from a phone no record lists (a new number, a
 * Messenger account) may give their hospital number instead; the code is then required and goes
 * to the phone on the record, so a pass proves the record's phone too. A pass is remembered for the policy's period and handed to the skill as a
 * turn with `verified`; wrong answers lock the patient's requests for a while and put the
 * conversation in the staff queue. Every pass, failure, lock and refusal is audited. Names and
 * dates of birth are read from the EHR when needed and never stored.
 */
export class VerifyIdentity {
  constructor(
    private readonly deps: {
      readonly bus: EventBus;
      readonly contacts: ContactDirectory;
      readonly conversations: ConversationStore;
      readonly replier: Replier;
      readonly messages: BotMessages;
      readonly audit: AuditLog;
      readonly lookup: PatientLookup;
      readonly state: VerificationState;
      readonly policy: VerificationPolicy;
      readonly logger: Logger;
    },
  ) {}

  /** A skill asked for a verification (its VERIFY outcome). */
  async request(event: ReceivedEvent<SkillOutcome>): Promise<void> {
    const outcome = event.payload;
    const tenantId = event.tenantId;
    if (!isSkillName(outcome.skill) || !outcome.verifyPurpose) return;
    const [conversation, contact] = await Promise.all([this.deps.conversations.get(tenantId, outcome.conversationId), this.deps.contacts.get(tenantId, outcome.contactId)]);
    if (!conversation || conversation.status !== 'bot' || !contact) return; // closed or with a person: nothing to verify now
    await this.deps.conversations.setOwner(tenantId, conversation.id, outcome.skill);
    const language = contact.language && isLanguage(contact.language) ? contact.language : DEFAULT_LANGUAGE;
    const turn: VerificationTurn = {
      tenantId,
      facilityId: conversation.facilityId || event.facilityId,
      contact,
      conversation,
      language,
      to: recipientOfConversation(conversation, contact),
      key: nameBasedId(tenantId, 'verify-request', event.id),
      causationId: event.id,
    };
    const speaker = new Speaker(this.deps.replier, turn);
    const phone = contact.verifiedPhones[0];
    const records = phone ? await this.lookup(turn, speaker, () => this.deps.lookup.byPhone(tenantId, phone)) : [];
    if (!records) return;
    const candidates = records.slice(0, MAX_CANDIDATES);
    const pending: PendingVerification = { skill: outcome.skill, purpose: outcome.verifyPurpose, conversationId: conversation.id, facilityId: turn.facilityId, stage: 'who', candidates: candidates.map(idsOf) };
    if (candidates.length === 0) {
      if (!this.deps.policy.mrnLookup) return this.noRecord(turn, speaker);
      await this.deps.state.setPending(tenantId, contact.id, { ...pending, stage: 'mrn' });
      await speaker.say(text(this.deps.messages.t(language, 'verify.mrn.ask')));
      return;
    }
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only) return this.chosen(turn, speaker, pending, idsOf(only));
    await this.deps.state.setPending(tenantId, contact.id, pending);
    await speaker.say(this.forWhom(language, candidates));
  }

  /** A press of a "for whom?" row (`verify:who:<n>`). */
  async reply(turn: VerificationTurn, replyId: string): Promise<void> {
    const pending = await this.deps.state.pending(turn.tenantId, turn.contact.id);
    if (!pending || pending.stage !== 'who') return; // an old list: the request it belonged to is over
    const n = Number(replyId.split(':')[2]);
    const candidate = Number.isInteger(n) ? pending.candidates[n] : undefined;
    if (!candidate) return;
    await this.chosen(turn, new Speaker(this.deps.replier, turn), pending, candidate);
  }

  /** Free text while a verification waits for it; false when none does (the skill gets the text). */
  async answer(turn: VerificationTurn, body: string): Promise<boolean> {
    const pending = await this.deps.state.pending(turn.tenantId, turn.contact.id);
    if (!pending || pending.conversationId !== turn.conversation.id) return false;
    const speaker = new Speaker(this.deps.replier, turn);
    const { tenantId, contact, language } = turn;
    const chosen = pending.chosen;
    if (pending.stage === 'mrn') {
      await this.hospitalNumber(turn, speaker, pending, body.trim());
      return true;
    }
    if (pending.stage === 'who' || !chosen) {
      const records = await this.currentRecords(turn, speaker, pending);
      if (records) await speaker.say(this.forWhom(language, records));
      return true;
    }
    const birthDate = pending.stage === 'dob' ? parseBirthDate(body, language) : undefined;
    const code = pending.stage === 'otp' ? /^\s*(\d{6})\s*$/.exec(body)?.[1] : undefined;
    if (pending.stage === 'dob' && !birthDate) {
      await speaker.say(text(this.deps.messages.t(language, 'verify.dob.invalid')));
      return true;
    }
    if (pending.stage === 'otp' && !code) {
      await speaker.say(text(this.deps.messages.t(language, 'verify.otp.invalid')));
      return true;
    }
    // The code the patient typed, right or wrong, is masked in the history as the one sent is.
    if (code && turn.message) await this.deps.conversations.history.redact(tenantId, turn.message.messageId, { $case: 'text', value: { body: MASKED_CODE } });
    const resource = `patient:${chosen.patientId}`;
    const actor = `contact:${contact.id}`;
    if (await this.deps.state.isLocked(tenantId, chosen.patientId)) {
      await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.refused_locked', resource });
      await speaker.say(text(this.deps.messages.t(language, 'verify.locked')));
      await this.deps.state.clearPending(tenantId, contact.id);
      return true;
    }
    if (!(await this.deps.state.takeAttempt(tenantId, contact.id, chosen.patientId))) {
      await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.rate_limited', resource });
      await speaker.say(text(this.deps.messages.t(language, 'verify.rate_limited')));
      return true;
    }
    if (pending.stage === 'otp') {
      const outcome = await this.deps.state.checkCode(tenantId, contact.id, code ?? '');
      if (outcome === 'expired') {
        await this.deps.state.clearPending(tenantId, contact.id);
        await speaker.say(text(this.deps.messages.t(language, 'verify.otp.expired')));
        return true;
      }
      if (outcome === 'match') await this.pass(turn, speaker, pending, chosen);
      else await this.fail(turn, speaker, pending, chosen);
      return true;
    }
    // The chosen record read again: its date of birth, and whether it lists the phone that writes.
    const records = await this.lookup(turn, speaker, () => this.deps.lookup.byReference(tenantId, chosen));
    if (!records) return true;
    const record = records.find((r) => r.patientId === chosen.patientId);
    if (!record || record.birthDate !== birthDate) {
      await this.fail(turn, speaker, pending, chosen);
      return true;
    }
    const onRecord = contact.verifiedPhones.some((p) => record.phonesE164.includes(p));
    if (onRecord && !this.deps.policy.oneTimeCode(tenantId)) {
      await this.pass(turn, speaker, pending, chosen);
      return true;
    }
    // The second factor: a code sent with the tenant's authentication template — to the phone on
    // the record when the patient writes from another one.
    const recordPhone = record.phonesE164[0];
    if (!onRecord && (!recordPhone || turn.to.channel !== Channel.CHANNEL_WHATSAPP)) {
      await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.refused_no_phone', resource });
      await this.deps.state.clearPending(tenantId, contact.id);
      await speaker.say(text(this.deps.messages.t(language, recordPhone ? 'verify.otp.whatsapp_only' : 'verify.otp.no_phone')));
      await this.deps.conversations.setOwner(tenantId, turn.conversation.id, undefined);
      return true;
    }
    const sent = await this.deps.state.issueCode(tenantId, contact.id);
    await this.deps.state.setPending(tenantId, contact.id, { ...pending, stage: 'otp' });
    const template = authenticationTemplate(this.deps.policy.oneTimeCodeTemplate, language, sent);
    // Agents reading the conversation see that a code was sent, never the code.
    const masked = authenticationTemplate(this.deps.policy.oneTimeCodeTemplate, language, MASKED_CODE);
    if (onRecord || !recordPhone) {
      await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.code_sent', resource });
      await speaker.say(template, OTP_PRIORITY, masked);
      await speaker.say(text(this.deps.messages.t(language, 'verify.otp.ask')));
    } else {
      await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.code_sent_to_record', resource });
      await speaker.sayTo({ ...turn.to, channelUserId: recordPhone.replace(/^\+/, '') }, template, OTP_PRIORITY, masked);
      await speaker.say(text(this.deps.messages.t(language, 'verify.otp.ask_record', { last: recordPhone.slice(-2) })));
    }
    return true;
  }

  /** The hospital number of a patient whose phone no record lists. */
  private async hospitalNumber(turn: VerificationTurn, speaker: Speaker, pending: PendingVerification, mrn: string): Promise<void> {
    const { tenantId, contact, language } = turn;
    if (!MRN.test(mrn)) {
      await speaker.say(text(this.deps.messages.t(language, 'verify.mrn.invalid')));
      return;
    }
    if (!(await this.deps.state.takeContactAttempt(tenantId, contact.id))) {
      await this.deps.audit.record(tenantId, { actor: `contact:${contact.id}`, role: 'patient', action: 'identity.verification.rate_limited', resource: `contact:${contact.id}` });
      await speaker.say(text(this.deps.messages.t(language, 'verify.rate_limited')));
      return;
    }
    const records = await this.lookup(turn, speaker, () => this.deps.lookup.byMrn(tenantId, mrn));
    if (!records) return;
    // Two EHRs answering for one number is not a match we can ask "for whom?" about: the writer is on neither record.
    const only = records.length === 1 ? records[0] : undefined;
    if (!only) {
      const misses = (pending.mrnMisses ?? 0) + 1;
      await this.deps.audit.record(tenantId, { actor: `contact:${contact.id}`, role: 'patient', action: 'identity.verification.mrn_not_found', resource: `contact:${contact.id}` });
      if (misses >= this.deps.policy.maxFailures) {
        await this.deps.state.clearPending(tenantId, contact.id);
        return this.noRecord(turn, speaker);
      }
      await this.deps.state.setPending(tenantId, contact.id, { ...pending, mrnMisses: misses });
      await speaker.say(text(this.deps.messages.t(language, 'verify.mrn.not_found')));
      return;
    }
    const candidate = idsOf(only);
    await this.chosen(turn, speaker, { ...pending, candidates: [candidate] }, candidate);
  }

  private async noRecord(turn: VerificationTurn, speaker: Speaker): Promise<void> {
    const { tenantId, contact } = turn;
    await this.deps.audit.record(tenantId, { actor: `contact:${contact.id}`, role: 'patient', action: 'identity.verification.no_record', resource: `contact:${contact.id}` });
    await speaker.say(text(this.deps.messages.t(turn.language, 'verify.no_record')));
    await this.deps.conversations.setOwner(tenantId, turn.conversation.id, undefined);
  }

  private async pass(turn: VerificationTurn, speaker: Speaker, pending: PendingVerification, chosen: Candidate): Promise<void> {
    const { tenantId, contact, language } = turn;
    const passed = await this.deps.state.recordPassed(tenantId, contact.id, chosen.patientId, pending.purpose, new Date());
    await this.deps.state.clearPending(tenantId, contact.id);
    await this.deps.contacts.linkPatients(tenantId, contact.id, [chosen.patientId]);
    await this.deps.audit.record(tenantId, { actor: `contact:${contact.id}`, role: 'patient', action: `identity.verification.passed:${pending.purpose}`, resource: `patient:${chosen.patientId}` });
    await speaker.say(text(this.deps.messages.t(language, 'verify.passed')));
    await this.handBack(turn, pending, chosen, passed.verifiedAt, passed.expiresAt);
  }

  /** A wrong date of birth or code: counted; at the policy's limit the patient is locked and staff told. */
  private async fail(turn: VerificationTurn, speaker: Speaker, pending: PendingVerification, chosen: Candidate): Promise<void> {
    const { tenantId, contact, language } = turn;
    const resource = `patient:${chosen.patientId}`;
    const actor = `contact:${contact.id}`;
    const failures = await this.deps.state.recordFailure(tenantId, chosen.patientId);
    await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.failed', resource });
    if (failures < this.deps.policy.maxFailures) {
      await speaker.say(text(this.deps.messages.t(language, pending.stage === 'otp' ? 'verify.otp.wrong' : 'verify.dob.wrong')));
      return;
    }
    await this.deps.state.lock(tenantId, chosen.patientId);
    await this.deps.state.clearPending(tenantId, contact.id);
    await this.deps.audit.record(tenantId, { actor, role: 'patient', action: 'identity.verification.locked', resource });
    await speaker.say(text(this.deps.messages.t(language, 'verify.locked')));
    // The staff queue hears of it through the usual escalation (handover, high priority).
    await this.deps.bus.publish(
      Topics.skillOutcome,
      SkillOutcome.fromPartial({ turnId: turn.key, contactId: contact.id, conversationId: turn.conversation.id, skill: pending.skill, kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, priority: HandoverPriority.HANDOVER_PRIORITY_HIGH, department: 'general', reason: 'identity_verification_locked' }),
      { key: contact.id, tenantId, facilityId: turn.facilityId, id: nameBasedId(turn.key, 'verify-locked'), causationId: turn.causationId, correlationId: turn.conversation.id },
    );
  }

  private async chosen(turn: VerificationTurn, speaker: Speaker, pending: PendingVerification, candidate: Candidate): Promise<void> {
    const { tenantId, contact, language } = turn;
    const passed = await this.deps.state.passed(tenantId, contact.id, candidate.patientId, pending.purpose);
    if (passed) {
      await this.deps.state.clearPending(tenantId, contact.id);
      return this.handBack(turn, pending, candidate, passed.verifiedAt, passed.expiresAt);
    }
    if (await this.deps.state.isLocked(tenantId, candidate.patientId)) {
      await this.deps.audit.record(tenantId, { actor: `contact:${contact.id}`, role: 'patient', action: 'identity.verification.refused_locked', resource: `patient:${candidate.patientId}` });
      await this.deps.state.clearPending(tenantId, contact.id);
      await speaker.say(text(this.deps.messages.t(language, 'verify.locked')));
      return;
    }
    await this.deps.state.setPending(tenantId, contact.id, { ...pending, stage: 'dob', chosen: candidate });
    await speaker.say(text(this.deps.messages.t(language, 'verify.dob.ask')));
  }

  /** The answer to the skill: a turn that says who was verified, for what, until when. */
  private async handBack(turn: VerificationTurn, pending: PendingVerification, patient: Candidate, verifiedAt: string, expiresAt: string): Promise<void> {
    if (!isSkillName(pending.skill)) return;
    const now = new Date();
    await this.deps.bus.publish(
      SKILL_TOPICS[pending.skill],
      {
        turnId: turn.key,
        contactId: turn.contact.id,
        conversationId: turn.conversation.id,
        patientIds: [...new Set([...turn.contact.patientIds, patient.patientId])],
        language: turn.language,
        endpoint: turn.to.endpoint,
        recipient: { channel: turn.to.channel, channelUserId: turn.to.channelUserId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' },
        message: undefined,
        replyId: '',
        reason: DispatchReason.DISPATCH_REASON_VERIFIED,
        windowOpen: true,
        receivedAt: turn.message?.receivedAt ?? now,
        facilityId: turn.facilityId,
        verified: { patientId: patient.patientId, connectorId: patient.connectorId, ehrPatientId: patient.ehrPatientId, purpose: pending.purpose, verifiedAt: new Date(verifiedAt), expiresAt: new Date(expiresAt) },
      },
      { key: turn.contact.id, tenantId: turn.tenantId, facilityId: turn.facilityId, causationId: turn.causationId, correlationId: turn.conversation.id, id: nameBasedId(turn.key, 'verified', pending.skill) },
    );
  }

  private async currentRecords(turn: VerificationTurn, speaker: Speaker, pending: PendingVerification): Promise<PatientRecord[] | undefined> {
    const phone = turn.contact.verifiedPhones[0];
    const records = phone ? await this.lookup(turn, speaker, () => this.deps.lookup.byPhone(turn.tenantId, phone)) : [];
    if (!records) return undefined;
    const ids = new Set(pending.candidates.map((c) => c.patientId));
    return records.filter((r) => ids.has(r.patientId));
  }

  /** The EHR's answer; undefined (after telling the patient) when crm-sync is away. */
  private async lookup(turn: VerificationTurn, speaker: Speaker, ask: () => Promise<PatientRecord[]>): Promise<PatientRecord[] | undefined> {
    try {
      return await ask();
    } catch (error) {
      this.deps.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' }, tenantId: turn.tenantId }, 'patient lookup failed: verification postponed');
      await speaker.say(text(this.deps.messages.t(turn.language, 'verify.unavailable')));
      return undefined;
    }
  }

  private forWhom(language: Language, records: readonly PatientRecord[]): Content {
    const rows = records.slice(0, MAX_CANDIDATES).map((r, i) => ({
      id: `verify:who:${i}`,
      // The given name as the EHR has it: this phone is on each of these records.
      title: fit(r.givenName || this.deps.messages.t(language, 'verify.who.row.patient.title', { n: i + 1 }), WHATSAPP_LIMITS.listRowTitle),
      description: '',
    }));
    return {
      $case: 'interactiveList',
      value: { header: '', body: this.deps.messages.t(language, 'verify.who.body'), footer: '', button: this.deps.messages.t(language, 'verify.who.button'), sections: [{ title: this.deps.messages.t(language, 'verify.who.section'), rows }] },
    };
  }
}

/** The messages of one verification turn, numbered in order (their command ids derive from the turn). */
class Speaker {
  private sequence = 0;
  constructor(
    private readonly replier: Replier,
    private readonly turn: VerificationTurn,
  ) {}
  async say(content: Content, priority?: number, historyContent?: Content): Promise<void> {
    await this.sayTo(this.turn.to, content, priority, historyContent);
  }
  /** To another address of the same conversation (a one-time code to the phone on the record). */
  async sayTo(to: Recipient, content: Content, priority?: number, historyContent?: Content): Promise<void> {
    await this.replier.send(to, nameBasedId(this.turn.key, 'verify'), this.sequence++, content, 'care', 'bot', this.turn.causationId, priority, historyContent);
  }
}

/** What the conversation history shows in place of a one-time code. */
const MASKED_CODE = '••••••';

/** One-time codes go ahead of other messages when gateway has to queue. */
const OTP_PRIORITY = 10;

/**
 * An authentication template as Meta defines them: the code in the body and again in the
 * copy-code (url) button. The tenant's approved template names the language; no clinical detail.
 */
function authenticationTemplate(name: string, language: Language, code: string): Content {
  return {
    $case: 'template',
    value: {
      name,
      languageCode: language,
      components: [
        { type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: [{ value: { $case: 'text', value: code }, parameterName: '' }] },
        { type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BUTTON, subType: 'url', index: 0, parameters: [{ value: { $case: 'text', value: code }, parameterName: '' }] },
      ],
    },
  };
}

function idsOf(r: PatientRecord): Candidate {
  return { patientId: r.patientId, connectorId: r.connectorId, ehrPatientId: r.ehrPatientId };
}

function fit(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
