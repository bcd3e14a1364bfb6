import type { StatusObject } from '@careloop/cloud-api-simulator';
import { startHarness, text, type Harness } from './support/harness';
import { anyString } from './support/matchers';

describe('failure injection', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ pairRateLimit: false });
    // Open the customer service window so only injected failures fail.
    await h.sim.patient({ waId: '34600111222', profileName: 'Ana' }).sendText('hola');
  });
  afterEach(async () => {
    await h.close();
  });

  async function failedStatus(wamid: string): Promise<StatusObject> {
    return h.receiver.waitFor(`failed status of ${wamid}`, () => h.receiver.statuses().find((s) => s.id === wamid && s.status === 'failed'));
  }

  it('answers an injected 500 (131000) once, then succeeds', async () => {
    h.sim.injectFailure({ response: { code: 131000 } });
    const first = await h.send(text('34600111222', 'retry me'));
    expect(first.status).toBe(500);
    expect(first.body.error).toMatchObject({
      message: '(#131000) Something went wrong',
      code: 131000,
      error_data: { messaging_product: 'whatsapp', details: 'Message failed to send due to an unknown error.' },
    });
    const second = await h.send(text('34600111222', 'retry me'));
    expect(second.status).toBe(200);
    expect(h.sim.sentMessages()).toHaveLength(1);
    expect(h.sim.stats().responsesByHttpStatus).toEqual({ '200': 1, '500': 1 });
  });

  it('injects code 1 as a 500 and keeps custom messages', async () => {
    h.sim.injectFailure({ times: 2, response: { httpStatus: 500, code: 1, title: 'An unknown error occurred', message: 'An unknown error occurred' } });
    for (let i = 0; i < 2; i += 1) {
      const response = await h.send(text('34600111222', 'x'));
      expect(response.status).toBe(500);
      expect(response.body.error).toMatchObject({ code: 1, message: 'An unknown error occurred' });
    }
    expect((await h.send(text('34600111222', 'x'))).status).toBe(200);
  });

  it.each([
    [130429, 400, '(#130429) Rate limit hit'],
    [131056, 400, '(#131056) (Business Account, Consumer Account) pair rate limit hit'],
    [131048, 400, '(#131048) Spam rate limit hit'],
  ])('injects %i synchronously with HTTP %i', async (code, httpStatus, message) => {
    h.sim.injectFailure({ response: { code } });
    const response = await h.send(text('34600111222', 'x'));
    expect(response.status).toBe(httpStatus);
    expect(response.body.error).toMatchObject({ code, message });
  });

  it.each([
    [131026, 'Message Undeliverable'],
    [131047, 'Re-engagement message'],
    [131050, 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.'],
  ])('accepts the message and reports injected %i in a failed status webhook', async (code, title) => {
    h.sim.injectFailure({ response: { code } });
    const response = await h.send(text('34600111222', 'x'));
    expect(response.status).toBe(200);
    const wamid = response.body.messages?.[0]?.id ?? '';
    const failed = await failedStatus(wamid);
    expect(failed.errors).toEqual([{ code, title, message: title, error_data: { details: anyString() } }]);
    expect(h.sim.sentMessages()[0]).toMatchObject({ status: 'failed', failure: { code } });
  });

  it('drops the connection without answering', async () => {
    h.sim.injectFailure({ response: 'network-drop' });
    await expect(h.send(text('34600111222', 'x'))).rejects.toThrow();
    expect((await h.send(text('34600111222', 'x'))).status).toBe(200);
    expect(h.sim.stats().responsesByHttpStatus['dropped']).toBe(1);
  });

  it('only fails requests that match', async () => {
    await h.sim.patient({ waId: '34600333444', profileName: 'Bea' }).sendText('hola');
    h.sim.injectFailure({ match: { to: '+34 600 333 444', type: 'text' }, times: Number.POSITIVE_INFINITY, response: { code: 131000 } });
    expect((await h.send(text('34600111222', 'other user'))).status).toBe(200);
    expect((await h.send({ messaging_product: 'whatsapp', to: '34600333444', type: 'image', image: { id: '1' } })).status).toBe(200);
    expect((await h.send(text('34600333444', 'a'))).status).toBe(500);
    expect((await h.send(text('34600333444', 'b'))).status).toBe(500);
    h.sim.clearFailures();
    expect((await h.send(text('34600333444', 'c'))).status).toBe(200);
  });

  it('is driven over HTTP through /_sim/failures', async () => {
    const created = await fetch(`${h.sim.url}/_sim/failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { type: 'text' }, times: 'always', response: { code: 131000, httpStatus: 503 } }),
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { id: number }).id).toEqual(expect.any(Number));
    expect((await h.send(text('34600111222', 'x'))).status).toBe(503);
    expect((await h.send(text('34600111222', 'x'))).status).toBe(503);
    const listed = (await (await fetch(`${h.sim.url}/_sim/failures`)).json()) as Array<{ remaining: unknown }>;
    expect(listed).toEqual([expect.objectContaining({ remaining: 'always' })]);

    expect((await fetch(`${h.sim.url}/_sim/failures`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.send(text('34600111222', 'x'))).status).toBe(200);

    const bad = await fetch(`${h.sim.url}/_sim/failures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response: { httpStatus: 500 } }) });
    expect(bad.status).toBe(400);
  });

  it('serves counters of responses by code at /_sim/stats', async () => {
    h.sim.injectFailure({ response: { code: 131056 } });
    await h.send(text('34600111222', 'x'));
    await h.send(text('34600111222', 'y'));
    const stats = (await (await fetch(`${h.sim.url}/_sim/stats`)).json()) as { errorsByCode: Record<string, number>; acceptedMessages: number };
    expect(stats.errorsByCode).toEqual({ '131056': 1 });
    expect(stats.acceptedMessages).toBe(1);
    // The cheap counter a load driver polls says the same, and counts the next acceptance.
    expect(h.sim.acceptedMessageCount()).toBe(1);
    await h.send(text('34600111222', 'z'));
    expect(h.sim.acceptedMessageCount()).toBe(2);
  });
});
