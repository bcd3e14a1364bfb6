import type { WhatsAppWebhook } from '@careloop/cloud-api-simulator';
import { startHarness, text, type Harness } from './support/harness';

/** A clock the test moves by hand, so limits measured in seconds are tested in milliseconds. */
function manualClock(start = Date.UTC(2026, 0, 5, 9, 0, 0)): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

const recipient = (i: number): string => `3460000${String(i).padStart(4, '0')}`;

describe('throughput limit per phone number (130429)', () => {
  const clock = manualClock();
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ now: clock.now, pairRateLimit: false, reportThroughputErrorsByWebhook: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('accepts 80 messages in a second, rejects the 81st with 130429, and recovers a second later', async () => {
    const underLimit = await Promise.all(Array.from({ length: 80 }, (_, i) => h.send(text(recipient(i), `reminder ${i}`))));
    expect(underLimit.map((r) => r.status)).toEqual(Array.from({ length: 80 }, () => 200));

    const over = await h.send(text(recipient(80), 'one too many'));
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({
      message: '(#130429) Rate limit hit',
      type: 'OAuthException',
      code: 130429,
      error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
    });

    clock.advance(999);
    expect((await h.send(text(recipient(81), 'still inside the window'))).body.error?.code).toBe(130429);
    clock.advance(1);
    expect((await h.send(text(recipient(82), 'next second'))).status).toBe(200);
  });

  it('reports the throughput error as an account-level webhook when asked to', async () => {
    const webhook = await h.receiver.waitFor('an account error webhook', () =>
      h.receiver.accepted().find((r) => (r.json as WhatsAppWebhook).entry[0]?.changes[0]?.value.errors !== undefined),
    );
    expect((webhook.json as WhatsAppWebhook).entry[0]?.changes[0]?.value.errors).toEqual([
      { code: 130429, title: 'Rate limit hit', message: '(#130429) Rate limit hit', error_data: { details: 'Cloud API message throughput has been reached.' } },
    ]);
  });

  it('counts each phone number separately', async () => {
    clock.advance(5_000);
    const other = await startHarness({
      now: clock.now,
      pairRateLimit: false,
      throughputPerSecond: 2,
      phoneNumbers: [
        { id: '1000001', displayPhoneNumber: '+1 555 000 0001' },
        { id: '1000002', displayPhoneNumber: '+1 555 000 0002' },
      ],
    });
    try {
      const a = await Promise.all([0, 1, 2].map((i) => other.send(text(recipient(i), 'a'), { phoneNumberId: '1000001' })));
      const b = await Promise.all([0, 1].map((i) => other.send(text(recipient(i), 'b'), { phoneNumberId: '1000002' })));
      expect(a.map((r) => r.body.error?.code ?? r.status)).toEqual([200, 200, 130429]);
      expect(b.map((r) => r.status)).toEqual([200, 200]);
      expect(other.sim.stats().errorsByCode).toEqual({ '130429': 1 });
    } finally {
      await other.close();
    }
  });
});

describe('pair rate limit per business number and user (131056)', () => {
  const clock = manualClock();
  let h: Harness;

  beforeAll(async () => {
    // Meta's documented defaults: 1 message per 6 s, bursts of up to 45 within 6 s.
    h = await startHarness({ now: clock.now });
  });
  afterAll(async () => {
    await h.close();
  });

  it('never trips for one message every 6 seconds', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await h.send(text('34611000001', `every 6 s #${i}`))).status).toBe(200);
      clock.advance(6_000);
    }
  });

  it('allows a burst of 45, rejects the 46th, and blocks until the burst is paid back', async () => {
    const to = '34611000002';
    for (let i = 0; i < 45; i += 1) expect((await h.send(text(to, `burst ${i}`))).status).toBe(200);

    const rejected = await h.send(text(to, 'burst 46'));
    expect(rejected.status).toBe(400);
    expect(rejected.body.error).toMatchObject({
      message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
      code: 131056,
      error_data: {
        details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
      },
    });
    // Other users of the same number are unaffected.
    expect((await h.send(text('34611000003', 'someone else'))).status).toBe(200);

    // "After a burst, you must wait the equivalent time": 45 × 6 s = 270 s from the burst's start.
    clock.advance(6_000);
    expect((await h.send(text(to, 'too early'))).body.error?.code).toBe(131056);
    clock.advance(263_999);
    expect((await h.send(text(to, 'still too early'))).body.error?.code).toBe(131056);
    clock.advance(1);
    expect((await h.send(text(to, 'paid back'))).status).toBe(200);
  });

  it('makes a short burst cost its own length: 3 quick messages block the pair for 18 s', async () => {
    const to = '34611000004';
    clock.advance(60_000);
    for (let i = 0; i < 3; i += 1) expect((await h.send(text(to, `quick ${i}`))).status).toBe(200);
    clock.advance(7_000);
    expect((await h.send(text(to, 'after the window, inside the debt'))).body.error?.code).toBe(131056);
    clock.advance(11_000);
    expect((await h.send(text(to, 'debt paid'))).status).toBe(200);
  });

  it('takes its interval and burst from options', async () => {
    const custom = await startHarness({ now: clock.now, pairRateLimit: { intervalMs: 1_000, burst: 2, burstWindowMs: 1_000 } });
    try {
      expect((await custom.send(text('34611000005', 'a'))).status).toBe(200);
      expect((await custom.send(text('34611000005', 'b'))).status).toBe(200);
      expect((await custom.send(text('34611000005', 'c'))).body.error?.code).toBe(131056);
      clock.advance(2_000);
      expect((await custom.send(text('34611000005', 'd'))).status).toBe(200);
    } finally {
      await custom.close();
    }
  });

  it('does not charge a request that the pair limit rejected to the throughput budget', async () => {
    const tight = await startHarness({ now: clock.now, throughputPerSecond: 2, pairRateLimit: { intervalMs: 6_000, burst: 1, burstWindowMs: 6_000 } });
    try {
      expect((await tight.send(text('34611000006', 'first'))).status).toBe(200);
      expect((await tight.send(text('34611000006', 'pair-limited'))).body.error?.code).toBe(131056);
      expect((await tight.send(text('34611000007', 'fits the throughput budget'))).status).toBe(200);
    } finally {
      await tight.close();
    }
  });
});
