import type { Redis } from '@careloop/store';

/**
 * Rate limits shared by every gateway replica, as a generic cell rate
 * algorithm (GCRA) in one Lua script: each key stores its "theoretical arrival
 * time"; a send is allowed when it is not earlier than that minus the burst
 * allowance. Unlike fixed windows (rate-limiter-flexible's model), GCRA spaces
 * sends evenly, so a replica never bursts a whole second's quota into Meta's
 * per-second throughput window. Time comes from Redis, so replicas' clocks
 * cannot disagree.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - burst
-- Never 0 when refused: Redis truncates a fractional reply, and 0 means "counted, go".
if now < allow_at then return math.max(1, math.ceil(allow_at - now)) end
local new_tat = tat + interval
-- %.3f, not tostring: Lua's %.14g would round an epoch in ms to 0.1 ms and drift the rate.
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now + burst) + 1000)
return 0
`;

export interface RateLimit {
  /** Sends per second allowed on average. */
  readonly perSecond: number;
  /** How many sends may go at once after a quiet period. */
  readonly burst: number;
}

export class Pacer {
  private sha: string | undefined;

  constructor(private readonly redis: Redis) {}

  /** 0 when the send may go now (and is counted), else milliseconds to wait before asking again. */
  async tryAcquire(key: string, limit: RateLimit): Promise<number> {
    const interval = 1000 / limit.perSecond;
    const burst = interval * Math.max(0, limit.burst - 1);
    const args = [String(interval), String(burst)];
    this.sha ??= (await this.redis.script('LOAD', GCRA)) as string;
    try {
      return Number(await this.redis.evalsha(this.sha, 1, key, ...args));
    } catch (error) {
      if (error instanceof Error && error.message.includes('NOSCRIPT')) {
        this.sha = undefined;
        return Number(await this.redis.eval(GCRA, 1, key, ...args));
      }
      throw error;
    }
  }

  /** Waits until the send may go; gives up (returns false) if that would be after `deadline`. */
  async acquire(key: string, limit: RateLimit, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (;;) {
      const wait = await this.tryAcquire(key, limit);
      if (wait === 0) return true;
      if (Date.now() + wait > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(wait))));
    }
  }
}
