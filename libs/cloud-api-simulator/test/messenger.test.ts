import { createHmac } from 'node:crypto';
import type { MessengerWebhook } from '@careloop/cloud-api-simulator';
import { ACCESS_TOKEN, APP_SECRET, fixture, startHarness, type GraphBody, type Harness } from './support/harness';
import { WebhookReceiver } from './support/webhook-receiver';
import { matching } from './support/matchers';

describe('Messenger', () => {
  let h: Harness;
  let pageWebhook: WebhookReceiver;

  beforeEach(async () => {
    pageWebhook = await WebhookReceiver.start();
    h = await startHarness({ messenger: { pageId: 'PAGE_ID_551234', webhookUrl: pageWebhook.url, pageAccessToken: 'page-token' } });
  });
  afterEach(async () => {
    await h.close();
    await pageWebhook.close();
  });

  async function sendApi(body: unknown, auth: { bearer?: string; query?: string } = { bearer: ACCESS_TOKEN }): Promise<{ status: number; body: GraphBody & { recipient_id?: string; message_id?: string } }> {
    const url = `${h.sim.url}/v21.0/me/messages${auth.query !== undefined ? `?access_token=${auth.query}` : ''}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth.bearer !== undefined) headers['authorization'] = `Bearer ${auth.bearer}`;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as GraphBody };
  }

  it('sends a page webhook shaped like messenger_text.json, signed like WhatsApp ones', async () => {
    const user = h.sim.messengerUser({ psid: '6543210987654321', name: 'Ayşe' });
    const result = await user.sendText('Merhaba, randevu almak istiyorum');
    expect(result.delivery.outcome).toBe('delivered');

    const [webhook] = pageWebhook.received;
    if (webhook === undefined) throw new Error('no Messenger webhook');
    expect(webhook.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', APP_SECRET).update(webhook.raw).digest('hex')}`);
    const json = webhook.json as MessengerWebhook;
    const expected = fixture('messenger_text.json') as MessengerWebhook;
    const event = json.entry[0]?.messaging[0];
    const expectedEntry = expected.entry[0];
    expect(json).toEqual({
      ...expected,
      entry: [{ ...expectedEntry, time: json.entry[0]?.time, messaging: [{ ...expectedEntry?.messaging[0], timestamp: event?.timestamp, message: { ...expectedEntry?.messaging[0]?.message, mid: event?.message.mid } }] }],
    });
    expect(event?.message.mid).toMatch(/^m_/);
    expect(h.receiver.received).toHaveLength(0);
  });

  it('answers the Send API with recipient_id and message_id, and the user sees the message', async () => {
    const user = h.sim.messengerUser({ psid: '6543210987654321' });
    await user.sendText('hola');
    const response = await sendApi(
      {
        recipient: { id: '6543210987654321' },
        messaging_type: 'RESPONSE',
        message: { text: '¿Qué necesitas?', quick_replies: [{ content_type: 'text', title: 'Cita', payload: 'sched:start' }] },
      },
      { query: 'page-token' },
    );
    expect(response).toEqual({ status: 200, body: { recipient_id: '6543210987654321', message_id: matching(/^m_/) } });
    expect(user.lastMessage()?.payload.message?.text).toBe('¿Qué necesitas?');

    await user.sendQuickReply('sched:start', 'Cita');
    const quickReply = (pageWebhook.received.at(-1)?.json as MessengerWebhook).entry[0]?.messaging[0]?.message;
    expect(quickReply).toEqual({ mid: matching(/^m_/), text: 'Cita', quick_reply: { payload: 'sched:start' } });
    expect(h.sim.renderTranscript('6543210987654321')).toContain('( Cita ‹sched:start› )');
  });

  it('enforces the Send API limits, the token, unknown users and the 24-hour window', async () => {
    const user = h.sim.messengerUser({ psid: '111' });
    await user.sendText('hola');
    const tooLong = await sendApi({ recipient: { id: '111' }, messaging_type: 'RESPONSE', message: { text: 'x'.repeat(2001) } });
    expect(tooLong.body.error).toMatchObject({ code: 100, message: '(#100) Length of param message[text] must be less than or equal to 2000' });
    expect((await sendApi({ recipient: { id: '111' }, messaging_type: 'RESPONSE', message: { text: 'x'.repeat(2000) } })).status).toBe(200);

    const manyReplies = Array.from({ length: 14 }, (_, i) => ({ content_type: 'text', title: `r${i}`, payload: `p${i}` }));
    expect((await sendApi({ recipient: { id: '111' }, message: { text: 'x', quick_replies: manyReplies } })).body.error?.code).toBe(100);

    expect((await sendApi({ recipient: { id: '111' }, message: { text: 'x' } }, { bearer: 'bad' })).status).toBe(401);

    const stranger = await sendApi({ recipient: { id: '999' }, messaging_type: 'UPDATE', message: { text: 'x' } });
    expect(stranger.body.error).toMatchObject({ code: 100, error_subcode: 2018001, message: '(#100) No matching user found' });

    h.sim.messengerUser({ psid: '222' });
    const outside = await sendApi({ recipient: { id: '222' }, messaging_type: 'UPDATE', message: { text: 'promo' } });
    expect(outside.body.error).toMatchObject({ code: 10, error_subcode: 2018278 });
    expect((await sendApi({ recipient: { id: '222' }, messaging_type: 'MESSAGE_TAG', tag: 'CONFIRMED_EVENT_UPDATE', message: { text: 'Your appointment is confirmed' } })).status).toBe(200);
  });
});
