import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidSignature, signatureFor, type InboundMessage, type WhatsAppWebhook } from '@careloop/cloud-api-simulator';
import { APP_SECRET, buttons, fixture, interactive, list, startHarness, text, type Harness } from './support/harness';

type Webhook = WhatsAppWebhook;

function firstMessage(json: unknown): InboundMessage {
  const message = (json as Webhook).entry[0]?.changes[0]?.value.messages?.[0];
  if (message === undefined) throw new Error('webhook has no message');
  return message;
}

/** The fixture with the volatile values (ids, timestamps) taken from the received webhook. */
function fixtureWithIdsFrom(name: string, received: unknown, extra: (fixtureMessage: Record<string, unknown>, got: InboundMessage) => void = () => undefined): unknown {
  const expected = fixture(name) as Webhook;
  const got = firstMessage(received);
  const message = expected.entry[0]?.changes[0]?.value.messages?.[0] as unknown as Record<string, unknown>;
  message['id'] = got.id;
  message['timestamp'] = got.timestamp;
  if (got.context !== undefined) (message['context'] as Record<string, unknown>)['id'] = got.context.id;
  extra(message, got);
  return expected;
}

describe('patient webhooks', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('signs the raw body bytes with the app secret, like Meta', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'José Ñúñez Çelik' });
    const result = await patient.sendText('Hola, quiero pedir una cita 🙂');
    expect(result.delivery.outcome).toBe('delivered');

    const [webhook] = h.receiver.received;
    if (webhook === undefined) throw new Error('no webhook received');
    // Computed here, independently of the simulator's signing code.
    const expected = `sha256=${createHmac('sha256', APP_SECRET).update(webhook.raw).digest('hex')}`;
    expect(webhook.headers['x-hub-signature-256']).toBe(expected);
    expect(webhook.headers['content-type']).toBe('application/json');
    // The body carries UTF-8 bytes, not \u escapes: signing re-serialized JSON would not match.
    expect(webhook.raw.includes(Buffer.from('Ñúñez', 'utf8'))).toBe(true);
    expect(createHmac('sha256', 'another-secret').update(webhook.raw).digest('hex')).not.toBe(expected.slice(7));
    expect(isValidSignature(webhook.raw, APP_SECRET, expected)).toBe(true);
    expect(isValidSignature(Buffer.concat([webhook.raw, Buffer.from(' ')]), APP_SECRET, expected)).toBe(false);
  });

  it('signs fixture files exactly as stored', () => {
    const raw = readFileSync(join(__dirname, 'fixtures', 'text_unicode_name.json'));
    expect(signatureFor(raw, APP_SECRET)).toBe(`sha256=${createHmac('sha256', APP_SECRET).update(raw).digest('hex')}`);
  });

  it('sends text exactly in the shape of text_unicode_name.json', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'José Ñúñez Çelik' });
    await patient.sendText('Hola, quiero pedir una cita 🙂');
    const received = h.receiver.received[0]?.json;
    expect(received).toEqual(fixtureWithIdsFrom('text_unicode_name.json', received));
    const message = firstMessage(received);
    expect(message.id).toMatch(/^wamid\./);
    expect(message.timestamp).toMatch(/^\d{10}$/);
  });

  it('sends a list reply with its context, as interactive_list_reply.json', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('cita');
    const sent = await h.send(
      interactive(
        '34600111222',
        list([{ title: 'Tuesday', rows: [{ id: 'sched:slot:6650f1c2a9e4b1d2c3e4f501', title: 'Tue 09:30', description: 'Dr. García · Cardiology' }] }]),
      ),
    );
    const listId = sent.body.messages?.[0]?.id;
    await patient.waitForMessage((m) => m.wamid === listId);
    await patient.replyList('sched:slot:6650f1c2a9e4b1d2c3e4f501');

    const received = h.receiver.received.find((r) => firstMessageOrUndefined(r.json)?.type === 'interactive')?.json;
    expect(firstMessage(received).context).toEqual({ from: '34910000001', id: listId });
    expect(received).toEqual(fixtureWithIdsFrom('interactive_list_reply.json', received));
  });

  it('sends a reply-button press, as interactive_button_reply.json', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    await h.send(
      interactive('34600111222', {
        type: 'button',
        body: { text: 'Your appointment is tomorrow at 09:30.' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'rem:confirm:6650f1c2a9e4b1d2c3e4f777', title: 'Confirm' } },
            { type: 'reply', reply: { id: 'rem:cancel:6650f1c2a9e4b1d2c3e4f777', title: 'Cancel' } },
          ],
        },
      }),
    );
    await patient.waitForMessage((m) => m.buttons.length === 2);
    await patient.replyButton('rem:confirm:6650f1c2a9e4b1d2c3e4f777');
    const received = h.receiver.received.find((r) => firstMessageOrUndefined(r.json)?.type === 'interactive')?.json;
    expect(received).toEqual(fixtureWithIdsFrom('interactive_button_reply.json', received));
  });

  it('sends a template quick-reply press, as template_quick_reply_button.json', async () => {
    h.sim.registerTemplate({
      name: 'appointment_reminder',
      language: 'en',
      category: 'utility',
      body: 'Hi {{1}}, your appointment is on {{2}}.',
      buttons: [
        { type: 'quick_reply', text: 'Confirm' },
        { type: 'quick_reply', text: 'Reschedule' },
        { type: 'quick_reply', text: 'Cancel' },
      ],
    });
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await h.send({
      messaging_product: 'whatsapp',
      to: '34600111222',
      type: 'template',
      template: {
        name: 'appointment_reminder',
        language: { code: 'en' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'Tue 09:30' }] },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'rem:confirm:6650f1c2a9e4b1d2c3e4f777' }] },
          { type: 'button', sub_type: 'quick_reply', index: '2', parameters: [{ type: 'payload', payload: 'rem:cancel:6650f1c2a9e4b1d2c3e4f777' }] },
        ],
      },
    });
    const reminder = await patient.waitForMessage((m) => m.type === 'template');
    expect(reminder.body).toBe('Hi Ana, your appointment is on Tue 09:30.');
    expect(reminder.buttons).toEqual([
      { id: 'rem:confirm:6650f1c2a9e4b1d2c3e4f777', title: 'Confirm' },
      { id: 'Reschedule', title: 'Reschedule' },
      { id: 'rem:cancel:6650f1c2a9e4b1d2c3e4f777', title: 'Cancel' },
    ]);
    await patient.pressTemplateButton('Cancel');
    const received = h.receiver.received.find((r) => firstMessageOrUndefined(r.json)?.type === 'button')?.json;
    expect(received).toEqual(fixtureWithIdsFrom('template_quick_reply_button.json', received));
  });

  it('sends an image with caption, as image_with_caption.json (no inline media)', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendImage({ caption: 'rash on my arm since yesterday' });
    const received = h.receiver.received[0]?.json;
    expect(received).toEqual(
      fixtureWithIdsFrom('image_with_caption.json', received, (message, got) => {
        if (got.type !== 'image') throw new Error('expected an image');
        message['image'] = { ...(message['image'] as object), id: got.image.id, sha256: got.image.sha256 };
      }),
    );
    const image = firstMessage(received);
    if (image.type !== 'image') throw new Error('expected an image');
    expect(image.image.id).toMatch(/^\d{16}$/);
    expect(image.image.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends a location, as location.json', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendLocation({ latitude: 40.4168, longitude: -3.7038, name: 'Puerta del Sol', address: 'Plaza de la Puerta del Sol, Madrid' });
    const received = h.receiver.received[0]?.json;
    expect(received).toEqual(fixtureWithIdsFrom('location.json', received));
  });

  it('sends a username-only user with a business-scoped id and no phone, as username_only_bsuid.json', async () => {
    const patient = h.sim.patient({ bsuid: 'ES.1502576394655843', profileName: 'Lea' });
    await patient.sendText("Bonjour, j'ai besoin de mes résultats d'analyse");
    const received = h.receiver.received[0]?.json;
    expect(received).toEqual(fixtureWithIdsFrom('username_only_bsuid.json', received));
    const message = firstMessage(received);
    expect(message).not.toHaveProperty('from');
    expect((received as Webhook).entry[0]?.changes[0]?.value.contacts?.[0]).not.toHaveProperty('wa_id');
  });

  it('sends an unsupported message with its error, as unsupported_131051.json', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendUnsupported();
    const received = h.receiver.received[0]?.json;
    expect(received).toEqual(fixtureWithIdsFrom('unsupported_131051.json', received));
  });

  it('sends reactions to a business message', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    const sent = await h.send(text('34600111222', 'Your booking is confirmed.'));
    const wamid = sent.body.messages?.[0]?.id ?? '';
    await patient.waitForMessage((m) => m.wamid === wamid);
    await patient.react(wamid, '👍');
    const reaction = h.receiver.received.map((r) => firstMessageOrUndefined(r.json)).find((m) => m?.type === 'reaction');
    expect(reaction).toMatchObject({ from: '34600111222', type: 'reaction', reaction: { message_id: wamid, emoji: '👍' } });
  });

  it('retries a webhook the receiver answers with 500, with the same bytes and signature', async () => {
    h.receiver.failNext(2, 500);
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    const result = await patient.sendText('hola');

    expect(result.delivery.outcome).toBe('delivered');
    expect(result.delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(h.receiver.received.map((r) => r.answeredWith)).toEqual([500, 500, 200]);
    const [first, , last] = h.receiver.received;
    expect(last?.raw.equals(first?.raw ?? Buffer.alloc(0))).toBe(true);
    expect(last?.headers['x-hub-signature-256']).toBe(first?.headers['x-hub-signature-256']);
  });

  it('treats any answer but 200 as a failure, and gives up after maxAttempts', async () => {
    const strict = await startHarness({ webhookRetry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 5 } });
    try {
      strict.receiver.failNext(1, 204);
      strict.receiver.failNext(5, 503);
      const patient = strict.sim.patient({ waId: '34600111222', profileName: 'Ana' });
      const result = await patient.sendText('hola');
      expect(result.delivery.outcome).toBe('failed');
      expect(result.delivery.attempts.map((a) => a.statusCode)).toEqual([204, 503, 503]);
      expect(strict.sim.stats().webhooks).toMatchObject({ failed: 1, attempts: 3 });
    } finally {
      await strict.close();
    }
  });

  it('records a failed attempt when nothing listens, and delivers once the URL is fixed', async () => {
    const port = new URL(h.receiver.url).port;
    h.sim.setWebhookUrl('http://127.0.0.1:9/nothing-here');
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    const refused = await patient.sendText('anyone?');
    expect(refused.delivery.outcome).toBe('failed');
    expect(refused.delivery.attempts[0]?.error).toEqual(expect.any(String));

    h.sim.setWebhookUrl(`http://127.0.0.1:${port}/webhooks/whatsapp`);
    expect((await patient.sendText('now?')).delivery.outcome).toBe('delivered');
  });

  it('performs the verification handshake like Meta', async () => {
    const ok = await h.sim.subscribeWebhook();
    expect(ok).toMatchObject({ ok: true, statusCode: 200 });
    expect(ok.responseBody).toBe(ok.challenge);
    expect(ok.challenge).toMatch(/^\d+$/);

    const wrongToken = await h.sim.subscribeWebhook({ verifyToken: 'wrong' });
    expect(wrongToken).toMatchObject({ ok: false, statusCode: 403 });
  });

  it('keeps one conversation in order and delivers many patients in parallel', async () => {
    const patients = Array.from({ length: 5 }, (_, i) => h.sim.patient({ waId: `3460055500${i}`, profileName: `P${i}` }));
    await Promise.all(patients.map(async (p) => {
      for (let n = 0; n < 4; n += 1) void p.sendText(`${p.waId ?? ''}#${n}`);
      await p.sendText(`${p.waId ?? ''}#last`);
    }));
    for (const p of patients) {
      const bodies = h.receiver.received
        .map((r) => firstMessageOrUndefined(r.json))
        .filter((m): m is InboundMessage => m !== undefined && m.from === p.waId && m.type === 'text')
        .map((m) => (m.type === 'text' ? m.text.body : ''));
      expect(bodies).toEqual([0, 1, 2, 3].map((n) => `${p.waId ?? ''}#${n}`).concat(`${p.waId ?? ''}#last`));
    }
  });

  it('sends a buttons message the patient can see', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    await h.send(interactive('34600111222', buttons(['Yes', 'No'])));
    const seen = await patient.waitForMessage();
    expect(seen.text).toContain('[ Yes ‹btn-0› ] [ No ‹btn-1› ]');
  });
});

function firstMessageOrUndefined(json: unknown): InboundMessage | undefined {
  return (json as Webhook).entry[0]?.changes[0]?.value.messages?.[0];
}
