import { buttons, interactive, list, rows, startHarness, text, type Harness } from './support/harness';
import { anyString, matching } from './support/matchers';

const TO = '34600111222';
const chars = (n: number, c = 'a'): string => c.repeat(n);

describe('Graph API send validation', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ pairRateLimit: false, throughputPerSecond: 10_000 });
  });
  afterAll(async () => {
    await h.close();
  });

  async function expectRejected(body: unknown, code: number, details: RegExp): Promise<void> {
    const response = await h.send(body);
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe(code);
    expect(response.body.error?.type).toBe('OAuthException');
    expect(response.body.error?.fbtrace_id).toEqual(anyString());
    const said = `${response.body.error?.message ?? ''} ${response.body.error?.error_data?.details ?? ''}`;
    expect(said).toMatch(details);
  }

  async function expectAccepted(body: unknown): Promise<void> {
    const response = await h.send(body);
    expect(response.body.error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.body.messages?.[0]?.id).toMatch(/^wamid\./);
  }

  describe('list messages', () => {
    const oneSection = (rowList: unknown[], title?: string): unknown[] => [{ ...(title !== undefined ? { title } : {}), rows: rowList }];

    it.each([
      ['button text over 20', list(oneSection(rows(1)), { action: { button: chars(21), sections: oneSection(rows(1)) } }), /List button text length invalid\. Min length: 1, Max length: 20/],
      ['no sections', list([]), /Invalid sections count\. Min allowed sections: 1, Max allowed sections: 10/],
      [
        '11 sections',
        list(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [{ id: `r${i}`, title: 'x' }] }))),
        /Invalid sections count\. Min allowed sections: 1, Max allowed sections: 10/,
      ],
      [
        '11 rows across sections',
        list([
          { title: 'Mon', rows: rows(6, 'mon') },
          { title: 'Tue', rows: rows(5, 'tue') },
        ]),
        /Total row count exceed max allowed count: 10/,
      ],
      ['row title over 24', list(oneSection([{ id: 'r', title: chars(25) }])), /Row title is too long\. Max length is 24 \(action\.sections\[0\]\.rows\[0\]\.title has 25 characters\)/],
      ['row description over 72', list(oneSection([{ id: 'r', title: 't', description: chars(73) }])), /Row description is too long\. Max length is 72/],
      ['row id over 200', list(oneSection([{ id: chars(201), title: 't' }])), /Row id is too long\. Max length is 200/],
      ['section title over 24', list(oneSection(rows(1), chars(25))), /Section title is too long\. Max length is 24/],
      [
        'missing section title with two sections',
        list([{ title: 'Mon', rows: rows(1, 'a') }, { rows: rows(1, 'b') }]),
        /Section title is required when a list has more than one section \(action\.sections\[1\]\.title\)/,
      ],
      ['duplicate row ids', list(oneSection([{ id: 'same', title: 'a' }, { id: 'same', title: 'b' }])), /Row ids must be unique/],
      ['body over 1024', list(oneSection(rows(1)), { body: { text: chars(1025) } }), /Body text length invalid\. Min length: 1, Max length: 1024/],
      ['header over 60', list(oneSection(rows(1)), { header: { type: 'text', text: chars(61) } }), /Header text length invalid\. Min length: 1, Max length: 60/],
      ['footer over 60', list(oneSection(rows(1)), { footer: { text: chars(61) } }), /Footer text length invalid\. Min length: 1, Max length: 60/],
      ['media header on a list', list(oneSection(rows(1)), { header: { type: 'image', image: { link: 'https://x.test/a.png' } } }), /Header type must be text for list messages/],
    ])('rejects %s with 131009', async (_name, payload, details) => {
      await expectRejected(interactive(TO, payload), 131009, details);
    });

    it('answers 131009 with the Cloud API error title', async () => {
      const response = await h.send(interactive(TO, list([])));
      expect(response.body.error?.message).toBe('(#131009) Parameter value is not valid');
      expect(response.body.error?.error_data).toEqual({ messaging_product: 'whatsapp', details: anyString() });
    });

    it('accepts every limit at its boundary', async () => {
      const tenRows = [
        { title: chars(24, 's'), rows: Array.from({ length: 9 }, (_, i) => ({ id: `${chars(198, 'i')}-${i}`, title: chars(24, 'é'), description: chars(72, 'd') })) },
        { title: 'Other', rows: [{ id: 'last', title: 'Last 🙂' }] },
      ];
      await expectAccepted(
        interactive(
          TO,
          list(tenRows, {
            header: { type: 'text', text: chars(60) },
            body: { text: chars(1024) },
            footer: { text: chars(60) },
            action: { button: chars(20), sections: tenRows },
          }),
        ),
      );
      await expectAccepted(interactive(TO, list(Array.from({ length: 10 }, (_, i) => ({ title: `S${i}`, rows: [{ id: `r${i}`, title: 'x' }] })))));
      await expectAccepted(interactive(TO, list(oneSection(rows(1)))));
    });

    it('counts characters, not UTF-16 units or bytes', async () => {
      // 24 emoji are 48 UTF-16 units and 96 bytes, but 24 characters.
      await expectAccepted(interactive(TO, list(oneSection([{ id: 'e', title: '🙂'.repeat(24) }]))));
      await expectRejected(interactive(TO, list(oneSection([{ id: 'e', title: '🙂'.repeat(25) }]))), 131009, /Row title is too long/);
    });
  });

  describe('reply buttons', () => {
    it.each([
      ['no buttons', buttons([]), /Invalid buttons count\. Min allowed buttons: 1, Max allowed buttons: 3/],
      ['four buttons', buttons(['A', 'B', 'C', 'D']), /Invalid buttons count\. Min allowed buttons: 1, Max allowed buttons: 3/],
      ['title over 20', buttons([chars(21)]), /Button title length invalid\. Min length: 1, Max length: 20/],
      ['empty title', buttons(['']), /Button title length invalid\. Min length: 1, Max length: 20/],
      ['duplicate titles', buttons(['Confirm', 'Confirm']), /Button titles must be unique/],
      [
        'id over 256',
        { type: 'button', body: { text: 'b' }, action: { buttons: [{ type: 'reply', reply: { id: chars(257), title: 'ok' } }] } },
        /Button id length invalid\. Min length: 1, Max length: 256/,
      ],
      [
        'duplicate ids',
        {
          type: 'button',
          body: { text: 'b' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'rem:confirm:1', title: 'Confirm' } },
              { type: 'reply', reply: { id: 'rem:confirm:1', title: 'Cancel' } },
            ],
          },
        },
        /Button ids must be unique/,
      ],
      ['body over 1024', { ...buttons(['A']), body: { text: chars(1025) } }, /Body text length invalid/],
    ])('rejects %s with 131009', async (_name, payload, details) => {
      await expectRejected(interactive(TO, payload), 131009, details);
    });

    it('accepts three buttons with 20-character titles and 256-character ids', async () => {
      await expectAccepted(
        interactive(TO, {
          type: 'button',
          header: { type: 'image', image: { id: '1234' } },
          body: { text: chars(1024) },
          footer: { text: chars(60) },
          action: {
            buttons: ['a', 'b', 'c'].map((c) => ({ type: 'reply', reply: { id: chars(256, c), title: chars(20, c) } })),
          },
        }),
      );
    });
  });

  describe('other message types', () => {
    it('rejects a text body over 4096 characters with code 100 and accepts 4096', async () => {
      await expectRejected(text(TO, chars(4097)), 100, /\(#100\) Param text\['body'\] must be at most 4096 characters long\./);
      await expectAccepted(text(TO, chars(4096)));
    });

    it('defaults a missing type to text, as Meta does', async () => {
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, text: { body: 'hi' } });
    });

    it('rejects a missing messaging_product and an unknown type with code 100', async () => {
      await expectRejected({ to: TO, type: 'text', text: { body: 'x' } }, 100, /The parameter messaging_product is required/);
      await expectRejected({ messaging_product: 'whatsapp', to: TO, type: 'carousel' }, 100, /Param type must be one of/);
      await expectRejected({ messaging_product: 'whatsapp', to: TO, type: 'interactive', interactive: { type: 'list', body: { text: 'x' } } }, 100, /The parameter interactive\['action'\] is required/);
    });

    it('accepts media by id or link but not both or neither', async () => {
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, type: 'image', image: { link: 'https://example.test/x.jpg', caption: 'x' } });
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, type: 'document', document: { id: '99', filename: 'results.pdf' } });
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, type: 'sticker', sticker: { id: '98' } });
      await expectRejected({ messaging_product: 'whatsapp', to: TO, type: 'audio', audio: {} }, 131008, /Either id or link is required/);
      await expectRejected({ messaging_product: 'whatsapp', to: TO, type: 'video', video: { id: '1', link: 'https://x.test/v.mp4' } }, 100, /either id or link, not both/);
    });

    it('accepts location, contacts and reactions', async () => {
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, type: 'location', location: { latitude: 40.4168, longitude: -3.7038, name: 'Hospital' } });
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, type: 'contacts', contacts: [{ name: { formatted_name: 'Front desk' }, phones: [{ phone: '+34910000001' }] }] });
      await expectAccepted({ messaging_product: 'whatsapp', to: TO, type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '👍' } });
      await expectRejected({ messaging_product: 'whatsapp', to: TO, type: 'location', location: { latitude: 91, longitude: 0 } }, 131009, /Invalid latitude/);
    });

    it('rejects a malformed phone number', async () => {
      await expectRejected(text('12ab', 'x'), 131009, /Invalid WhatsApp user phone number/);
    });
  });

  describe('authentication and phone numbers', () => {
    it('answers 401 with code 190 for a wrong or missing token', async () => {
      const wrong = await h.send(text(TO, 'x'), { token: 'not-the-token' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toMatchObject({ code: 190, type: 'OAuthException', message: 'Invalid OAuth access token - Cannot parse access token' });
      const missing = await h.send(text(TO, 'x'), { token: null });
      expect(missing.status).toBe(401);
      expect(missing.body.error?.code).toBe(190);
    });

    it('accepts the token as an access_token query parameter', async () => {
      const response = await fetch(`${h.sim.url}/v21.0/106540352242922/messages?access_token=test-access-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(text(TO, 'via query')),
      });
      expect(response.status).toBe(200);
    });

    it('answers an unknown phone number id with code 100, subcode 33', async () => {
      const response = await h.send(text(TO, 'x'), { phoneNumberId: '999' });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(response.body.error?.message).toContain("Object with ID '999' does not exist");
    });
  });

  describe('success responses', () => {
    it('answers exactly as Meta: input as given, wa_id as digits, one wamid', async () => {
      const response = await h.send(text('+34 600 111 222', 'Hola'));
      expect(response.body).toEqual({
        messaging_product: 'whatsapp',
        contacts: [{ input: '+34 600 111 222', wa_id: '34600111222' }],
        messages: [{ id: matching(/^wamid\.[A-Za-z0-9+/]+=*$/) }],
      });
    });

    it('issues unique wamids that decode to the recipient', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i += 1) {
        const response = await h.send(text(TO, `n${i}`));
        ids.add(response.body.messages?.[0]?.id ?? '');
      }
      expect(ids.size).toBe(20);
      const [first] = [...ids];
      expect(Buffer.from((first ?? '').slice('wamid.'.length), 'base64').toString('latin1')).toContain(TO);
    });

    it('marks an inbound message as read with { success: true }', async () => {
      const patient = h.sim.patient({ waId: '34600999888', profileName: 'Ana' });
      const inbound = await patient.sendText('hola');
      const response = await h.send({ messaging_product: 'whatsapp', status: 'read', message_id: inbound.messageId, typing_indicator: { type: 'text' } });
      expect(response).toEqual({ status: 200, body: { success: true } });
      expect(h.sim.transcript('34600999888').some((e) => e.kind === 'business-read' && e.messageId === inbound.messageId && e.typing)).toBe(true);
      const unknown = await h.send({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.nope' });
      expect(unknown.body.error?.code).toBe(100);
    });

    it('logs every request with its answer', () => {
      const requests = h.sim.requests();
      expect(requests.some((r) => r.httpStatus === 401 && r.errorCode === 190)).toBe(true);
      expect(requests.some((r) => r.httpStatus === 200 && r.messageId?.startsWith('wamid.'))).toBe(true);
      expect(h.sim.stats().errorsByCode['131009']).toBeGreaterThan(10);
    });
  });
});
