import { Channel, HandoverPriority, SkillOutcomeKind, SkillTurn, Topics, type EventDefinition } from '@careloop/contracts';
import type { EventBus, EventMeta, PublishOptions, ReceivedEvent } from '@careloop/bus';
import { SkillResponder, buttonsMessage, textMessage } from '@careloop/skill-kit';

/** Records what would be published; the bus itself is tested against real Kafka in libs/bus. */
function recordingBus() {
  const published: { topic: string; payload: unknown; options: PublishOptions }[] = [];
  const bus = {
    publish<T>(definition: EventDefinition<T>, payload: T, options: PublishOptions): Promise<EventMeta> {
      published.push({ topic: definition.topic, payload, options });
      return Promise.resolve({} as EventMeta);
    },
  } as unknown as EventBus;
  return { bus, published };
}

function turn(turnId: string): ReceivedEvent<SkillTurn> {
  const payload = SkillTurn.fromPartial({
    turnId,
    contactId: 'contact-1',
    conversationId: 'conv-1',
    facilityId: 'madrid-central',
    endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '106540352242922' },
    recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600111222' },
  });
  return { id: `evt-${turnId}`, type: 'x', tenantId: 'demo', facilityId: 'madrid-central', occurredAt: new Date(), causationId: '', correlationId: '', producer: 'routing', payload, topic: Topics.triageTurn.topic, partition: 0, offset: '0', key: 'contact-1' };
}

describe('SkillResponder', () => {
  it('answers a turn with its messages in order, keyed by the recipient, then the outcome', async () => {
    const { bus, published } = recordingBus();
    await new SkillResponder(bus, 'triage').answer(turn('t1'), [textMessage('one'), buttonsMessage({ body: 'two', buttons: [{ id: 'triage:yes', title: 'Yes' }] })], { kind: 'continue' });
    expect(published.map((p) => p.topic)).toEqual([Topics.outboundCommand.topic, Topics.outboundCommand.topic, Topics.skillOutcome.topic]);
    expect(published[0]?.options.key).toBe('whatsapp:34600111222');
    expect(published[0]?.payload).toMatchObject({ requestedBy: 'triage', contactId: 'contact-1', to: { channelUserId: '34600111222' }, content: { $case: 'text', value: { body: 'one' } } });
    expect(published[2]?.payload).toMatchObject({ turnId: 't1', skill: 'triage', kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE });
  });

  it('gives a redelivered turn the same command and outcome ids, and another turn other ids', async () => {
    const first = recordingBus();
    const again = recordingBus();
    const other = recordingBus();
    const answer = (bus: EventBus, id: string) => new SkillResponder(bus, 'triage').answer(turn(id), [textMessage('x')], { kind: 'done' });
    await answer(first.bus, 't1');
    await answer(again.bus, 't1');
    await answer(other.bus, 't2');
    const ids = (r: ReturnType<typeof recordingBus>) => r.published.map((p) => p.options.id);
    expect(ids(again)).toEqual(ids(first));
    expect(ids(other).some((id) => ids(first).includes(id))).toBe(false);
  });

  it('escalates with the priority and department routing queues it by', async () => {
    const { bus, published } = recordingBus();
    await new SkillResponder(bus, 'triage').answer(turn('t3'), [], { kind: 'escalate', priority: 'emergency', department: 'emergency', reason: 'red-flag' });
    expect(published).toHaveLength(1);
    expect(published[0]?.payload).toMatchObject({ kind: SkillOutcomeKind.SKILL_OUTCOME_KIND_ESCALATE, priority: HandoverPriority.HANDOVER_PRIORITY_EMERGENCY, department: 'emergency', reason: 'red-flag' });
  });
});
