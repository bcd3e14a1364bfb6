import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Channel, DeliveryStatus, InteractiveReplyKind, MediaKind } from '@careloop/contracts';
import { parseWhatsappWebhook } from '../src/channels/whatsapp/webhook';
import { parseMessengerWebhook } from '../src/channels/messenger/webhook';
import { WebhookShapeError } from '../src/channels/webhook-errors';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'whatsapp');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
const receivedAt = new Date('2026-11-22T10:00:00Z');
const parse = (name: string) => parseWhatsappWebhook(fixture(name), receivedAt);

describe('WhatsApp webhook normalisation (every shared fixture)', () => {
  it('text with a non-ASCII profile name and emoji', () => {
    const d = parse('text_unicode_name.json');
    expect(d.messages).toHaveLength(1);
    const m = d.messages[0]!.message;
    expect(d.messages[0]!.endpointId).toBe('106540352242922');
    expect(m.messageId).toBe('wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=');
    expect(m.from).toMatchObject({ channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600111222', phoneE164: '+34600111222', profileName: 'José Ñúñez Çelik' });
    expect(m.to).toMatchObject({ endpointId: '106540352242922', displayAddress: '34910000001', accountId: '102290129340398' });
    expect(m.sentAt).toEqual(new Date(1763798400 * 1000));
    expect(m.content).toEqual({ $case: 'text', value: { body: 'Hola, quiero pedir una cita 🙂' } });
  });

  it('interactive list reply with its namespaced row id and reply context', () => {
    const m = parse('interactive_list_reply.json').messages[0]!.message;
    expect(m.content).toEqual({ $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST, id: 'sched:slot:6650f1c2a9e4b1d2c3e4f501', title: 'Tue 09:30', description: 'Dr. García · Cardiology' } });
    expect(m.context).toMatchObject({ repliedToMessageId: 'wamid.OUTBOUND-LIST-0001', repliedToSender: '34910000001' });
  });

  it('interactive button reply', () => {
    const m = parse('interactive_button_reply.json').messages[0]!.message;
    expect(m.content).toEqual({ $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: 'rem:confirm:6650f1c2a9e4b1d2c3e4f777', title: 'Confirm', description: '' } });
    expect(m.context?.repliedToMessageId).toBe('wamid.OUTBOUND-BUTTONS-0001');
  });

  it('template quick-reply button: payload and text', () => {
    const m = parse('template_quick_reply_button.json').messages[0]!.message;
    expect(m.content).toEqual({ $case: 'templateButton', value: { payload: 'rem:cancel:6650f1c2a9e4b1d2c3e4f777', text: 'Cancel' } });
  });

  it('image with caption: media id, MIME type, sha256, caption — no download', () => {
    const m = parse('image_with_caption.json').messages[0]!.message;
    expect(m.content).toEqual({
      $case: 'media',
      value: { kind: MediaKind.MEDIA_KIND_IMAGE, mediaId: '1234567890123456', mimeType: 'image/jpeg', sha256: '0b6b6a4b9fa2a4e6d6c9b9c2b3f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3', caption: 'rash on my arm since yesterday', filename: '', voice: false, animated: false, url: '' },
    });
  });

  it('location', () => {
    const m = parse('location.json').messages[0]!.message;
    expect(m.content).toEqual({ $case: 'location', value: { latitude: 40.4168, longitude: -3.7038, name: 'Puerta del Sol', address: 'Plaza de la Puerta del Sol, Madrid', url: '' } });
  });

  it('three statuses of one outbound message, with pricing on the first', () => {
    const d = parse('statuses_sent_delivered_read.json');
    expect(d.messages).toHaveLength(0);
    expect(d.statuses.map((s) => s.status.status)).toEqual([DeliveryStatus.DELIVERY_STATUS_SENT, DeliveryStatus.DELIVERY_STATUS_DELIVERED, DeliveryStatus.DELIVERY_STATUS_READ]);
    expect(d.statuses[0]!.status).toMatchObject({
      messageId: 'wamid.OUTBOUND-TEXT-0001',
      recipientId: '34600111222',
      conversationId: 'CONVERSATION_ID_1',
      conversationOrigin: 'service',
      pricing: { billable: false, pricingModel: 'PMP', category: 'service', type: 'free_customer_service' },
      occurredAt: new Date(1763798401 * 1000),
      permanentFailure: false,
    });
  });

  it('failed status with the 24-hour window error', () => {
    const s = parse('status_failed_131047.json').statuses[0]!.status;
    expect(s.status).toBe(DeliveryStatus.DELIVERY_STATUS_FAILED);
    expect(s.permanentFailure).toBe(true);
    expect(s.errors).toEqual([{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.', href: '' }]);
  });

  it('several messages and contacts in one change, two phone numbers in one delivery', () => {
    const d = parse('two_changes_two_messages.json');
    expect(d.messages.map((x) => [x.endpointId, x.message.messageId, x.message.from?.profileName])).toEqual([
      ['106540352242922', 'wamid.INBOUND-MULTI-0001', 'Ana'],
      ['106540352242922', 'wamid.INBOUND-MULTI-0002', 'Мария Иванова'],
      ['206540352242999', 'wamid.INBOUND-MULTI-0003', 'Jürgen'],
    ]);
  });

  it('unsupported message type keeps its error', () => {
    const m = parse('unsupported_131051.json').messages[0]!.message;
    expect(m.content).toEqual({ $case: 'unsupported', value: { channelType: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.', href: '' }] } });
  });

  it('account-level throughput error becomes an alert, not a message', () => {
    const d = parse('account_error_130429.json');
    expect(d.messages).toHaveLength(0);
    expect(d.alerts).toHaveLength(1);
    expect(d.alerts[0]!.alert.errors[0]).toMatchObject({ code: 130429, title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.' });
  });

  it('username-only user: business-scoped user id, no phone number', () => {
    const m = parse('username_only_bsuid.json').messages[0]!.message;
    expect(m.from).toMatchObject({ channelUserId: 'ES.1502576394655843', businessScopedUserId: 'ES.1502576394655843', phoneE164: '', profileName: 'Lea' });
  });

  it('refuses what is not a WhatsApp webhook, naming the problem', () => {
    expect(() => parseWhatsappWebhook({ object: 'page', entry: [] }, receivedAt)).toThrow(WebhookShapeError);
    expect(() => parseWhatsappWebhook({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: {} } }] }] }, receivedAt)).toThrow(/metadata.phone_number_id/);
    expect(() => parseWhatsappWebhook([], receivedAt)).toThrow(WebhookShapeError);
  });

  it('acknowledges fields it does not route', () => {
    const d = parseWhatsappWebhook({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED' } }] }] }, receivedAt);
    expect(d.ignoredFields).toEqual(['message_template_status_update']);
  });
});

describe('Messenger webhook normalisation', () => {
  it('text from a page webhook', () => {
    const d = parseMessengerWebhook(fixture('messenger_text.json'), receivedAt);
    expect(d.messages).toHaveLength(1);
    expect(d.messages[0]!.endpointId).toBe('PAGE_ID_551234');
    expect(d.messages[0]!.message).toMatchObject({
      messageId: 'm_AbCdEfGhIjKlMnOp',
      from: { channel: Channel.CHANNEL_MESSENGER, channelUserId: '6543210987654321' },
      content: { $case: 'text', value: { body: 'Merhaba, randevu almak istiyorum' } },
      sentAt: new Date(1763799100000),
    });
  });

  it('quick reply and postback become interactive replies; echoes are ignored', () => {
    const body = {
      object: 'page',
      entry: [
        {
          id: 'P',
          messaging: [
            { sender: { id: 'U' }, recipient: { id: 'P' }, timestamp: 1, message: { mid: 'm1', text: 'Confirm', quick_reply: { payload: 'rem:confirm:1' } } },
            { sender: { id: 'U' }, recipient: { id: 'P' }, timestamp: 2, postback: { mid: 'm2', payload: 'sched:start', title: 'Book' } },
            { sender: { id: 'P' }, recipient: { id: 'U' }, timestamp: 3, message: { mid: 'm3', text: 'echo', is_echo: true } },
          ],
        },
      ],
    };
    const d = parseMessengerWebhook(body, receivedAt);
    expect(d.messages.map((m) => m.message.content)).toEqual([
      { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: 'rem:confirm:1', title: 'Confirm', description: '' } },
      { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: 'sched:start', title: 'Book', description: '' } },
    ]);
    expect(d.ignoredFields).toEqual(['messaging']);
  });
});
