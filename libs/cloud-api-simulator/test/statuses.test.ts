import type { StatusObject, WhatsAppWebhook } from '@careloop/cloud-api-simulator';
import { fixture, startHarness, text, type Harness } from './support/harness';
import { anyString, matching } from './support/matchers';

const HOUR = 60 * 60 * 1000;

function statusesOf(h: Harness, wamid: string): StatusObject[] {
  return h.receiver.statuses().filter((s) => s.id === wamid);
}

async function waitForStatus(h: Harness, wamid: string, status: StatusObject['status']): Promise<StatusObject> {
  return h.receiver.waitFor(`${status} status of ${wamid}`, () => statusesOf(h, wamid).find((s) => s.status === status));
}

describe('status webhooks', () => {
  let h: Harness;

  afterEach(async () => {
    await h.close();
  });

  it('sends sent then delivered with conversation and pricing inside the window, and read when the patient reads', async () => {
    h = await startHarness();
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    const response = await h.send(text('34600111222', 'Hola Ana'));
    const wamid = response.body.messages?.[0]?.id ?? '';

    await waitForStatus(h, wamid, 'delivered');
    patient.read(wamid);
    await waitForStatus(h, wamid, 'read');

    const [sent, delivered, read] = statusesOf(h, wamid);
    // Same shape as the `sent` status of statuses_sent_delivered_read.json.
    const fixtureSent = (fixture('statuses_sent_delivered_read.json') as WhatsAppWebhook).entry[0]?.changes[0]?.value.statuses?.[0];
    expect(Object.keys(sent ?? {})).toEqual(Object.keys(fixtureSent ?? {}));
    expect(sent).toEqual({
      id: wamid,
      status: 'sent',
      timestamp: matching(/^\d{10}$/),
      recipient_id: '34600111222',
      conversation: { id: matching(/^[0-9a-f]{32}$/), expiration_timestamp: matching(/^\d{10}$/), origin: { type: 'service' } },
      pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
    });
    // The service conversation expires when the customer service window closes: 24 h after the patient wrote.
    const wroteAt = Number(h.sim.transcript('34600111222').find((e) => e.kind === 'inbound')?.at);
    expect(Number(sent?.conversation?.expiration_timestamp)).toBe(Math.floor((wroteAt + 24 * HOUR) / 1000));
    expect(delivered).toEqual({
      id: wamid,
      status: 'delivered',
      timestamp: anyString(),
      recipient_id: '34600111222',
      conversation: { id: sent?.conversation?.id, origin: { type: 'service' } },
      pricing: sent?.pricing,
    });
    expect(read).toEqual({ id: wamid, status: 'read', timestamp: anyString(), recipient_id: '34600111222' });

    const webhook = h.receiver.accepted().find((r) => (r.json as WhatsAppWebhook).entry[0]?.changes[0]?.value.statuses?.[0]?.id === wamid)?.json as WhatsAppWebhook;
    expect(webhook.entry[0]).toMatchObject({ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '34910000001', phone_number_id: '106540352242922' } } }] });
  });

  it('omits the conversation object for API v24.0 and later, as Meta documents', async () => {
    h = await startHarness();
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    const wamid = (await h.send(text('34600111222', 'v24'), { version: 'v24.0' })).body.messages?.[0]?.id ?? '';
    const sent = await waitForStatus(h, wamid, 'sent');
    expect(sent).not.toHaveProperty('conversation');
    expect(sent.pricing).toMatchObject({ category: 'service' });
  });

  it('fails a free-form message outside the 24-hour window with 131047, after accepting it', async () => {
    h = await startHarness();
    const response = await h.send(text('34600111222', 'Are you still there?'));
    expect(response.status).toBe(200);
    const wamid = response.body.messages?.[0]?.id ?? '';

    const failed = await waitForStatus(h, wamid, 'failed');
    const expected = (fixture('status_failed_131047.json') as WhatsAppWebhook).entry[0]?.changes[0]?.value.statuses?.[0];
    expect(failed).toEqual({ ...expected, id: wamid, timestamp: failed.timestamp, recipient_id: '34600111222' });
    await h.sim.whenIdle();
    expect(statusesOf(h, wamid).map((s) => s.status)).toEqual(['failed']);
    expect(h.sim.patient({ waId: '34600111222', profileName: 'x' }).messages()).toEqual([]);
    expect(h.sim.stats().failedStatusesByCode).toEqual({ '131047': 1 });
  });

  it('closes the window exactly 24 hours after the patient last wrote', async () => {
    let now = Date.UTC(2026, 2, 1, 8, 0, 0);
    h = await startHarness({ now: () => now });
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');

    now += 24 * HOUR - 1;
    const inside = (await h.send(text('34600111222', 'just in time'))).body.messages?.[0]?.id ?? '';
    await waitForStatus(h, inside, 'delivered');

    now += 1;
    const outside = (await h.send(text('34600111222', 'too late'))).body.messages?.[0]?.id ?? '';
    expect((await waitForStatus(h, outside, 'failed')).errors?.[0]?.code).toBe(131047);

    await patient.sendText('back again');
    const reopened = (await h.send(text('34600111222', 'welcome back'))).body.messages?.[0]?.id ?? '';
    await waitForStatus(h, reopened, 'delivered');
  });

  it('delivers templates outside the window, priced by their category', async () => {
    h = await startHarness({
      templates: [
        { name: 'appointment_reminder', language: 'es', category: 'utility', body: 'Hola {{1}}, tu cita es el {{2}}.' },
        { name: 'flu_campaign', language: 'es', category: 'marketing', body: 'Vacúnate contra la gripe.' },
      ],
    });
    const reminder = await h.send({
      messaging_product: 'whatsapp',
      to: '34600111222',
      type: 'template',
      template: { name: 'appointment_reminder', language: { code: 'es' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'martes' }] }] },
    });
    expect(reminder.body.messages?.[0]).toEqual({ id: matching(/^wamid\./), message_status: 'accepted' });
    const campaign = await h.send({ messaging_product: 'whatsapp', to: '34600111222', type: 'template', template: { name: 'flu_campaign', language: { code: 'es' } } });

    const reminderSent = await waitForStatus(h, reminder.body.messages?.[0]?.id ?? '', 'sent');
    const campaignSent = await waitForStatus(h, campaign.body.messages?.[0]?.id ?? '', 'sent');
    expect(reminderSent.pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' });
    expect(reminderSent.conversation?.origin).toEqual({ type: 'utility' });
    expect(campaignSent.pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' });

    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.waitForMessage((m) => m.template?.name === 'flu_campaign');
    expect(patient.messages().map((m) => m.body)).toEqual(['Hola Ana, tu cita es el martes.', 'Vacúnate contra la gripe.']);
  });

  it('prices a utility template inside the window as free customer service', async () => {
    h = await startHarness({ templates: [{ name: 'visit_survey', language: 'en', category: 'utility', body: 'How was your visit?' }] });
    await h.sim.patient({ waId: '34600111222', profileName: 'Ana' }).sendText('thanks');
    const wamid = (await h.send({ messaging_product: 'whatsapp', to: '34600111222', type: 'template', template: { name: 'visit_survey', language: { code: 'en' } } })).body.messages?.[0]?.id ?? '';
    expect((await waitForStatus(h, wamid, 'sent')).pricing).toEqual({ billable: false, pricing_model: 'PMP', category: 'utility', type: 'free_customer_service' });
  });

  it('keeps each message’s statuses in order, with autoRead', async () => {
    h = await startHarness({ autoRead: true, statusTiming: { sentMs: 1, deliveredMs: 2, readMs: 5 } });
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    // One after another: a read of a later message implies the earlier ones (no webhook of their own).
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const id = (await h.send(text('34600111222', `#${n}`))).body.messages?.[0]?.id ?? '';
      ids.push(id);
      await waitForStatus(h, id, 'read');
    }
    for (const id of ids) expect(statusesOf(h, id).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(patient.messages().every((m) => m.readAt !== undefined)).toBe(true);
  });

  it('marks delivered messages read when the patient replies (readOnReply)', async () => {
    h = await startHarness();
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    const wamid = (await h.send(text('34600111222', 'What can we do for you?'))).body.messages?.[0]?.id ?? '';
    await patient.waitForMessage((m) => m.wamid === wamid);
    await patient.sendText('Book an appointment');
    await waitForStatus(h, wamid, 'read');
    const kinds = h.receiver.accepted().map((r) => {
      const value = (r.json as WhatsAppWebhook).entry[0]?.changes[0]?.value;
      return value?.messages !== undefined ? `message:${value.messages[0]?.type ?? ''}` : `status:${value?.statuses?.[0]?.status ?? ''}`;
    });
    // The read receipt goes out before the reply it precedes.
    expect(kinds).toEqual(['message:text', 'status:sent', 'status:delivered', 'status:read', 'message:text']);
  });

  it('echoes biz_opaque_callback_data and addresses business-scoped users by user id', async () => {
    h = await startHarness();
    const lea = h.sim.patient({ bsuid: 'ES.1502576394655843', profileName: 'Lea' });
    await lea.sendText('Bonjour');
    const response = await h.send({ messaging_product: 'whatsapp', recipient: 'ES.1502576394655843', type: 'text', text: { body: 'Bonjour Lea' }, biz_opaque_callback_data: 'tenant-1/msg-42' });
    expect(response.body.contacts).toEqual([{ input: 'ES.1502576394655843', wa_id: '', user_id: 'ES.1502576394655843' }]);
    const wamid = response.body.messages?.[0]?.id ?? '';
    const sent = await waitForStatus(h, wamid, 'sent');
    expect(sent).toMatchObject({ recipient_id: '', recipient_user_id: 'ES.1502576394655843', biz_opaque_callback_data: 'tenant-1/msg-42' });
    expect((await lea.waitForMessage()).body).toBe('Bonjour Lea');
  });

  it('lets the patient see a message even while the webhook receiver is failing', async () => {
    h = await startHarness({ webhookRetry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 200 } });
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    h.receiver.failNext(10, 503);
    await h.send(text('34600111222', 'visible anyway'));
    expect((await patient.waitForMessage(undefined, 1_000)).body).toBe('visible anyway');
  });
});
