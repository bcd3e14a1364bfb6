import type { TranscriptEntry } from '@careloop/cloud-api-simulator';
import { interactive, list, startHarness, text, type Harness } from './support/harness';
import { matching } from './support/matchers';

describe('transcripts and what the patient sees', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ pairRateLimit: false });
  });
  afterEach(async () => {
    await h.close();
  });

  /** A bot turn: answer the patient's latest message. */
  async function botSends(body: Record<string, unknown>): Promise<string> {
    const response = await h.send(body);
    expect(response.status).toBe(200);
    return response.body.messages?.[0]?.id ?? '';
  }

  it('records both directions in order, with interactive content rendered', async () => {
    const lucia = h.sim.patient({ waId: '34600111222', profileName: 'Lucía' });
    await lucia.sendText('Hola');
    const menu = await botSends(
      interactive('34600111222', {
        type: 'button',
        body: { text: '¿Qué necesitas?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'sched:start', title: 'Pedir cita' } },
            { type: 'reply', reply: { id: 'route:agent', title: 'Hablar con alguien' } },
          ],
        },
      }),
    );
    await lucia.waitForMessage((m) => m.wamid === menu);
    await lucia.replyButton('sched:start');
    const slots = await botSends(
      interactive(
        '34600111222',
        list(
          [
            { title: 'Martes', rows: [{ id: 'sched:slot:1', title: 'Mar 09:30', description: 'Dra. García · Cardiología' }] },
            { title: 'Miércoles', rows: [{ id: 'sched:slot:2', title: 'Mié 11:00' }] },
          ],
          { header: { type: 'text', text: 'Cardiología' }, footer: { text: 'Hospital Central' } },
        ),
      ),
    );
    await lucia.waitForMessage((m) => m.wamid === slots);
    await lucia.replyList('sched:slot:2');
    await h.sim.whenIdle();

    const entries = h.sim.transcript('34600111222');
    const flow = entries.flatMap((e) => (e.kind === 'inbound' || e.kind === 'outbound' ? [`${e.kind}:${e.messageType}`] : []));
    expect(flow).toEqual(['inbound:text', 'outbound:interactive/button', 'inbound:interactive/button_reply', 'outbound:interactive/list', 'inbound:interactive/list_reply']);
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b));

    // Each message's statuses come after the message, in lifecycle order.
    const statusOrder = (id: string): string[] => entries.filter((e): e is Extract<TranscriptEntry, { kind: 'status' }> => e.kind === 'status' && e.messageId === id).map((e) => e.status);
    expect(statusOrder(menu)).toEqual(['sent', 'delivered', 'read']);
    const menuIndex = entries.findIndex((e) => e.kind === 'outbound' && e.messageId === menu);
    expect(entries.findIndex((e) => e.kind === 'status' && e.messageId === menu)).toBeGreaterThan(menuIndex);

    const rendered = h.sim.renderTranscript('34600111222', { statuses: false });
    expect(rendered).toMatch(/← Lucía: Hola\n/);
    expect(rendered).toContain('→ bot: ¿Qué necesitas?');
    expect(rendered).toContain('[ Pedir cita ‹sched:start› ] [ Hablar con alguien ‹route:agent› ]');
    expect(rendered).toContain('← Lucía: ☑ [ Pedir cita ] ‹sched:start›');
    expect(rendered).toContain('*Cardiología*');
    expect(rendered).toContain('[≡ See slots]');
    expect(rendered).toContain('• Mar 09:30 — Dra. García · Cardiología ‹sched:slot:1›');
    expect(rendered).toContain('← Lucía: ☑ Mié 11:00 ‹sched:slot:2›');
    expect(rendered).not.toContain('delivered');
    expect(h.sim.renderTranscript('34600111222')).toContain('✓✓ delivered');
  });

  it('shows failures in the transcript and keeps them from the patient', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    const wamid = await botSends(text('34600111222', 'Your results are ready'));
    await h.receiver.waitFor('the failed status', () => h.receiver.statuses().find((s) => s.id === wamid && s.status === 'failed'));
    expect(patient.messages()).toEqual([]);
    expect(h.sim.renderTranscript('34600111222')).toMatch(/✗ failed \(131047 Re-engagement message\)/);
  });

  it('gives the patient lastMessage, nextMessage and waitForMessage', async () => {
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    await patient.sendText('hola');
    await botSends(text('34600111222', 'uno'));
    await botSends(text('34600111222', 'dos'));
    expect((await patient.nextMessage()).body).toBe('uno');
    expect((await patient.nextMessage()).body).toBe('dos');
    expect(patient.lastMessage()?.body).toBe('dos');

    const pending = patient.nextMessage(2_000);
    await botSends(text('34600111222', 'tres'));
    expect((await pending).body).toBe('tres');

    await patient.sendText('gracias');
    // Only answers to the latest message count: "uno" came before it.
    await expect(patient.waitForMessage((m) => m.body === 'uno', 100)).rejects.toThrow(/Timed out after 100 ms.*\n.*uno/s);
    const waiting = patient.waitForMessage((m) => m.body?.startsWith('De nada') === true, 2_000);
    await botSends(text('34600111222', 'De nada, Ana'));
    expect((await waiting).text).toBe('De nada, Ana');
  });

  it('finds a username-only patient by business-scoped id', async () => {
    const lea = h.sim.patient({ bsuid: 'ES.1502576394655843', username: 'lea.m', profileName: 'Lea' });
    await lea.sendText('Bonjour');
    expect(h.sim.transcript('ES.1502576394655843').map((e) => e.kind)).toEqual(['inbound']);
    expect(lea.renderTranscript()).toContain('← Lea: Bonjour');
  });

  it('lets another process chat through the admin routes', async () => {
    const said = await fetch(`${h.sim.url}/_sim/patients/34600777888/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'text', text: 'Hola', name: 'Lucía' }),
    });
    expect(said.status).toBe(200);
    const saidBody = (await said.json()) as { messageId: string; transcriptSeq: number; webhook: { outcome: string } };
    expect(saidBody).toMatchObject({ messageId: matching(/^wamid\./), webhook: { outcome: 'delivered' } });
    expect(h.receiver.received.at(-1)?.raw.toString('utf8')).toContain('"name":"Lucía"');

    await botSends(
      interactive('34600777888', list([{ rows: [{ id: 'lang:es', title: 'Español' }, { id: 'lang:en', title: 'English' }] }])),
    );
    await h.sim.patient({ waId: '34600777888', profileName: 'Lucía' }).waitForMessage();
    const replied = await fetch(`${h.sim.url}/_sim/patients/34600777888/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'list_reply', replyId: 'lang:es' }),
    });
    expect(replied.status).toBe(200);

    const newer = (await (await fetch(`${h.sim.url}/_sim/transcripts/34600777888?afterSeq=${saidBody.transcriptSeq}`)).json()) as { entries: TranscriptEntry[]; text: string };
    expect(newer.entries.filter((e) => e.kind !== 'status').map((e) => e.kind)).toEqual(['outbound', 'inbound']);
    expect(newer.text).toContain('☑ Español ‹lang:es›');

    const plain = await fetch(`${h.sim.url}/_sim/transcripts/34600777888?format=text`);
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await plain.text()).toMatch(/← Lucía: Hola/);

    const unknownRow = await fetch(`${h.sim.url}/_sim/patients/34600777888/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'list_reply', replyId: 'lang:fr' }),
    });
    expect(unknownRow.status).toBe(409);
    const invalid = await fetch(`${h.sim.url}/_sim/patients/34600777888/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'text' }) });
    expect(invalid.status).toBe(400);
  });

  it('changes the webhook URL over HTTP', async () => {
    const response = await fetch(`${h.sim.url}/_sim/webhook`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/elsewhere' }) });
    expect(await response.json()).toEqual({ webhookUrl: 'http://127.0.0.1:9/elsewhere' });
    expect(h.sim.webhookUrl).toBe('http://127.0.0.1:9/elsewhere');
  });
});
