import { Channel, type OutboundMessageCommand } from '@careloop/contracts';
import { validateWhatsappContent } from '../src/channels/whatsapp/limits';
import { toCloudApiMessage } from '../src/channels/whatsapp/payload';
import { classifyMetaError } from '../src/channels/meta-graph';
import { signMetaPayload, verifyMetaSignature } from '../src/domain/signature';
import { nameBasedId as eventIdFor } from '@careloop/bus';

const rows = (n: number, title = 'Tue 09:30') => Array.from({ length: n }, (_, i) => ({ id: `sched:slot:${i}`, title, description: '' }));
const list = (sections: { title: string; rows: { id: string; title: string; description: string }[] }[], button = 'Choose a time'): OutboundMessageCommand['content'] => ({
  $case: 'interactiveList',
  value: { header: '', body: 'Available times', footer: '', button, sections },
});
const buttons = (titles: string[]): OutboundMessageCommand['content'] => ({
  $case: 'replyButtons',
  value: { header: '', body: 'Your appointment tomorrow at 09:30', footer: '', buttons: titles.map((title, i) => ({ id: `rem:${i}`, title })) },
});

describe('WhatsApp limits', () => {
  it('accepts a list at the limits: 10 rows, 24-character titles, 72-character descriptions, 20-character button', () => {
    const atLimit = rows(10, 'x'.repeat(24)).map((r) => ({ ...r, description: 'd'.repeat(72) }));
    expect(validateWhatsappContent(list([{ title: 'Cardiology', rows: atLimit }], 'b'.repeat(20)))).toEqual([]);
  });

  it.each([
    ['11 rows across sections', list([{ title: 'A', rows: rows(6) }, { title: 'B', rows: rows(5).map((r) => ({ ...r, id: `${r.id}b` })) }]), /11 rows in total; WhatsApp allows 10/],
    ['a 25-character row title', list([{ title: '', rows: [{ id: 'a', title: 'x'.repeat(25), description: '' }] }]), /row 1 title is 25 characters; WhatsApp allows 24/],
    ['a 73-character description', list([{ title: '', rows: [{ id: 'a', title: 't', description: 'x'.repeat(73) }] }]), /row 1 description is 73 characters; WhatsApp allows 72/],
    ['a 21-character button', list([{ title: '', rows: rows(1) }], 'x'.repeat(21)), /list button is 21 characters; WhatsApp allows 20/],
    ['two sections without titles', list([{ title: '', rows: rows(1) }, { title: '', rows: [{ id: 'z', title: 't', description: '' }] }]), /section 1 title is required/],
    ['duplicate row ids', list([{ title: '', rows: [{ id: 'a', title: 't', description: '' }, { id: 'a', title: 'u', description: '' }] }]), /row ids must be unique/],
  ])('refuses a list with %s', (_what, content, problem) => {
    expect(validateWhatsappContent(content).join('\n')).toMatch(problem);
  });

  it('counts characters, not UTF-16 units: 24 emoji fit a row title', () => {
    expect(validateWhatsappContent(list([{ title: '', rows: [{ id: 'a', title: '🙂'.repeat(24), description: '' }] }]))).toEqual([]);
  });

  it('accepts 3 distinct buttons of 20 characters and refuses 4, long or repeated titles', () => {
    expect(validateWhatsappContent(buttons(['Confirm', 'Reschedule', 'x'.repeat(20)]))).toEqual([]);
    expect(validateWhatsappContent(buttons(['a', 'b', 'c', 'd'])).join()).toMatch(/4 reply buttons; WhatsApp allows 3/);
    expect(validateWhatsappContent(buttons(['x'.repeat(21)])).join()).toMatch(/button 1 title is 21 characters/);
    expect(validateWhatsappContent(buttons(['Yes', 'Yes'])).join()).toMatch(/titles must be unique/);
  });

  it('refuses a text body over 4096 characters and a list body over 1024', () => {
    expect(validateWhatsappContent({ $case: 'text', value: { body: 'x'.repeat(4097), previewUrl: false } }).join()).toMatch(/4097 characters; WhatsApp allows 4096/);
    const long = list([{ title: '', rows: rows(1) }]);
    if (long?.$case === 'interactiveList') long.value.body = 'x'.repeat(1025);
    expect(validateWhatsappContent(long).join()).toMatch(/list body is 1025 characters/);
  });
});

describe('Cloud API payloads', () => {
  const command = (content: OutboundMessageCommand['content']): OutboundMessageCommand =>
    ({ commandId: 'cmd-1', from: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '', accountId: '' }, to: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600111222', phoneE164: '' }, content, replyToMessageId: '', templateFallback: undefined }) as unknown as OutboundMessageCommand;

  it('maps a list to Meta’s interactive list shape and carries the command id back', () => {
    const c = list([{ title: 'Mornings', rows: [{ id: 'sched:slot:1', title: 'Tue 09:30', description: 'Dr. García' }] }]);
    expect(toCloudApiMessage(command(c), c!)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '34600111222',
      biz_opaque_callback_data: 'cmd-1',
      type: 'interactive',
      interactive: { type: 'list', body: { text: 'Available times' }, action: { button: 'Choose a time', sections: [{ title: 'Mornings', rows: [{ id: 'sched:slot:1', title: 'Tue 09:30', description: 'Dr. García' }] }] } },
    });
  });

  it('maps mark-as-read with the typing indicator', () => {
    const c: OutboundMessageCommand['content'] = { $case: 'markRead', value: { messageId: 'wamid.X', typingIndicator: true } };
    expect(toCloudApiMessage(command(c), c)).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X', typing_indicator: { type: 'text' } });
  });
});

describe('Meta error classes', () => {
  it.each([
    [400, 130429, 'throttled'],
    [400, 131056, 'throttled'],
    [500, 131000, 'transient'],
    [503, 0, 'transient'],
    [400, 131026, 'permanent'],
    [400, 131047, 'permanent'],
    [400, 131050, 'permanent'],
    [400, 100, 'permanent'],
  ] as const)('HTTP %i code %i is %s', (status, code, expected) => {
    expect(classifyMetaError(status, code)).toBe(expected);
  });
});

describe('webhook signature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}],"name":"José"}');
  it('accepts the HMAC of the raw bytes under any secret of the rotation', () => {
    expect(verifyMetaSignature(body, signMetaPayload(body, 'old-secret'), ['new-secret', 'old-secret'])).toBe(true);
  });
  it.each([
    ['missing', undefined],
    ['sha1 scheme', 'sha1=' + 'a'.repeat(40)],
    ['too short', 'sha256=abcd'],
    ['another secret', signMetaPayload(body, 'someone-else')],
    ['the same JSON re-serialised', signMetaPayload(JSON.stringify(JSON.parse(body.toString())).replace('José', 'Jos\\u00e9'), 'old-secret')],
  ])('refuses a %s signature', (_what, header) => {
    expect(verifyMetaSignature(body, header, ['old-secret'])).toBe(false);
  });
});

describe('event ids', () => {
  it('are stable name-based UUIDs: same message, same id', () => {
    const a = eventIdFor('t1', 'whatsapp', 'message', 'wamid.1');
    expect(a).toBe(eventIdFor('t1', 'whatsapp', 'message', 'wamid.1'));
    expect(a).not.toBe(eventIdFor('t2', 'whatsapp', 'message', 'wamid.1'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
