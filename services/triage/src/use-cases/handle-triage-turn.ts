import { Channel, DispatchReason, Topics, TriageAcuity, type InboundMessage, type SkillTurn } from '@careloop/contracts';
import { nameBasedId, type EventBus, type ReceivedEvent } from '@careloop/bus';
import { DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, isLanguage, type Language } from '@careloop/i18n';
import { buttonsMessage, listMessage, replyIdParts, textMessage, type MessageContent, type SkillResponder, type TurnOutcome } from '@careloop/skill-kit';
import type { Acuity, Department } from '../domain/acuity';
import { emergencyRuleMet, nextQuestion, outcomeOf, readAnswer, UNKNOWN } from '../domain/assessment';
import type { EmergencyContacts, EmergencyNumbers } from '../domain/emergency-numbers';
import type { AnswerValue, Protocol, Question } from '../domain/protocol';
import type { Catalog } from '../i18n/catalog';
import type { ProtocolLibrary } from '../protocols/protocol-library';
import type { Assessment, AssessmentStore } from '../adapters/assessment-store';
import type { TriageMetrics } from '../adapters/triage-metrics';
import { emergencyDepartment, type AssessMessage } from './assess-message';

/** What the turn needs of the assessment store (the MongoDB adapter, or a test's map). */
export type AssessmentRepository = Pick<AssessmentStore, 'get' | 'current' | 'save' | 'recentEscalation'>;

/** Key of the patient's own description in the answers (kept with them, encrypted). */
export const DESCRIPTION = '_description';

/** How long after an emergency triage keeps answering with the emergency advice only (a new assessment needs the menu). */
const ESCALATION_HOLD_MS = 12 * 3600 * 1000;

/** Emergency advice leaves before anything else the gateway may be queueing. */
const EMERGENCY_SEND_PRIORITY = 10;

const ACUITY_CODES: Record<Acuity, TriageAcuity> = {
  emergency: TriageAcuity.ACUITY_EMERGENCY,
  urgent: TriageAcuity.ACUITY_URGENT,
  soon: TriageAcuity.ACUITY_SOON,
  routine: TriageAcuity.ACUITY_ROUTINE,
  'self-care': TriageAcuity.ACUITY_SELF_CARE,
};

const OUTCOME_KEYS = { urgent: 'outcome.urgent', soon: 'outcome.soon', routine: 'outcome.routine', 'self-care': 'outcome.self_care' } as const;

/**
 * What happens when a patient's turn reaches triage: every free text is screened for red
 * flags first, in any state — an emergency sends the safety advice at once, escalates with
 * emergency priority (routing puts the conversation at the top of the queue) and ends the
 * questionnaire. Otherwise the patient describes the problem, a complaint protocol is chosen
 * (from the words, or from a list), its questions are asked one by one, and its rules give
 * an acuity, a department, and an offer to book with scheduling.
 */
export class HandleTriageTurn {
  constructor(
    private readonly deps: {
      readonly bus: EventBus;
      readonly responder: SkillResponder;
      readonly store: AssessmentRepository;
      readonly library: ProtocolLibrary;
      readonly assess: AssessMessage;
      readonly numbers: EmergencyNumbers;
      readonly catalog: Catalog;
      readonly metrics: TriageMetrics;
    },
  ) {}

  async execute(event: ReceivedEvent<SkillTurn>): Promise<void> {
    const turn = event.payload;
    const tenantId = event.tenantId;
    const language: Language = isLanguage(turn.language) ? turn.language : DEFAULT_LANGUAGE;
    const facilityId = turn.facilityId || event.facilityId;
    const text = textOf(turn.message);
    const parts = replyIdParts(turn.replyId);

    let assessment = await this.assessmentFor(tenantId, turn, parts);
    if (assessment?.lastTurnId === turn.turnId) {
      // Redelivered: answer again from the state this turn produced (same ids, sent once).
      return this.respond(event, assessment, language);
    }
    const fromMenu = turn.reason === DispatchReason.DISPATCH_REASON_MENU;
    if (!fromMenu) {
      // After an emergency the questionnaire is over: any later turn (a late button press, a
      // message that overtook the handover) gets the emergency advice again, nothing else.
      const stopped = assessment?.status === 'escalated' ? assessment : await this.deps.store.recentEscalation(tenantId, turn.conversationId, new Date(Date.now() - ESCALATION_HOLD_MS));
      if (stopped) return this.respond(event, { ...stopped, lastTurnId: turn.turnId }, language);
    }
    const startsNew = fromMenu || !assessment || assessment.status === 'abandoned' || (assessment.status === 'completed' && (text !== undefined || parts[1] === 'c'));
    if (startsNew) {
      if (assessment?.status === 'open') await this.deps.store.save(tenantId, { ...assessment, status: 'abandoned', lastTurnId: turn.turnId });
      assessment = this.newAssessment(tenantId, turn, facilityId, language);
    }
    if (!assessment) return;

    // Red flags first: every free-text turn, whatever the flow is waiting for.
    if (text !== undefined) {
      const started = process.hrtime.bigint();
      const screened = this.deps.assess.execute(text, language, facilityId);
      this.deps.metrics.screeningSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (screened.emergency) {
        const escalated = this.escalated(assessment, turn.turnId, screened.flags.map((f) => f.code), screened.department ?? 'emergency', screened.crisisLine);
        for (const f of screened.flags) this.deps.metrics.redFlags.inc({ category: f.category });
        return this.decide(event, escalated, language);
      }
    }
    if (assessment.status !== 'open') return this.respond(event, { ...assessment, lastTurnId: turn.turnId }, language); // a press on a decided assessment: its outcome again

    const next = this.advance(assessment, turn, parts, text, language);
    if (next.status === 'escalated' || next.status === 'completed') return this.decide(event, next, language);
    await this.deps.store.save(tenantId, next);
    await this.respond(event, next, language);
  }

  /** The assessment a turn belongs to: the one its reply id names, else the conversation's open one. */
  private async assessmentFor(tenantId: string, turn: SkillTurn, parts: readonly string[]): Promise<Assessment | undefined> {
    if (parts[0] === 'triage' && parts[1] === 'a' && parts[2]) {
      const named = await this.deps.store.get(tenantId, parts[2]);
      // A press on an abandoned assessment belongs to whatever is open now (it re-asks its question).
      if (named && named.conversationId === turn.conversationId && named.status !== 'abandoned') return named;
    }
    return this.deps.store.current(tenantId, turn.conversationId);
  }

  private newAssessment(tenantId: string, turn: SkillTurn, facilityId: string, language: Language): Assessment {
    return {
      id: nameBasedId(tenantId, 'triage', 'assessment', turn.turnId),
      contactId: turn.contactId,
      conversationId: turn.conversationId,
      facilityId,
      patientIds: turn.patientIds,
      language,
      status: 'open',
      protocolId: undefined,
      protocolVersion: undefined,
      redFlagVersion: this.deps.library.screen.version,
      pending: { kind: 'describe' },
      notice: undefined,
      answers: {},
      redFlags: [],
      crisisLine: false,
      acuity: undefined,
      department: undefined,
      lastTurnId: '',
      decidedTurnId: undefined,
      createdAt: new Date(),
      decidedAt: undefined,
    };
  }

  /** One step of the flow, no I/O: the state after this turn. */
  private advance(a: Assessment, turn: SkillTurn, parts: readonly string[], text: string | undefined, language: Language): Assessment {
    const base = { ...a, lastTurnId: turn.turnId, notice: undefined };
    const protocol = a.protocolId ? this.deps.library.get(a.protocolId) : undefined;

    if (!protocol) {
      const picked = parts[0] === 'triage' && parts[1] === 'c' ? this.deps.library.get(parts[2] ?? '') : undefined;
      if (picked) return this.ask(this.choose(base, picked), picked);
      if (text === undefined) {
        // The menu's entry, or a press we cannot place: ask (again) for the description or the list.
        return a.pending.kind === 'pick' && turn.reason !== DispatchReason.DISPATCH_REASON_MENU ? { ...base, notice: 'buttons' } : { ...base, pending: { kind: 'describe' } };
      }
      const answers = a.answers[DESCRIPTION] ? base.answers : { ...base.answers, [DESCRIPTION]: { kind: 'text', value: text } as const };
      const complaint = this.deps.library.complaintOf(text, language);
      if (complaint) return this.ask(this.choose({ ...base, answers }, complaint), complaint);
      return { ...base, answers, pending: { kind: 'pick' } };
    }

    const question = a.pending.kind === 'question' ? protocol.questions.find((q) => q.id === (a.pending as { questionId: string }).questionId) : undefined;
    if (!question) return this.ask(base, protocol);
    const pressed = parts[0] === 'triage' && parts[1] === 'a' && parts[2] === a.id && parts[3] === question.id ? parts[4] : undefined;
    const answer = readAnswer(question, { ...(pressed !== undefined ? { value: pressed } : {}), ...(text !== undefined ? { text } : {}) }, (optionId) => this.labelsOf(question, optionId));
    if (!answer) return { ...base, notice: question.type === 'number' ? 'number' : 'buttons' };
    const answers: Record<string, AnswerValue> = { ...base.answers, [question.id]: answer };
    return this.ask({ ...base, answers }, protocol);
  }

  private choose(a: Assessment, protocol: Protocol): Assessment {
    return { ...a, protocolId: protocol.id, protocolVersion: protocol.signOff.version };
  }

  /** The next question, or the outcome when an emergency rule is met or no question is left. */
  private ask(a: Assessment, protocol: Protocol): Assessment {
    const emergency = emergencyRuleMet(protocol, a.answers);
    if (emergency) return this.escalated(a, a.lastTurnId, [emergency.flag ?? 'PROTOCOL_EMERGENCY'], emergency.department, emergency.department === 'mental-health');
    const q = nextQuestion(protocol, a.answers);
    if (q) return { ...a, pending: { kind: 'question', questionId: q.id } };
    const outcome = outcomeOf(protocol, a.answers);
    if (outcome.acuity === 'emergency') return this.escalated(a, a.lastTurnId, [outcome.flag ?? 'PROTOCOL_EMERGENCY'], outcome.department, outcome.department === 'mental-health');
    return { ...a, status: 'completed', pending: { kind: 'none' }, acuity: outcome.acuity, department: outcome.department, decidedTurnId: a.lastTurnId, decidedAt: new Date() };
  }

  private escalated(a: Assessment, turnId: string, flags: readonly string[], department: Department, crisisLine: boolean): Assessment {
    return {
      ...a,
      status: 'escalated',
      pending: { kind: 'none' },
      notice: undefined,
      redFlags: [...new Set([...a.redFlags, ...flags])],
      crisisLine: a.crisisLine || crisisLine,
      acuity: 'emergency',
      department: emergencyDepartment([{ department }, ...(a.department === 'emergency' ? [{ department: a.department }] : [])]) ?? department,
      lastTurnId: turnId,
      decidedTurnId: turnId,
      decidedAt: new Date(),
    };
  }

  /** An outcome was reached: store it, tell the patient (the emergency advice first), publish the event. */
  private async decide(event: ReceivedEvent<SkillTurn>, a: Assessment, language: Language): Promise<void> {
    await this.deps.store.save(event.tenantId, a);
    await this.respond(event, a, language);
    this.deps.metrics.outcomes.inc({ acuity: a.acuity ?? 'unknown' });
  }

  /** Sends what the assessment's state says (a pure function of it, so a redelivered turn sends the same), then the outcome for routing. */
  private async respond(event: ReceivedEvent<SkillTurn>, a: Assessment, language: Language): Promise<void> {
    const turn = event.payload;
    const contacts = this.deps.numbers.for(a.facilityId);
    if (a.status === 'escalated') {
      const department = a.department ?? 'emergency';
      // Sent on its own, with priority, before routing hears of the escalation.
      await this.deps.responder.notify(this.addressee(event), this.emergencyMessage(language, contacts, a.crisisLine), {
        commandId: nameBasedId(event.tenantId, 'triage', turn.turnId, '0'),
        priority: EMERGENCY_SEND_PRIORITY,
        causationId: event.id,
      });
      await this.publishOutcome(event, a);
      await this.deps.responder.answer(event, [], { kind: 'escalate', priority: 'emergency', department, reason: 'triage_red_flag' });
      return;
    }
    if (a.status === 'completed') {
      await this.publishOutcome(event, a);
      await this.deps.responder.answer(event, [this.outcomeMessage(language, a, contacts)], { kind: 'done', reason: `triage_${a.acuity ?? 'completed'}` });
      return;
    }
    await this.deps.responder.answer(event, this.promptFor(a, language), { kind: 'continue' } satisfies TurnOutcome);
  }

  private async publishOutcome(event: ReceivedEvent<SkillTurn>, a: Assessment): Promise<void> {
    if (a.decidedTurnId !== event.payload.turnId) return; // a later press on a decided assessment: already published
    await this.deps.bus.publish(
      Topics.triageOutcome,
      {
        assessmentId: a.id,
        contactId: a.contactId,
        conversationId: a.conversationId,
        facilityId: a.facilityId,
        acuity: a.acuity ? ACUITY_CODES[a.acuity] : TriageAcuity.ACUITY_UNSPECIFIED,
        department: a.department ?? '',
        redFlags: [...a.redFlags],
        protocolId: a.protocolId ?? '',
        protocolVersion: a.protocolVersion ?? '',
        redFlagVersion: a.redFlagVersion,
        language: a.language,
        decidedAt: a.decidedAt ?? new Date(),
        patientIds: [...a.patientIds],
      },
      { key: a.contactId, tenantId: event.tenantId, facilityId: a.facilityId, id: nameBasedId(event.tenantId, 'triage', a.id, 'outcome'), causationId: event.id, correlationId: a.conversationId },
    );
  }

  private promptFor(a: Assessment, language: Language): MessageContent[] {
    const t = this.deps.catalog;
    const notice = a.notice ? [textMessage(t.t(language, 'question.use_buttons'))] : [];
    switch (a.pending.kind) {
      case 'describe':
      case 'none':
        return [textMessage(t.t(language, 'start.describe'))];
      case 'pick':
        return [
          ...notice,
          listMessage({
            body: t.t(language, 'start.pick'),
            button: t.t(language, 'start.button'),
            sections: [{ title: t.t(language, 'start.section'), rows: this.deps.library.protocols.map((p) => ({ id: `triage:c:${p.id}`, title: p.title[language] })) }],
          }),
        ];
      case 'question': {
        const protocol = a.protocolId ? this.deps.library.get(a.protocolId) : undefined;
        const questionId = a.pending.questionId;
        const question = protocol?.questions.find((q) => q.id === questionId);
        if (!question) return [textMessage(t.t(language, 'start.describe'))];
        const hint = a.notice && question.type === 'number' ? [textMessage(t.t(language, 'question.number_hint', { min: question.min, max: question.max }))] : notice;
        return [...hint, this.questionMessage(a, question, language)];
      }
    }
  }

  private questionMessage(a: Assessment, q: Question, language: Language): MessageContent {
    const t = this.deps.catalog;
    const id = (value: string) => `triage:a:${a.id}:${q.id}:${value}`;
    switch (q.type) {
      case 'yes-no':
        return buttonsMessage({ body: q.text[language], buttons: [{ id: id('yes'), title: t.t(language, 'question.reply.yes') }, { id: id('no'), title: t.t(language, 'question.reply.no') }] });
      case 'number':
        return buttonsMessage({ body: q.text[language], buttons: [{ id: id(UNKNOWN), title: t.t(language, 'question.reply.unknown') }] });
      case 'choice':
        return listMessage({ body: q.text[language], button: t.t(language, 'question.button'), sections: [{ title: t.t(language, 'question.section'), rows: q.options.map((o) => ({ id: id(o.id), title: o.label[language] })) }] });
      case 'open':
        return textMessage(q.text[language]);
    }
  }

  private labelsOf(q: Question, optionId: string): readonly string[] {
    if (q.type === 'choice') return Object.values(q.options.find((o) => o.id === optionId)?.label ?? {});
    if (q.type === 'yes-no') return SUPPORTED_LANGUAGES.map((l) => this.deps.catalog.t(l, optionId === 'yes' ? 'question.reply.yes' : 'question.reply.no'));
    return [];
  }

  private emergencyMessage(language: Language, contacts: EmergencyContacts, crisisLine: boolean): MessageContent {
    const t = this.deps.catalog;
    return textMessage(
      [
        t.t(language, 'emergency.call', { number: contacts.emergency }),
        ...(crisisLine ? [t.t(language, 'emergency.crisis', { crisis: contacts.crisis })] : []),
        t.t(language, 'disclaimer', { number: contacts.emergency }),
      ].join('\n\n'),
    );
  }

  private outcomeMessage(language: Language, a: Assessment, contacts: EmergencyContacts): MessageContent {
    const t = this.deps.catalog;
    const acuity = a.acuity && a.acuity !== 'emergency' ? a.acuity : 'routine';
    const department: Department = a.department ?? 'general-practice';
    const departmentName = t.t(language, `department.${department}`);
    return buttonsMessage({
      body: [t.t(language, OUTCOME_KEYS[acuity], { department: departmentName }), t.t(language, 'outcome.book_offer'), t.t(language, 'disclaimer', { number: contacts.emergency })].join('\n\n'),
      buttons: [
        // Scheduling's namespace: routing hands the press to the booking dialogue, department chosen.
        { id: `sched:book:dept:${department}`, title: t.t(language, 'outcome.reply.book') },
        // Routing's own menu entry for a human.
        { id: 'menu:agent', title: t.t(language, 'outcome.reply.person') },
      ],
    });
  }

  private addressee(event: ReceivedEvent<SkillTurn>) {
    const t = event.payload;
    return {
      tenantId: event.tenantId,
      facilityId: t.facilityId || event.facilityId,
      contactId: t.contactId,
      conversationId: t.conversationId,
      endpoint: t.endpoint ?? { channel: Channel.CHANNEL_UNSPECIFIED, endpointId: '', displayAddress: '', accountId: '' },
      recipient: { channel: t.recipient?.channel ?? Channel.CHANNEL_UNSPECIFIED, channelUserId: t.recipient?.channelUserId ?? '' },
    };
  }
}

function textOf(message: InboundMessage | undefined): string | undefined {
  const c = message?.content;
  if (c?.$case === 'text') return c.value.body.trim() === '' ? undefined : c.value.body;
  if (c?.$case === 'media' && c.value.caption) return c.value.caption;
  return undefined;
}
