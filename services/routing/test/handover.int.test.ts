import { DeliveryStatus, Topics, ConsentState, Channel } from '@careloop/contracts';
import { infraEnv, TopicTap, waitFor } from '@careloop/testing';
import { startRouting, whatsappSender, type RoutingUnderTest, type Sender } from './support/routing-harness';

const env = infraEnv();
const QUEUE = 'madrid-central/general';

describe('routing handover assignment, channel opt-out and merge suggestions', () => {
  let routing: RoutingUnderTest;

  beforeAll(async () => {
    routing = await startRouting({ ROUTING_ASSIGNMENT: JSON.stringify({ [QUEUE]: { strategy: 'round-robin', onlineOnly: true } }) });
  });
  afterAll(() => routing.stop());

  async function consented(name: string): Promise<Sender> {
    const patient = whatsappSender(name);
    await routing.answersTo(await routing.text(patient, 'Hola'), 1);
    await routing.answersTo(await routing.reply(patient, 'consent:accept'), 2);
    return patient;
  }

  it('assigns queued conversations round-robin to online agents of the queue, never to an offline one', async () => {
    const ana = routing.token({ id: 'ana', role: 'agent', queues: [QUEUE] });
    const bob = routing.token({ id: 'bob', role: 'agent', queues: [QUEUE] });
    const cem = routing.token({ id: 'cem', role: 'agent', queues: [QUEUE] });
    expect((await routing.api('/inbox/presence', ana, { method: 'POST', body: { online: true } })).status).toBe(200);
    expect((await routing.api('/inbox/presence', bob, { method: 'POST', body: { online: true } })).status).toBe(200);
    expect((await routing.api('/inbox/presence', cem, { method: 'POST', body: { online: false } })).status).toBe(200);

    const supervisor = routing.token({ id: 'sup', role: 'supervisor' });
    const assignedTo: string[] = [];
    for (const name of ['P1', 'P2', 'P3', 'P4']) {
      const patient = await consented(name);
      const [queued] = await routing.answersTo(await routing.text(patient, 'quiero hablar con una persona'), 1);
      const c = await waitFor('the assignment', async () => {
        const detail = await routing.api(`/inbox/conversations/${queued!.conversationId}`, supervisor);
        const conv = detail.json['conversation'] as { status: string; agentId: string | null };
        return conv.status === 'with_agent' ? conv : undefined;
      }, 20_000, 200);
      assignedTo.push(c.agentId ?? '');
    }
    expect(new Set(assignedTo)).toEqual(new Set(['ana', 'bob']));
    expect(assignedTo.filter((a) => a === 'ana')).toHaveLength(2);
    const mine = await routing.api('/inbox/conversations?status=with_agent', ana);
    expect((mine.json['conversations'] as { agentId: string }[]).filter((c) => c.agentId === 'ana')).toHaveLength(2);
  });

  it("treats Meta's marketing opt-out signal (131050) as an opt-out: consent event, no more messages", async () => {
    const consents = await TopicTap.start(env.KAFKA_BROKERS, Topics.consentChanged, [routing.tenantId]);
    try {
      const patient = await consented('Signal');
      await routing.bus.publish(
        Topics.messageStatus,
        {
          messageId: 'wamid.MARKETING-1',
          from: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '', accountId: '' },
          recipientId: patient.channelUserId,
          status: DeliveryStatus.DELIVERY_STATUS_FAILED,
          occurredAt: new Date(),
          errors: [{ code: 131050, title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', message: '', details: '', href: '' }],
          pricing: undefined,
          conversationId: '',
          conversationOrigin: '',
          commandId: '',
          permanentFailure: true,
        },
        { key: `whatsapp:${patient.channelUserId}`, tenantId: routing.tenantId },
      );
      const event = await waitFor('the opt-out event', () => consents.received().find((c) => c.payload.source === 'channel-signal'), 20_000);
      expect((event.payload).state).toBe(ConsentState.CONSENT_STATE_OPTED_OUT);
      expect(await routing.answersTo(await routing.text(patient, 'Hola'), 0)).toEqual([]);
    } finally {
      await consents.stop();
    }
  });

  it('suggests, but does not make, a merge for contacts with the same profile name', async () => {
    const a = whatsappSender('María José Núñez');
    const b = whatsappSender('maria jose nuñez');
    const [qa] = await routing.answersTo(await routing.text(a, 'Hola'), 1);
    const [qb] = await routing.answersTo(await routing.text(b, 'Hola'), 1);
    expect(qa?.contactId).not.toBe(qb?.contactId);
    const supervisor = routing.token({ id: 'sup', role: 'supervisor' });
    const res = await routing.api(`/inbox/contacts/${qa!.contactId}/merge-suggestions`, supervisor);
    expect(res.status).toBe(200);
    expect((res.json['suggestions'] as { contactId: string }[]).map((s) => s.contactId)).toEqual([qb!.contactId]);
    // Still two contacts: a suggestion is for a person to confirm.
    const [again] = await routing.answersTo(await routing.text(b, 'Hola'), 1);
    expect(again?.contactId).toBe(qb?.contactId);
  });
});
