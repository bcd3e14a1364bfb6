import { DispatchReason, InteractiveReplyKind, SkillTurn, Topics, type EventDefinition } from '@careloop/contracts';
import type { EventBus, EventMeta, PublishOptions, ReceivedEvent } from '@careloop/bus';
import { createMetricsRegistry } from '@careloop/observability';
import { SkillResponder } from '@careloop/skill-kit';
import type { Assessment } from '../src/adapters/assessment-store';
import { TriageMetrics } from '../src/adapters/triage-metrics';
import { EmergencyNumbers } from '../src/domain/emergency-numbers';
import { Catalog } from '../src/i18n/catalog';
import { AssessMessage } from '../src/use-cases/assess-message';
import { HandleTriageTurn, type AssessmentRepository } from '../src/use-cases/handle-triage-turn';
import { library } from './support/library';

// No infrastructure here: what is checked is the use case's own logic (idempotency, order of
// what it says). The same flows run against real Kafka and FerretDB in dialogue.int.test.ts.

interface Published {
  readonly topic: string;
  readonly id: string | undefined;
  readonly payload: unknown;
}

class RecordingBus {
  readonly published: Published[] = [];
  publish<T>(definition: EventDefinition<T>, payload: T, options: PublishOptions): Promise<EventMeta> {
    this.published.push({ topic: definition.topic, id: options.id, payload: structuredClone(payload) });
    return Promise.resolve({ id: options.id ?? 'generated', type: definition.type, tenantId: options.tenantId, facilityId: options.facilityId ?? '', occurredAt: new Date(), causationId: '', correlationId: '', producer: 'test' } as EventMeta);
  }
}

class MapStore implements AssessmentRepository {
  readonly saved = new Map<string, Assessment>();
  get(_tenant: string, id: string) {
    return Promise.resolve(this.saved.get(id));
  }
  current(_tenant: string, conversationId: string) {
    return Promise.resolve([...this.saved.values()].find((a) => a.conversationId === conversationId && a.status === 'open'));
  }
  recentEscalation(_tenant: string, conversationId: string, since: Date) {
    return Promise.resolve([...this.saved.values()].find((a) => a.conversationId === conversationId && a.status === 'escalated' && (a.decidedAt ?? a.createdAt) >= since));
  }
  save(_tenant: string, a: Assessment) {
    this.saved.set(a.id, structuredClone(a));
    return Promise.resolve();
  }
}

function setup() {
  const bus = new RecordingBus();
  const store = new MapStore();
  const numbers = new EmergencyNumbers({ ES: { emergency: '112', crisis: '024' } }, {}, 'ES');
  const handler = new HandleTriageTurn({
    bus: bus as unknown as EventBus,
    responder: new SkillResponder(bus as unknown as EventBus, 'triage'),
    store,
    library,
    assess: new AssessMessage(library, numbers),
    numbers,
    catalog: Catalog.load(),
    metrics: new TriageMetrics(createMetricsRegistry('triage-test')),
  });
  let n = 0;
  const turn = (body: string | undefined, reason: DispatchReason, replyId = ''): ReceivedEvent<SkillTurn> => {
    n += 1;
    const payload = SkillTurn.fromPartial({
      turnId: `turn-${n}`,
      contactId: 'contact-1',
      conversationId: 'conversation-1',
      language: 'en',
      message: { messageId: `m${n}`, content: body === undefined ? { $case: 'interactiveReply', value: { id: replyId, title: '', description: '', kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST } } : { $case: 'text', value: { body } } },
      replyId,
      reason,
      facilityId: 'madrid-central',
    });
    return { id: `event-${n}`, type: 'careloop.conversation.v1.SkillTurn', tenantId: 'tenant-1', facilityId: 'madrid-central', occurredAt: new Date(), causationId: '', correlationId: '', producer: 'routing', payload, topic: Topics.triageTurn.topic, partition: 0, offset: String(n), key: 'contact-1' };
  };
  return { bus, store, handler, turn };
}

describe('a triage turn', () => {
  it('answers a redelivered turn with the same ids and the same words, and does not advance twice', async () => {
    const { bus, store, handler, turn } = setup();
    await handler.execute(turn(undefined, DispatchReason.DISPATCH_REASON_MENU, 'menu:symptoms'));
    bus.published.splice(0);
    const described = turn('fever and a cough', DispatchReason.DISPATCH_REASON_OWNER);
    await handler.execute(described);
    const first = bus.published.splice(0);
    // The first question (temperature) and the CONTINUE outcome.
    expect(first.map((p) => p.topic)).toEqual([Topics.outboundCommand.topic, Topics.skillOutcome.topic]);
    const stateAfterFirst = structuredClone([...store.saved.values()]);

    await handler.execute(described); // the same event again (a crash before its offset was committed)
    expect(bus.published).toEqual(first);
    expect([...store.saved.values()]).toEqual(stateAfterFirst);
  });

  it('sends the emergency advice before it reports the outcome and escalates', async () => {
    const { bus, handler, turn } = setup();
    await handler.execute(turn(undefined, DispatchReason.DISPATCH_REASON_MENU, 'menu:symptoms'));
    bus.published.splice(0);
    await handler.execute(turn('my chest hurts and I am sweating', DispatchReason.DISPATCH_REASON_OWNER));
    expect(bus.published.map((p) => p.topic)).toEqual([Topics.outboundCommand.topic, Topics.triageOutcome.topic, Topics.skillOutcome.topic]);
    expect(bus.published[0]?.payload).toMatchObject({ priority: 10, requestedBy: 'triage' });
  });

  it('keeps to the emergency advice after an emergency, even when a new description comes in', async () => {
    const { bus, handler, turn } = setup();
    await handler.execute(turn(undefined, DispatchReason.DISPATCH_REASON_MENU, 'menu:symptoms'));
    await handler.execute(turn('he is unconscious', DispatchReason.DISPATCH_REASON_OWNER));
    bus.published.splice(0);
    await handler.execute(turn('fever and cough', DispatchReason.DISPATCH_REASON_OWNER));
    // Advice again and an escalation; no question, and no second outcome event.
    expect(bus.published.map((p) => p.topic)).toEqual([Topics.outboundCommand.topic, Topics.skillOutcome.topic]);
    // The menu starts a new assessment.
    bus.published.splice(0);
    await handler.execute(turn(undefined, DispatchReason.DISPATCH_REASON_MENU, 'menu:symptoms'));
    expect(bus.published.map((p) => p.topic)).toEqual([Topics.outboundCommand.topic, Topics.skillOutcome.topic]);
    expect(bus.published[1]?.payload).toMatchObject({ kind: 1 }); // CONTINUE
  });
});
