import { connectRedis, type Redis } from '@careloop/store';
import { infraEnv, uniqueName } from '@careloop/testing';
import { Pacer } from '../src/adapters/pacer';

describe('GCRA pacer against real Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await connectRedis({ url: infraEnv().REDIS_URL, keyPrefix: `careloop:${uniqueName('pacer-test')}:` });
  });
  afterAll(() => redis.quit());

  it('admits at most rate x time + burst in a tight loop, never a fraction-of-a-millisecond wait as "go"', async () => {
    const pacer = new Pacer(redis);
    const limit = { perSecond: 970, burst: 30 };
    const key = uniqueName('number');
    let admitted = 0;
    let refusals = 0;
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      const wait = await pacer.tryAcquire(key, limit);
      if (wait === 0) admitted++;
      else {
        refusals++;
        expect(wait).toBeGreaterThanOrEqual(1);
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    expect(refusals).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(Math.ceil(limit.perSecond * elapsed) + limit.burst + 1);
  });

  it('spaces a per-person limit: a burst, then one per interval', async () => {
    const pacer = new Pacer(redis);
    const key = uniqueName('pair');
    const limit = { perSecond: 2, burst: 3 };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await pacer.tryAcquire(key, limit));
    expect(results.slice(0, 3)).toEqual([0, 0, 0]);
    expect(results[3]).toBeGreaterThan(0);
    expect(results[3]).toBeLessThanOrEqual(500);
  });
});
