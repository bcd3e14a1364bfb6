import type { InboundMessage, WhatsAppWebhook } from '@careloop/cloud-api-simulator';
import { runCli, type CliIo } from '../src/cli';
import { buttons, interactive, startHarness, type Harness } from './support/harness';

function collect(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe('careloop-sim CLI', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** A bot that answers every text with reply buttons, the way the gateway would. */
  function answerNextMessage(): Promise<void> {
    const seen = h.receiver.received.length;
    return h.receiver
      .waitFor('the patient message', () => h.receiver.received.slice(seen).find((r) => (r.json as WhatsAppWebhook).entry[0]?.changes[0]?.value.messages !== undefined))
      .then(async (webhook) => {
        const message = (webhook.json as WhatsAppWebhook).entry[0]?.changes[0]?.value.messages?.[0] as InboundMessage;
        await h.send(interactive(message.from ?? '', buttons(['Sí', 'No'])));
      });
  }

  it('say: posts the patient message and prints the bot answer as it arrives', async () => {
    const io = collect();
    const [code] = await Promise.all([
      runCli(['say', '--sim', h.sim.url, '--from', '34600111222', '--name', 'Lucía', '--wait-ms', '300', 'Hola'], io),
      answerNextMessage(),
    ]);
    expect(code).toBe(0);
    expect(io.errors).toEqual([]);
    expect(io.lines.join('\n')).toMatch(/→ bot: Confirm your appointment\?\n\s+\[ Sí ‹btn-0› \] \[ No ‹btn-1› \]/);
    const inbound = h.sim.transcript('34600111222').find((e) => e.kind === 'inbound');
    expect(inbound).toMatchObject({ userName: 'Lucía', text: 'Hola' });
  });

  it('say --button-reply presses a button the patient received, and reports silence', async () => {
    await Promise.all([runCli(['say', '--sim', h.sim.url, '--from', '34600111222', '--wait-ms', '100', 'Hola'], collect()), answerNextMessage()]);
    const io = collect();
    const code = await runCli(['say', '--sim', h.sim.url, '--from', '34600111222', '--timeout-ms', '400', '--button-reply', 'btn-1'], io);
    expect(code).toBe(0);
    expect(io.lines).toEqual(['(no answer within 0.4 s)']);
    expect(h.sim.renderTranscript('34600111222')).toContain('☑ [ No ] ‹btn-1›');
  });

  it('transcript prints the rendered conversation, or JSON', async () => {
    await h.sim.patient({ waId: '34600111222', profileName: 'Ana' }).sendText('hola');
    const io = collect();
    expect(await runCli(['transcript', '--sim', h.sim.url, '--user', '34600111222'], io)).toBe(0);
    expect(io.lines[0]).toMatch(/← Ana: hola$/);
    const json = collect();
    await runCli(['transcript', '--sim', h.sim.url, '--user', '34600111222', '--json'], json);
    expect(JSON.parse(json.lines[0] ?? '[]')).toEqual([expect.objectContaining({ kind: 'inbound', text: 'hola' })]);
  });

  it('fails with a message on bad usage', async () => {
    const io = collect();
    expect(await runCli(['say', '--sim', h.sim.url, 'no sender'], io)).toBe(1);
    expect(io.errors.join('\n')).toContain('--from is required');
    expect(await runCli(['nonsense'], collect())).toBe(2);
  });
});
