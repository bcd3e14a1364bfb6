import fc from 'fast-check';
import { DispatchReason, HandoverPriority, SkillOutcomeKind, Topics, type SkillTurn } from '@careloop/contracts';
import { infraEnv, TopicTap, waitFor } from '@careloop/testing';
import { Catalog, type Language } from '../src/i18n/catalog';
import { bodyOf, startRouting, whatsappSender, type RoutingUnderTest, type Sender } from './support/routing-harness';

const env = infraEnv();
const catalog = Catalog.load();

describe('routing against real Kafka, FerretDB and Redis', () => {
  let routing: RoutingUnderTest;
  let schedulingTurns: TopicTap<SkillTurn>;

  beforeAll(async () => {
    routing = await startRouting({ ROUTING_AVAILABLE_SKILLS: 'scheduling,triage' });
    schedulingTurns = await TopicTap.start(env.KAFKA_BROKERS, Topics.schedulingTurn, [routing.tenantId]);
  });

  afterAll(async () => {
    await schedulingTurns.stop();
    await routing.stop();
  });

  /** A contact that has given consent (the first-contact flow, shortened). */
  async function consentedPatient(name = 'Ana', greeting = 'Hola'): Promise<Sender> {
    const patient = whatsappSender(name);
    await routing.answersTo(await routing.text(patient, greeting), 1);
    await routing.answersTo(await routing.reply(patient, 'consent:accept'), 2);
    return patient;
  }

  const greetings: [Language, string][] = [
    ['es', 'Hola'],
    ['en', 'Hello'],
    ['de', 'Hallo, guten Tag'],
    ['fr', 'Bonjour'],
    ['tr', 'Merhaba'],
    ['ru', 'Здравствуйте'],
  ];

  it.each(greetings)('a new patient greeting in %s is asked for consent, then gets the menu, in that language', async (language, greeting) => {
    // A US number: the language must come from the text, not the phone.
    const patient: Sender = { channel: 'whatsapp', channelUserId: `1202${Math.floor(1_000_000 + Math.random() * 8_999_999)}`, phoneE164: '', profileName: 'Sam' };
    const [question] = await routing.answersTo(await routing.text(patient, greeting), 1);
    expect(question?.content?.$case).toBe('replyButtons');
    expect(bodyOf(question!)).toBe(catalog.t(language, 'consent.ask', { hospital: 'Hospital Demo' }));
    const buttons = question?.content?.$case === 'replyButtons' ? question.content.value.buttons : [];
    expect(buttons.map((b) => b.id)).toEqual(['consent:accept', 'consent:decline']);
    expect(buttons[0]?.title).toBe(catalog.t(language, 'consent.accept'));

    const [accepted, menu] = await routing.answersTo(await routing.reply(patient, 'consent:accept', buttons[0]?.title), 2);
    expect(bodyOf(accepted!)).toBe(catalog.t(language, 'consent.accepted'));
    expect(menu?.content?.$case).toBe('interactiveList');
    expect(bodyOf(menu!)).toBe(catalog.t(language, 'menu.body', { hospital: 'Hospital Demo' }));
    const rows = menu?.content?.$case === 'interactiveList' ? menu.content.value.sections.flatMap((s) => s.rows) : [];
    expect(rows.length).toBeLessThanOrEqual(10);
    expect(rows.map((r) => r.title)).toContain(catalog.t(language, 'menu.row.book.title'));
  });

  const stopWords: [Language, string, string, string][] = [
    ['en', 'STOP', 'START', 'I want to talk to a person'],
    ['es', 'baja', 'ALTA', 'quiero hablar con una persona'],
    ['de', 'Stopp', 'START', 'ich möchte mit einem Menschen sprechen'],
    ['fr', 'ARRÊT', 'START', 'je veux parler à quelqu’un'],
    ['tr', 'DUR', 'BAŞLA', 'bir insanla konuşmak istiyorum'],
    ['ru', 'СТОП', 'СТАРТ', 'хочу поговорить с человеком'],
  ];

  it.each(stopWords)('STOP in %s ends all messaging but one confirmation, until the patient opts in again', async (language, stop, start, human) => {
    const patient = await consentedPatient('Olga', greetings.find(([l]) => l === language)?.[1] ?? 'Hello');
    const [confirmation, ...more] = await routing.answersTo(await routing.text(patient, stop), 1);
    expect(more).toEqual([]);
    expect(bodyOf(confirmation!)).toBe(catalog.t(language, 'optout.confirmed'));
    // Nothing at all afterwards: a greeting, a menu choice, a second STOP, a request for a person.
    const ignored = [await routing.text(patient, 'hola'), await routing.reply(patient, 'menu:faq'), await routing.text(patient, stop), await routing.text(patient, human)];
    const [optedIn, menu] = await routing.answersTo(await routing.text(patient, start), 2);
    expect(bodyOf(optedIn!)).toBe(catalog.t(language, 'optin.confirmed'));
    expect(menu?.content?.$case).toBe('interactiveList');
    // One contact's events are handled in order: the ignored ones were handled before START.
    for (const id of ignored) expect(routing.outbound.received().filter((e) => e.meta.causationId === id)).toEqual([]);
  });

  it('never sends anything to an opted-out contact but the one confirmation, over random sequences', async () => {
    type Step = 'greet' | 'stop' | 'start' | 'menu' | 'accept' | 'human';
    const inputs: Record<Step, (p: Sender) => Promise<string>> = {
      greet: (p) => routing.text(p, 'hola'),
      stop: (p) => routing.text(p, 'STOP'),
      start: (p) => routing.text(p, 'START'),
      menu: (p) => routing.reply(p, 'menu:faq'),
      accept: (p) => routing.reply(p, 'consent:accept'),
      human: (p) => routing.text(p, 'quiero hablar con una persona'),
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Step>('greet', 'stop', 'start', 'menu', 'accept', 'human'), { minLength: 3, maxLength: 7 }), async (steps) => {
        const patient = whatsappSender('Prop');
        let optedOut = false;
        const silent: string[] = [];
        for (const step of steps) {
          const id = await inputs[step](patient);
          if (step === 'stop') {
            // Exactly one confirmation the first time, nothing on a repeated STOP.
            if (optedOut) silent.push(id);
            else expect(await routing.answersTo(id, 1)).toHaveLength(1);
            optedOut = true;
          } else if (step === 'start') {
            if (optedOut) expect((await routing.answersTo(id, 2)).length).toBeGreaterThanOrEqual(2);
            optedOut = false;
          } else if (optedOut) {
            silent.push(id);
          }
        }
        // Events of one contact are handled in order; give the last ones time, then check them all.
        if (silent.length > 0) await routing.answersTo(silent[silent.length - 1] ?? '', 0);
        for (const id of silent) expect(routing.outbound.received().filter((e) => e.meta.causationId === id)).toEqual([]);
      }),
      { numRuns: 4 },
    );
  });

  it('dispatches a list reply with a sched: id to scheduling even when triage owns the conversation', async () => {
    const triageTurns = await TopicTap.start(env.KAFKA_BROKERS, Topics.triageTurn, [routing.tenantId]);
    try {
      const patient = await consentedPatient('Irene');
      const chose = await routing.reply(patient, 'menu:symptoms');
      expect(await routing.answersTo(chose, 0)).toEqual([]); // handed to triage: routing itself says nothing
      const byMenu = await waitFor('the triage turn', () => triageTurns.received().find((t) => t.payload.turnId === chose), 20_000);
      expect(byMenu.payload.reason).toBe(DispatchReason.DISPATCH_REASON_MENU);
      // Triage owns the conversation now: free text goes to it.
      const free = await routing.text(patient, 'me duele la cabeza');
      const owned = await waitFor('the owned turn', () => triageTurns.received().find((t) => t.payload.turnId === free), 20_000);
      expect(owned.payload.reason).toBe(DispatchReason.DISPATCH_REASON_OWNER);

      const sent = await routing.reply(patient, 'sched:slot:6650f1c2a9e4b1d2c3e4f501', 'Tue 09:30');
      const turn = await waitFor('the scheduling turn', () => schedulingTurns.received().find((t) => t.payload.turnId === sent), 20_000);
      expect(turn.payload).toMatchObject({ replyId: 'sched:slot:6650f1c2a9e4b1d2c3e4f501', reason: DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE, language: 'es' });
      expect(turn.key).toBe(turn.payload.contactId);
      expect(triageTurns.received().find((t) => t.payload.turnId === sent)).toBeUndefined();
    } finally {
      await triageTurns.stop();
    }
  });

  it('hands "talk to a person" to the queue; an agent lists, reads and replies; another tenant gets 404; reads are audited', async () => {
    const patient = await consentedPatient('Lucía');
    const [queuedText] = await routing.answersTo(await routing.text(patient, 'Quiero hablar con una persona, por favor'), 1);
    expect(bodyOf(queuedText!)).toBe(catalog.t('es', 'handover.queued'));

    const queue = 'madrid-central/general';
    const agent = routing.token({ id: 'agent-ana', role: 'agent', queues: [queue] });
    const list = await routing.api('/inbox/conversations', agent);
    expect(list.status).toBe(200);
    const conversations = list.json['conversations'] as { id: string; status: string; queue: string; contactId: string }[];
    const mine = conversations.find((c) => c.status === 'queued' && c.queue === queue && c.contactId === queuedText?.contactId);
    expect(mine).toBeDefined();

    const read = await routing.api(`/inbox/conversations/${mine!.id}`, agent);
    expect(read.status).toBe(200);
    expect((read.json['contact'] as { name: string }).name).toBe('Lucía');
    expect((read.json['history'] as { direction: string }[]).some((h) => h.direction === 'in')).toBe(true);

    const reply = await routing.api(`/inbox/conversations/${mine!.id}/replies`, agent, { method: 'POST', body: { text: 'Hola Lucía, soy Ana. ¿En qué puedo ayudarle?' } });
    expect(reply.status).toBe(202);
    const commandId = String(reply.json['commandId']);
    const sent = await waitFor('the agent reply command', () => routing.outbound.received().find((e) => e.payload.commandId === commandId), 20_000);
    expect(sent.payload).toMatchObject({ requestedBy: 'agent', conversationId: mine!.id, to: { channelUserId: patient.channelUserId } });
    expect(bodyOf(sent.payload)).toBe('Hola Lucía, soy Ana. ¿En qué puedo ayudarle?');

    const outsider = routing.token({ id: 'agent-eve', role: 'supervisor', tenantId: routing.otherTenantId });
    expect((await routing.api(`/inbox/conversations/${mine!.id}`, outsider)).status).toBe(404);
    expect((await routing.api(`/inbox/conversations/${mine!.id}/replies`, outsider, { method: 'POST', body: { text: 'x' } })).status).toBe(404);
    const otherQueueAgent = routing.token({ id: 'agent-bob', role: 'agent', queues: ['berlin-mitte/general'] });
    expect((await routing.api(`/inbox/conversations/${mine!.id}`, otherQueueAgent)).status).toBe(404);

    const supervisor = routing.token({ id: 'sup-1', role: 'supervisor' });
    expect((await routing.api(`/inbox/conversations/${mine!.id}`, supervisor)).status).toBe(200);
    const audit = await routing.api(`/inbox/audit?resource=conversation:${mine!.id}`, supervisor);
    const entries = audit.json['entries'] as { actor: string; action: string }[];
    expect(entries.map((e) => [e.actor, e.action])).toEqual([
      ['agent-ana', 'read_conversation'],
      ['sup-1', 'read_conversation'],
    ]);
    expect((await routing.api('/inbox/conversations', 'not-a-token')).status).toBe(401);
  });

  it('merges a WhatsApp and a Messenger contact with the same verified phone; a username-only user stays one contact', async () => {
    const whatsapp = whatsappSender('Jürgen');
    const [waQuestion] = await routing.answersTo(await routing.text(whatsapp, 'Hallo'), 1);
    const messenger: Sender = { channel: 'messenger', channelUserId: `psid-${Date.now()}`, profileName: '' };
    const [msQuestion] = await routing.answersTo(await routing.text(messenger, 'Hallo'), 1);
    expect(msQuestion?.contactId).not.toBe(waQuestion?.contactId);

    // The Messenger user's phone is verified (by an agent here; an EHR match works the same way).
    const supervisor = routing.token({ id: 'sup-2', role: 'supervisor' });
    const verified = await routing.api(`/inbox/contacts/${msQuestion!.contactId}/phones`, supervisor, { method: 'POST', body: { phoneE164: whatsapp.phoneE164 } });
    expect(verified.status).toBe(201);
    expect(verified.json).toEqual({ contactId: waQuestion?.contactId, merged: true });
    const [after] = await routing.answersTo(await routing.text(messenger, 'Hallo'), 1);
    expect(after?.contactId).toBe(waQuestion?.contactId);

    const lea: Sender = { channel: 'whatsapp', channelUserId: `ES.${Date.now()}`, bsuid: `ES.${Date.now()}`, profileName: 'Lea' };
    const [first] = await routing.answersTo(await routing.text(lea, 'Bonjour'), 1);
    const [second] = await routing.answersTo(await routing.text(lea, 'Bonjour'), 1);
    expect(second?.contactId).toBe(first?.contactId);
    expect(first?.to?.channelUserId).toBe(lea.channelUserId);
  });

  it('turns the same inbound event delivered twice into one turn', async () => {
    const patient = whatsappSender('Twice');
    const eventId = crypto.randomUUID();
    await routing.send(patient, { $case: 'text', value: { body: 'Hola' } }, { eventId, messageId: 'wamid.TWICE-1' });
    await routing.send(patient, { $case: 'text', value: { body: 'Hola' } }, { eventId, messageId: 'wamid.TWICE-1' });
    const first = await routing.answersTo(eventId, 1);
    expect(first).toHaveLength(1);
    // The same message under another event id (another producer, a replay) runs again, but its
    // answers carry the same command ids, which gateway sends only once.
    const again = await routing.send(patient, { $case: 'text', value: { body: 'Hola' } }, { messageId: 'wamid.TWICE-1' });
    const repeated = await routing.answersTo(again, 1);
    expect(repeated.map((c) => c.commandId)).toEqual(first.map((c) => c.commandId));
  });

  it('answers a skill’s hand-back with the menu (the skill may hand back without a word), and a done with nothing', async () => {
    const patient = await consentedPatient('Vuelta');
    const [menu] = await routing.answersTo(await routing.text(patient, 'Hola'), 1);
    const outcome = (skill: string, kind: SkillOutcomeKind) =>
      routing.bus.publish(
        Topics.skillOutcome,
        { turnId: crypto.randomUUID(), contactId: menu!.contactId, conversationId: menu!.conversationId, skill, kind, priority: HandoverPriority.HANDOVER_PRIORITY_UNSPECIFIED, department: '', reason: 'nothing-pending', verifyPurpose: '' },
        { key: menu!.contactId, tenantId: routing.tenantId },
      );
    const done = await outcome('reminders', SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE);
    expect(await routing.answersTo(done.id, 0)).toEqual([]);

    const handBack = await outcome('reminders', SkillOutcomeKind.SKILL_OUTCOME_KIND_HAND_BACK);
    const [back] = await routing.answersTo(handBack.id, 1);
    expect(back).toMatchObject({ contactId: menu!.contactId, conversationId: menu!.conversationId, to: { channelUserId: patient.channelUserId }, requestedBy: 'routing' });
    expect(bodyOf(back!)).toBe(catalog.t('es', 'menu.body', { hospital: 'Hospital Demo' }));
    expect(back!.content?.$case === 'interactiveList' && back!.content.value.sections[0]?.rows.map((r) => r.id)).toContain('menu:book');
    expect(back!.commandId).not.toBe(menu!.commandId);
  });

  it('jumps the queue for an emergency escalated by a skill', async () => {
    const calm = await consentedPatient('Calm');
    await routing.answersTo(await routing.text(calm, 'quiero hablar con una persona'), 1);
    const urgent = await consentedPatient('Urgent');
    const [menu] = await routing.answersTo(await routing.reply(urgent, 'menu:faq'), 1);
    await routing.bus.publish(
      Topics.skillOutcome,
      { turnId: 'triage-turn', contactId: menu!.contactId, conversationId: menu!.conversationId, skill: 'triage', kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, priority: HandoverPriority.HANDOVER_PRIORITY_EMERGENCY, department: 'general', reason: 'red_flag', verifyPurpose: '' },
      { key: menu!.contactId, tenantId: routing.tenantId },
    );
    const supervisor = routing.token({ id: 'sup-3', role: 'supervisor' });
    const first = await waitFor('the emergency at the head of the queue', async () => {
      const list = await routing.api('/inbox/conversations?status=queued', supervisor);
      const c = (list.json['conversations'] as { id: string; priority: number }[])[0];
      return c?.id === menu!.conversationId ? c : undefined;
    }, 20_000, 250);
    expect(first.priority).toBe(3);
  });
});
