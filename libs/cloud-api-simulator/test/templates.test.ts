import { startHarness, type Harness } from './support/harness';

const reminder = {
  name: 'appointment_reminder',
  language: 'es',
  category: 'utility' as const,
  header: { format: 'text' as const, text: 'Recordatorio para {{1}}' },
  body: 'Hola {{1}}, tu cita con {{2}} es el {{3}}.',
  buttons: [
    { type: 'quick_reply' as const, text: 'Confirmar' },
    { type: 'url' as const, text: 'Ver cita', url: 'https://h.example/citas/{{1}}' },
  ],
};

function templateSend(name: string, code: string, components?: unknown[]): Record<string, unknown> {
  return { messaging_product: 'whatsapp', to: '34600111222', type: 'template', template: { name, language: { code }, ...(components ? { components } : {}) } };
}

const body = (...values: string[]): Record<string, unknown> => ({ type: 'body', parameters: values.map((t) => ({ type: 'text', text: t })) });
const header = (...values: string[]): Record<string, unknown> => ({ type: 'header', parameters: values.map((t) => ({ type: 'text', text: t })) });
const urlButton = { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'abc123' }] };

describe('approved templates', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ templates: [reminder], pairRateLimit: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('rejects an unknown template, or a known one in another language, with 132001 and HTTP 404', async () => {
    for (const [name, code] of [
      ['no_such_template', 'es'],
      ['appointment_reminder', 'en_US'],
    ] as const) {
      const response = await h.send(templateSend(name, code));
      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({
        code: 132001,
        message: '(#132001) Template name does not exist in the translation',
        error_data: { details: `template name (${name}) does not exist in ${code}` },
      });
    }
  });

  it('rejects parameter-count mismatches with 132000, naming the component', async () => {
    const cases: Array<[unknown[], string]> = [
      [[header('Ana'), body('Ana', 'Dra. García'), urlButton], 'body: number of localizable_params (2) does not match the expected number of params (3)'],
      [[body('Ana', 'Dra. García', 'martes'), urlButton], 'header: number of localizable_params (0) does not match the expected number of params (1)'],
      [[header('Ana'), body('Ana', 'Dra. García', 'martes')], 'button 1: number of localizable_params (0) does not match the expected number of params (1)'],
    ];
    for (const [components, details] of cases) {
      const response = await h.send(templateSend('appointment_reminder', 'es', components));
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 132000, message: '(#132000) Number of parameters does not match the expected number of params', error_data: { details } });
    }
  });

  it('accepts matching parameters, renders them for the patient, and defaults the quick-reply payload to its text', async () => {
    const response = await h.send(templateSend('appointment_reminder', 'es', [header('Ana'), body('Ana', 'Dra. García', 'martes 09:30'), urlButton]));
    expect(response.status).toBe(200);
    const patient = h.sim.patient({ waId: '34600111222', profileName: 'Ana' });
    const seen = await patient.waitForMessage((m) => m.type === 'template');
    expect(seen.text).toBe('[template appointment_reminder/es]\nRecordatorio para Ana\nHola Ana, tu cita con Dra. García es el martes 09:30.\n[ Confirmar ‹Confirmar› ] [ Ver cita ↗ ]');
    expect(seen.template?.quickReplies).toEqual([{ index: 0, text: 'Confirmar', payload: 'Confirmar' }]);
  });

  it("always knows Meta's hello_world sample", async () => {
    expect((await h.send(templateSend('hello_world', 'en_US'))).status).toBe(200);
    expect(h.sim.templates().map((t) => t.name)).toContain('hello_world');
  });

  it('registers templates over HTTP', async () => {
    const created = await fetch(`${h.sim.url}/_sim/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lab_results_ready', language: 'de', category: 'utility', body: 'Ihre Ergebnisse sind da, {{1}}.' }),
    });
    expect(created.status).toBe(201);
    expect((await h.send(templateSend('lab_results_ready', 'de', [body('Jürgen')]))).status).toBe(200);
  });
});
