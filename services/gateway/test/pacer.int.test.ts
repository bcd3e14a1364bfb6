import { connectRedis, type Redis } from '@careloop/store';
import { infraEnv, uniqueName } from '@careloop/testing';
import { PairRateLimiter } from '@careloop/cloud-api-simulator';
import { Pacer } from '../src/adapters/pacer';

describe('pacer against real Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await connectRedis({ url: infraEnv().REDIS_URL, keyPrefix: `careloop:${uniqueName('pacer-test')}:` });
  });
  afterAll(() => redis.quit());

  it('grants at most rate x time + burst slots that are due now in a tight loop, and refuses the rest', async () => {
    const pacer = new Pacer(redis);
    const limit = { perSecond: 970, burst: 30 };
    const key = uniqueName('number');
    let admitted = 0;
    let refusals = 0;
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      // A deadline of now: only a slot due at once is taken.
      const wait = await pacer.reserve(key, limit, Date.now());
      if (wait === undefined) refusals++;
      else {
        admitted++;
        expect(wait).toBe(0);
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    expect(refusals).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(Math.ceil(limit.perSecond * elapsed) + limit.burst + 1);
  });

  it('reserves evenly spaced slots: a burst at once, then one every interval; a slot past the deadline is refused and takes nothing', async () => {
    const pacer = new Pacer(redis);
    const key = uniqueName('number');
    const limit = { perSecond: 100, burst: 3 };
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) waits.push((await pacer.reserve(key, limit)) ?? -1);
    // The burst's three go now; then 10 ms apart, less the few ms between two calls (each wait is from its own "now").
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    for (let i = 3; i < 8; i++) {
      expect(waits[i]! - waits[i - 1]!).toBeGreaterThanOrEqual(4);
      expect(waits[i]! - waits[i - 1]!).toBeLessThanOrEqual(11);
    }
    // The next slot is ~60 ms away: a caller with 20 ms left is refused, and the slot stays for the next caller.
    expect(await pacer.reserve(key, limit, Date.now() + 20)).toBeUndefined();
    const next = await pacer.reserve(key, limit);
    expect(next! - waits[7]!).toBeGreaterThanOrEqual(2);
    expect(next! - waits[7]!).toBeLessThanOrEqual(11);
  });

  it('per person, lets a burst go and then holds the pair until the burst is paid back (Meta’s pair rule)', async () => {
    const pacer = new Pacer(redis);
    const key = uniqueName('pair');
    const limit = { intervalMs: 1_000, burst: 3, burstWindowMs: 400, marginMs: 100 };
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await pacer.tryAcquire(key, limit));
    // Three go; the fourth waits for 3 x 1 s + 100 ms from the first, less the few ms this loop took.
    expect(burst.slice(0, 3)).toEqual([0, 0, 0]);
    expect(burst[3]).toBeGreaterThan(3_000);
    expect(burst[3]).toBeLessThanOrEqual(3_100);
    // After the window, still held until the pay-back time (a GCRA would let one go per interval).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const held = await pacer.tryAcquire(key, limit);
    expect(held).toBeGreaterThan(1_800);
    expect(held).toBeLessThanOrEqual(2_000);
  });

  it('per person, starts a new burst once the last is paid back, even inside a window longer than the pay-back', async () => {
    const pacer = new Pacer(redis);
    const key = uniqueName('pair');
    const limit = { intervalMs: 100, burst: 2, burstWindowMs: 1_000, marginMs: 0 };
    expect([await pacer.tryAcquire(key, limit), await pacer.tryAcquire(key, limit)]).toEqual([0, 0]);
    expect(await pacer.tryAcquire(key, limit)).toBeGreaterThan(150);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await pacer.tryAcquire(key, limit)).toBe(0);
  });

  it('per person, admits only what the Cloud API simulator’s pair rule accepts, with up to 50 ms of network jitter', async () => {
    // Meta's rule with 1 s for its 6 s; the gateway's window 200 ms shorter and a 100-ms margin
    // (in production: 1 s and 500 ms), which also absorbs this process's own scheduling delays.
    const meta = new PairRateLimiter({ intervalMs: 1_000, burst: 45, burstWindowMs: 1_000 });
    const limit = { intervalMs: 1_000, burst: 20, burstWindowMs: 800, marginMs: 100 };
    const pacer = new Pacer(redis);
    const key = uniqueName('pair');
    const refused: number[] = [];
    const started = Date.now();
    let accepted = 0;
    // A conversation's shape: bursts of one to five sends with pauses of 0-2 s, each send
    // reaching "Meta" 0-50 ms after the pacer admitted it.
    while (Date.now() - started < 8_000) {
      const sends = 1 + Math.floor(Math.random() * 5);
      for (let i = 0; i < sends; i++) {
        await pacer.acquire(key, limit);
        const arrival = Date.now() + Math.random() * 50;
        if (meta.tryAcquire('number', 'person', arrival) === undefined) accepted++;
        else refused.push(Math.round(arrival - started));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2_000));
    }
    expect(refused).toEqual([]);
    expect(accepted).toBeGreaterThan(5);
  });
});
