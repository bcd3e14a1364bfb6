import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Channel, DeadLetter, deadLetterTopic, OutboundMessageCommand, TemplateComponentType, Topics, type OutboundResult } from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { startSimulator, type CloudApiSimulator } from '@careloop/cloud-api-simulator';
import { infraEnv, TopicTap, uniqueName, waitFor } from '@careloop/testing';
import { MessageLog } from '../src/adapters/message-log';
import { toCloudApiMessage } from '../src/channels/whatsapp/payload';
import { ACCESS_TOKEN, APP_SECRET, startGateway, VERIFY_TOKEN, type GatewayUnderTest } from './support/gateway-harness';

const env = infraEnv();
const recipientOf = (body: unknown) => (body as { to?: string } | undefined)?.to;
const NUMBER = '106540352242922';
const REMINDER_TEMPLATE = { name: 'appointment_reminder', language: 'es', category: 'utility' as const, body: 'Recordatorio: su cita es el {{1}}.', buttons: [{ type: 'quick_reply' as const, text: 'Confirmar' }] };

describe('gateway outbound against the Cloud API simulator, real Kafka, FerretDB and Redis', () => {
  let sim: CloudApiSimulator;
  let gateway: GatewayUnderTest;
  let bus: KafkaEventBus;
  let results: TopicTap<OutboundResult>;

  beforeAll(async () => {
    sim = await startSimulator({
      appSecret: APP_SECRET,
      accessToken: ACCESS_TOKEN,
      verifyToken: VERIFY_TOKEN,
      phoneNumbers: [{ id: NUMBER, displayPhoneNumber: '+34 910 000 001' }],
      throughputPerSecond: 40,
      // Meta's pair rule with 1 s for its 6 s: bursts paid back quickly enough for a test.
      pairRateLimit: { intervalMs: 1_000, burst: 45, burstWindowMs: 1_000 },
      templates: [REMINDER_TEMPLATE],
    });
    gateway = await startGateway({
      WHATSAPP_GRAPH_BASE_URL: sim.url,
      WHATSAPP_THROUGHPUT_PER_SECOND: '40',
      // The simulator runs on this test's event loop, beside the Kafka clients: it stamps a send
      // when that loop gets to it, up to tens of ms late, and bunched stamps read as a burst. The
      // default 3% headroom leaves 15 ms of such jitter at 40/s (1 in 4 runs drew one 130429 even
      // before the slot came after the claim); 10% leaves ~90 ms. The benchmark measures the
      // default headroom against a simulator in a process of its own.
      WHATSAPP_THROUGHPUT_HEADROOM: '0.9',
      WHATSAPP_PAIR_PER_MINUTE: '60',
      WHATSAPP_PAIR_BURST: '3',
      WHATSAPP_PAIR_BURST_WINDOW_MS: '700',
      SEND_MAX_ATTEMPTS: '4',
    });
    sim.setWebhookUrl(`${gateway.baseUrl}/webhooks/whatsapp`);
    bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'test-skill' });
    await bus.connect();
    results = await TopicTap.start(env.KAFKA_BROKERS, Topics.outboundResult, [gateway.tenants.spain]);
  });

  afterAll(async () => {
    await results.stop();
    await bus.close();
    await gateway.stop();
    await sim.close();
  });

  const command = (to: string, content: OutboundMessageCommand['content'], extra: Partial<OutboundMessageCommand> = {}): OutboundMessageCommand =>
    OutboundMessageCommand.fromPartial({
      commandId: randomUUID(),
      from: { channel: Channel.CHANNEL_WHATSAPP, endpointId: NUMBER },
      to: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: to },
      requestedBy: 'test-skill',
      content,
      ...extra,
    });
  const send = (c: OutboundMessageCommand) => bus.publish(Topics.outboundCommand, c, { key: `whatsapp:${c.to?.channelUserId ?? ''}`, tenantId: gateway.tenants.spain, facilityId: 'madrid-central' });
  const resultOf = async (commandId: string, timeoutMs = 30_000) =>
    (await waitFor(`the result of ${commandId}`, () => results.received().find((r) => r.payload.commandId === commandId), timeoutMs)).payload;
  const text = (body: string): OutboundMessageCommand['content'] => ({ $case: 'text', value: { body, previewUrl: false } });

  /** A patient who has written recently, so the 24-hour window is open. */
  async function patientInWindow(name: string) {
    const waId = `3460${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const patient = sim.patient({ waId, profileName: name, phoneNumberId: NUMBER });
    const sent = await patient.sendText('Hola');
    expect(sent.delivery.outcome).toBe('delivered');
    return { patient, waId };
  }

  it('sends a reply inside the window; the patient sees it; the result and statuses come back', async () => {
    const { patient, waId } = await patientInWindow('Lucía');
    const c = command(waId, text('¡Hola Lucía! ¿En qué podemos ayudarle?'));
    await send(c);
    const result = await resultOf(c.commandId);
    expect(result).toMatchObject({ accepted: true, failureReason: '', sentAsTemplate: false });
    const seen = await patient.waitForMessage((m) => m.body === '¡Hola Lucía! ¿En qué podemos ayudarle?', 10_000);
    expect(seen.wamid).toBe(result.messageId);
    expect(sim.sentMessages({ to: waId })).toHaveLength(1);
  });

  it('refuses to send from a number this gateway does not serve for the tenant', async () => {
    const { waId } = await patientInWindow('Nadia');
    const c = command(waId, text('Hola'), { from: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '999000999', displayAddress: '', accountId: '' } });
    await send(c);
    expect(await resultOf(c.commandId)).toMatchObject({ accepted: false, failureReason: 'unknown_endpoint' });
    expect(sim.sentMessages({ to: waId })).toHaveLength(0);
  });

  it('sends a command delivered twice only once', async () => {
    const { waId } = await patientInWindow('Ana');
    const c = command(waId, text('Su cita está confirmada.'));
    await send(c);
    await send(c);
    await resultOf(c.commandId);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(sim.sentMessages({ to: waId })).toHaveLength(1);
    expect(results.received().filter((r) => r.payload.commandId === c.commandId)).toHaveLength(1);
  });

  it('refuses a list that breaks Meta’s limits: a failed result, the reason on the dead-letter topic, nothing sent', async () => {
    const { waId } = await patientInWindow('Marta');
    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `sched:slot:${i}`, title: `Slot ${i}`, description: '' }));
    const c = command(waId, { $case: 'interactiveList', value: { header: '', body: 'Horarios', footer: '', button: 'Elegir', sections: [{ title: 'Mañana', rows }] } });
    await send(c);
    expect(await resultOf(c.commandId)).toMatchObject({ accepted: false, failureReason: 'invalid' });
    const letter = await readDeadLetter(c.commandId);
    expect(letter.reason).toContain('11 rows in total; WhatsApp allows 10');
    expect(letter.attempts).toBe(1);
    expect(sim.sentMessages({ to: waId })).toHaveLength(0);
  });

  it('outside the window: fails without a fallback, sends the template fallback when there is one', async () => {
    const stranger = `4915${Math.floor(100_000_000 + Math.random() * 899_999_999)}`;
    const plain = command(stranger, text('Recordatorio de su cita'));
    await send(plain);
    expect(await resultOf(plain.commandId)).toMatchObject({ accepted: false, failureReason: 'window_closed' });

    const withFallback = command(stranger, text('Recordatorio de su cita'), {
      templateFallback: { name: 'appointment_reminder', languageCode: 'es', components: [{ type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: [{ value: { $case: 'text', value: 'martes 09:30' }, parameterName: '' }] }] },
    });
    await send(withFallback);
    expect(await resultOf(withFallback.commandId)).toMatchObject({ accepted: true, sentAsTemplate: true });
    const sent = sim.sentMessages({ to: stranger });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.payload.type).toBe('template');
  });

  it('retries throttling and server errors with backoff, and does not retry a permanent error', async () => {
    const { waId } = await patientInWindow('Jürgen');
    sim.injectFailure({ match: { to: waId }, times: 1, response: { code: 130429 } });
    sim.injectFailure({ match: { to: waId }, times: 1, response: { code: 131000, httpStatus: 500 } });
    const c = command(waId, text('Gracias por su mensaje.'));
    await send(c);
    expect(await resultOf(c.commandId)).toMatchObject({ accepted: true });
    expect(sim.requests().filter((r) => recipientOf(r.body) === waId).length).toBe(3);

    const { waId: other } = await patientInWindow('Olga');
    sim.injectFailure({ match: { to: other }, times: 5, response: { code: 100, title: 'Invalid parameter' } });
    const p = command(other, text('Hola'));
    await send(p);
    const failed = await resultOf(p.commandId);
    expect(failed).toMatchObject({ accepted: false, failureReason: 'channel_error' });
    expect(failed.errors[0]?.code).toBe(100);
    expect(sim.requests().filter((r) => recipientOf(r.body) === other).length).toBe(1);
    sim.clearFailures();
  });

  it('keeps retrying a per-person rate limit past SEND_MAX_ATTEMPTS (it passes), and still gives up on server errors', async () => {
    const { waId } = await patientInWindow('Rosa');
    // SEND_MAX_ATTEMPTS is 4 here: five 131056 answers in a row would have exhausted it.
    sim.injectFailure({ match: { to: waId }, times: 5, response: { code: 131056 } });
    const c = command(waId, text('Anotado, gracias.'));
    await send(c);
    expect(await resultOf(c.commandId, 60_000)).toMatchObject({ accepted: true });
    expect(sim.requests().filter((r) => recipientOf(r.body) === waId).length).toBe(6);

    const { waId: other } = await patientInWindow('Iker');
    sim.injectFailure({ match: { to: other }, times: 10, response: { code: 131000, httpStatus: 500 } });
    const p = command(other, text('Hola'));
    await send(p);
    expect(await resultOf(p.commandId, 60_000)).toMatchObject({ accepted: false, failureReason: 'retries_exhausted' });
    expect(sim.requests().filter((r) => recipientOf(r.body) === other).length).toBe(4);
    sim.clearFailures();
  });

  it('paces per person as Meta’s pair rule does: a burst, then the pair waits until it is paid back, never refused', async () => {
    const { waId } = await patientInWindow('Pilar');
    const refusedBefore = sim.stats().errorsByCode['131056'] ?? 0;
    const commands = Array.from({ length: 6 }, (_, i) => command(waId, text(`Mensaje ${i + 1}`)));
    for (const c of commands) await send(c);
    for (const c of commands) expect(await resultOf(c.commandId, 40_000)).toMatchObject({ accepted: true });
    const times = sim.sentMessages({ to: waId }).map((m) => m.acceptedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(6);
    // A burst of 3 (WHATSAPP_PAIR_BURST) costs 3 intervals of 1 s: the 4th goes once they are paid
    // back (+ the 500-ms margin), not one interval later as a smooth rate would send it and Meta
    // refuse it. 200 ms of slack for the hop from the gateway to the simulator's clock.
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(3 * 1_000 - 200);
    expect(times[3]! - times[0]!).toBeLessThan(3 * 1_000 + 500 + 1_500);
    expect(sim.stats().errorsByCode['131056'] ?? 0).toBe(refusedBefore);
  });

  it('paces per number under the throughput limit: no 130429 from Meta', async () => {
    const recipients = Array.from({ length: 60 }, () => `5255${Math.floor(10_000_000 + Math.random() * 89_999_999)}`);
    const before = sim.stats().errorsByCode['130429'] ?? 0;
    const template = { name: 'appointment_reminder', languageCode: 'es', components: [{ type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: [{ value: { $case: 'text' as const, value: 'lunes' }, parameterName: '' }] }] };
    const commands = recipients.map((to) => command(to, { $case: 'template', value: template }));
    const started = Date.now();
    await Promise.all(commands.map((c) => send(c)));
    for (const c of commands) expect(await resultOf(c.commandId, 60_000)).toMatchObject({ accepted: true });
    const elapsed = Date.now() - started;
    expect((sim.stats().errorsByCode['130429'] ?? 0) - before).toBe(0);
    // 60 sends at ~40/s (with headroom) need more than a second.
    expect(elapsed).toBeGreaterThan(1_000);
  });

  it('resumes a command a previous process claimed but never sent (sends it once); a fresh one is logged as one attempt', async () => {
    const { waId } = await patientInWindow('Sara');
    const c = command(waId, text('Recuerde traer su tarjeta sanitaria.'));
    const { mongo, cipher } = gateway.running.context;
    const log = new MessageLog(mongo!, cipher!);
    // A previous gateway process claimed it and stopped before the send (e.g. while pacing a retry).
    await log.claim(gateway.tenants.spain, { commandId: c.commandId, channel: 'whatsapp', endpointId: NUMBER, recipient: waId, content: c.content, contactId: '', conversationId: '', requestedBy: 'test-skill' });
    await send(c);
    expect(await resultOf(c.commandId)).toMatchObject({ accepted: true });
    expect(sim.sentMessages({ to: waId })).toHaveLength(1);
    expect(await log.get(gateway.tenants.spain, c.commandId)).toMatchObject({ state: 'accepted', attempts: 1 });

    const fresh = command(waId, text('Hasta pronto.'));
    await send(fresh);
    expect(await resultOf(fresh.commandId)).toMatchObject({ accepted: true });
    expect(await log.get(gateway.tenants.spain, fresh.commandId)).toMatchObject({ state: 'accepted', attempts: 1, sentAsTemplate: false });
  });

  it('never repeats a send whose outcome a crash left unknown, and settles it from Meta’s status webhook', async () => {
    const { patient, waId } = await patientInWindow('Irene');
    const c = command(waId, text('Su resultado está disponible.'));
    // A previous gateway process recorded "sending", called Meta, and died before recording the answer.
    const { mongo, cipher } = gateway.running.context;
    const log = new MessageLog(mongo!, cipher!);
    await log.claim(gateway.tenants.spain, { commandId: c.commandId, channel: 'whatsapp', endpointId: NUMBER, recipient: waId, content: c.content, contactId: '', conversationId: '', requestedBy: 'test-skill' });
    await log.markSending(gateway.tenants.spain, c.commandId, false);

    // The redelivered command is not sent again: its outcome is reported unknown.
    await send(c);
    expect(await resultOf(c.commandId)).toMatchObject({ accepted: false, failureReason: 'outcome_unknown' });
    expect(sim.sentMessages({ to: waId })).toHaveLength(0);

    // What the crashed process had sent reaches Meta; its status webhook carries our command id back.
    const response = await fetch(`${sim.url}/v23.0/${NUMBER}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ACCESS_TOKEN}` },
      body: JSON.stringify(toCloudApiMessage(c, c.content!)),
    });
    expect(response.status).toBe(200);
    const settled = await waitFor('the late acceptance', () => results.received().find((r) => r.payload.commandId === c.commandId && r.payload.accepted), 30_000);
    expect(settled.payload.messageId).toMatch(/^wamid\./);
    expect((await log.get(gateway.tenants.spain, c.commandId))?.state).toBe('accepted');
    await patient.waitForMessage((m) => m.body === 'Su resultado está disponible.', 5_000);
    expect(sim.sentMessages({ to: waId })).toHaveLength(1);
  });

  it('settles a command once whichever of the send’s answer and a status webhook comes first; a redelivered status is one entry', async () => {
    const { mongo, cipher } = gateway.running.context;
    const log = new MessageLog(mongo!, cipher!);
    const tenant = gateway.tenants.spain;
    const entry = (commandId: string) => ({ commandId, channel: 'whatsapp', endpointId: NUMBER, recipient: '34600000001', content: { text: 'x' }, contactId: 'c1', conversationId: 'v1', requestedBy: 'test-skill', sending: { asTemplate: true } });
    const sent = { status: 'sent', at: new Date('2026-12-04T10:00:00Z') };

    // The status overtakes the send's answer: it settles the command and hands back what the result needs...
    const overtaken = randomUUID();
    await log.claim(tenant, entry(overtaken));
    expect(await log.recordStatus(tenant, 'wamid.overtaken', overtaken, sent)).toMatchObject({ commandId: overtaken, state: 'accepted', messageId: 'wamid.overtaken', sentAsTemplate: true, requestedBy: 'test-skill' });
    // ...and the send's own answer then settles nothing (its result is not published twice).
    expect(await log.markAccepted(tenant, overtaken, 'wamid.overtaken')).toBe(false);
    // Meta redelivers the same status: still one entry, nothing to reconcile.
    expect(await log.recordStatus(tenant, 'wamid.overtaken', overtaken, sent)).toBeNull();
    await log.recordStatus(tenant, 'wamid.overtaken', overtaken, { status: 'read', at: new Date('2026-12-04T10:05:00Z') });
    expect((await log.get(tenant, overtaken))?.statuses.map((s) => s.status)).toEqual(['sent', 'read']);

    // The usual order: the send settles, its status only joins the timeline.
    const usual = randomUUID();
    await log.claim(tenant, entry(usual));
    expect(await log.markAccepted(tenant, usual, 'wamid.usual')).toBe(true);
    expect(await log.recordStatus(tenant, 'wamid.usual', usual, sent)).toBeNull();
    expect(await log.get(tenant, usual)).toMatchObject({ state: 'accepted', messageId: 'wamid.usual', statuses: [{ status: 'sent' }] });

    // A status naming a command this gateway never logged settles nothing, then or later.
    const foreign = randomUUID();
    expect(await log.recordStatus(tenant, 'wamid.foreign', foreign, sent)).toBeNull();
    await log.claim(tenant, entry(foreign));
    expect(await log.markAccepted(tenant, foreign, 'wamid.foreign-own')).toBe(true);
    // A final failure is final too: no later status turns it into an acceptance.
    const refused = randomUUID();
    await log.claim(tenant, entry(refused));
    await log.markFailed(tenant, refused, 'channel_error: 131026 Message undeliverable');
    expect(await log.recordStatus(tenant, 'wamid.refused', refused, sent)).toBeNull();
    expect(await log.get(tenant, refused)).toMatchObject({ state: 'failed', failureReason: 'channel_error: 131026 Message undeliverable' });
  });

  async function readDeadLetter(commandId: string): Promise<DeadLetter> {
    const kafka = new Kafka({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'dlq-reader', logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    let found: DeadLetter | undefined;
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic(Topics.outboundCommand.topic), fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const letter = DeadLetter.decode(message.value ?? Buffer.alloc(0));
        if (letter.reason.includes(commandId)) found = letter;
        return Promise.resolve();
      },
    });
    try {
      return await waitFor('the dead letter', () => found, 30_000);
    } finally {
      await consumer.disconnect();
    }
  }
});
