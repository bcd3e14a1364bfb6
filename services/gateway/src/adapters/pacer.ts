import type { Redis } from '@careloop/store';

/**
 * Rate limits shared by every gateway replica, each a Redis Lua script on the
 * Redis clock (so replicas' clocks cannot disagree).
 *
 * Per number, a generic cell rate algorithm (GCRA) as a reservation: each key
 * stores its "theoretical arrival time"; the caller always gets the next slot
 * (unless it lies beyond ARGV[3] ms from now: then -1 and nothing is taken) and
 * is told how long to wait for it. Unlike fixed windows (rate-limiter-flexible's
 * model), GCRA spaces sends evenly, so a replica never bursts a whole second's
 * quota into Meta's rolling second. Unlike polling ("may I go now?"), which
 * admits a caller whenever it happens to ask while it still has work to do
 * before its send, a reserving caller does that work (its claim) during the
 * wait and sends at the slot itself: sends reach Meta as evenly spaced as they
 * were admitted.
 */
const GCRA_RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local slot = tat - burst
if slot < now then slot = now end
if max_wait >= 0 and slot - now > max_wait then return -1 end
local new_tat = tat + interval
-- %.3f, not tostring: Lua's %.14g would round an epoch in ms to 0.1 ms and drift the rate.
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now + burst) + 1000)
-- The wait rounded up (Redis truncates a fractional reply, and a slot 0.4 ms away is not "now"),
-- and the slot and Redis's now as text, for callers that place the slot on their own clock.
return {math.ceil(slot - now), string.format('%.3f', slot), string.format('%.3f', now)}
`;

/**
 * Per person, Meta's pair rule itself rather than a smooth rate: "1 message every 6 seconds ... up
 * to 45 messages in a 6-second burst, but this borrows from your future quota. After a burst, you
 * must wait the equivalent time it would take to send those messages at the normal rate." A hash
 * holds the burst's start and count; inside the window sends go (up to the burst size); after it,
 * the pair waits until start + count x interval (+ a margin). A GCRA cannot express this: it lets
 * the first send after a burst go one interval later, which Meta refuses with 131056 while the
 * burst is still being paid back.
 */
const BURST_PAYBACK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local margin = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'start', 'count')
local start = tonumber(state[1])
local count = tonumber(state[2])
if start and count then
  local free_at = start + count * interval + margin
  if now - start < window and count < burst then
    redis.call('HINCRBY', KEYS[1], 'count', 1)
    redis.call('PEXPIRE', KEYS[1], math.ceil(free_at + interval - now) + 1000)
    return 0
  end
  -- A full or past burst waits for its pay-back; once paid back (even inside a long window), a new burst starts.
  if now < free_at then return math.max(1, math.ceil(free_at - now)) end
end
-- %.0f: an epoch in ms has 13 digits, at the edge of Lua's default number format.
redis.call('HSET', KEYS[1], 'start', string.format('%.0f', now), 'count', 1)
redis.call('PEXPIRE', KEYS[1], interval + margin + 1000)
return 0
`;

/** A smooth rate with a burst allowance (GCRA): the per-number throughput limit. */
export interface RateLimit {
  /** Sends per second allowed on average. */
  readonly perSecond: number;
  /** How many sends may go at once after a quiet period. */
  readonly burst: number;
}

/** A burst that is paid back afterwards (Meta's pair rule): the per-person limit. */
export interface BurstPaybackLimit {
  /** The normal spacing, at which a burst is paid back (Meta: 6 s). */
  readonly intervalMs: number;
  /** Sends allowed inside one burst window. */
  readonly burst: number;
  /** How long a burst lasts from its first send: shorter than Meta's, so a late-arriving send still falls in Meta's window. */
  readonly burstWindowMs: number;
  /** Added to the pay-back time, so a send that reaches Meta early is not refused. */
  readonly marginMs: number;
}

/**
 * The offset between this process's clock and Redis's, from the calls' own round trips: each
 * reply carries Redis's now, which lies between the call's send and its reply here; the sample
 * with the shortest round trip bounds the offset most tightly. A busy event loop inflates most
 * round trips (the reply waits to be read), which is why the best of recent samples is kept
 * rather than the latest; two 10-s buckets let a drifting clock be followed.
 */
class ClockOffset {
  private current = { rtt: Number.POSITIVE_INFINITY, offset: 0, since: 0 };
  private previous = { rtt: Number.POSITIVE_INFINITY, offset: 0, since: 0 };

  sample(sentAt: number, receivedAt: number, remoteNow: number): void {
    if (receivedAt - this.current.since > 10_000) {
      this.previous = this.current;
      this.current = { rtt: Number.POSITIVE_INFINITY, offset: 0, since: receivedAt };
    }
    const rtt = receivedAt - sentAt;
    if (rtt <= this.current.rtt) this.current = { rtt, offset: remoteNow - (sentAt + receivedAt) / 2, since: this.current.since };
  }

  /** Remote time minus local time, in ms. */
  get value(): number {
    return this.current.rtt <= this.previous.rtt ? this.current.offset : this.previous.offset;
  }
}

export class Pacer {
  private readonly shas = new Map<string, string>();
  private readonly redisClock = new ClockOffset();

  constructor(private readonly redis: Redis) {}

  /** 0 when the send may go now (and is counted), else milliseconds to wait before asking again. */
  tryAcquire(key: string, limit: BurstPaybackLimit): Promise<number> {
    return this.run(BURST_PAYBACK, key, [limit.intervalMs, Math.max(1, limit.burst), limit.burstWindowMs, limit.marginMs]);
  }

  /**
   * Takes the next slot of a smooth rate: milliseconds until it (0: now), or undefined when it
   * would come after `deadline` (then nothing is taken). The caller must send at the slot.
   */
  async reserve(key: string, limit: RateLimit, deadline = Number.POSITIVE_INFINITY): Promise<number | undefined> {
    return (await this.take(key, limit, deadline))?.wait;
  }

  /**
   * As `reserve`, but the slot as a time on this process's clock (epoch ms), placed from Redis's
   * own clock: a wait counted from when the reply is read would shift each slot by however long
   * the reply waited on a busy event loop — tens of milliseconds here, and differently for each
   * send, which crowds sends that were reserved evenly.
   */
  async reserveAt(key: string, limit: RateLimit, deadline = Number.POSITIVE_INFINITY): Promise<number | undefined> {
    return (await this.take(key, limit, deadline))?.at;
  }

  private async take(key: string, limit: RateLimit, deadline: number): Promise<{ wait: number; at: number } | undefined> {
    const interval = 1000 / limit.perSecond;
    const maxWait = Number.isFinite(deadline) ? Math.max(0, Math.floor(deadline - Date.now())) : -1;
    const sentAt = Date.now();
    const reply = await this.call(GCRA_RESERVE, key, [interval, interval * Math.max(0, limit.burst - 1), maxWait]);
    const receivedAt = Date.now();
    if (!Array.isArray(reply)) return undefined; // -1: past the deadline
    const [wait, slot, now] = (reply as unknown[]).map(Number) as [number, number, number];
    this.redisClock.sample(sentAt, receivedAt, now);
    return { wait, at: slot - this.redisClock.value };
  }

  /** Waits until the send may go; gives up (returns false) if that would be after `deadline`. */
  async acquire(key: string, limit: BurstPaybackLimit, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (;;) {
      const wait = await this.tryAcquire(key, limit);
      if (wait === 0) return true;
      if (Date.now() + wait > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(wait))));
    }
  }

  private async run(script: string, key: string, args: readonly number[]): Promise<number> {
    return Number(await this.call(script, key, args));
  }

  private async call(script: string, key: string, args: readonly number[]): Promise<unknown> {
    const argv = args.map(String);
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = (await this.redis.script('LOAD', script)) as string;
      this.shas.set(script, sha);
    }
    try {
      return await this.redis.evalsha(sha, 1, key, ...argv);
    } catch (error) {
      if (error instanceof Error && error.message.includes('NOSCRIPT')) {
        this.shas.delete(script);
        return await this.redis.eval(script, 1, key, ...argv);
      }
      throw error;
    }
  }
}
