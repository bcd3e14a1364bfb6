import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type CloudApiSimulator, type SimulatorOptions } from '@careloop/cloud-api-simulator';
import { WebhookReceiver } from './webhook-receiver';

export const APP_SECRET = 'fixture-app-secret';
export const VERIFY_TOKEN = 'fixture-verify-token';
export const ACCESS_TOKEN = 'test-access-token';
export const PHONE_NUMBER_ID = '106540352242922';
export const WABA_ID = '102290129340398';

/** Copies of /work/shared/fixtures/whatsapp, byte for byte. */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as unknown;
}

export interface Harness {
  readonly sim: CloudApiSimulator;
  readonly receiver: WebhookReceiver;
  /** POSTs to the Graph messages endpoint as the gateway would. */
  send(body: unknown, options?: { readonly token?: string | null; readonly phoneNumberId?: string; readonly version?: string }): Promise<GraphResponse>;
  close(): Promise<void>;
}

export interface GraphResponse {
  readonly status: number;
  readonly body: GraphBody;
}

/** Loose view of Graph answers, enough for assertions. */
export interface GraphBody {
  readonly error?: { message: string; type: string; code: number; error_subcode?: number; error_data?: { details: string }; fbtrace_id: string };
  readonly messaging_product?: string;
  readonly contacts?: Array<{ input: string; wa_id: string; user_id?: string }>;
  readonly messages?: Array<{ id: string; message_status?: string }>;
  readonly success?: boolean;
}

export async function startHarness(options: SimulatorOptions = {}): Promise<Harness> {
  const receiver = await WebhookReceiver.start(VERIFY_TOKEN);
  const sim = await startSimulator({
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
    wabaId: WABA_ID,
    phoneNumbers: [{ id: PHONE_NUMBER_ID, displayPhoneNumber: '+34 910 000 001' }],
    webhookUrl: receiver.url,
    webhookRetry: { initialDelayMs: 10, maxDelayMs: 50 },
    ...options,
  });
  return {
    sim,
    receiver,
    async send(body, sendOptions = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const token = sendOptions.token === undefined ? ACCESS_TOKEN : sendOptions.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      const url = `${sim.url}/${sendOptions.version ?? 'v21.0'}/${sendOptions.phoneNumberId ?? PHONE_NUMBER_ID}/messages`;
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as GraphBody };
    },
    async close() {
      await sim.close();
      await receiver.close();
    },
  };
}

export function text(to: string, body: string): Record<string, unknown> {
  return { messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body } };
}

export function interactive(to: string, interactivePayload: Record<string, unknown>): Record<string, unknown> {
  return { messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'interactive', interactive: interactivePayload };
}

export function list(sections: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'list', body: { text: 'Choose a slot' }, action: { button: 'See slots', sections }, ...overrides };
}

export function rows(count: number, prefix = 'row'): Array<{ id: string; title: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, title: `Option ${i}` }));
}

export function buttons(titles: string[]): Record<string, unknown> {
  return {
    type: 'button',
    body: { text: 'Confirm your appointment?' },
    action: { buttons: titles.map((title, i) => ({ type: 'reply', reply: { id: `btn-${i}`, title } })) },
  };
}
