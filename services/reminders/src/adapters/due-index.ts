import type { Redis } from '@careloop/store';

/** One claimed timer: which reminder to look at now. */
export interface DueEntry {
  readonly tenantId: string;
  readonly reminderId: string;
}

// Takes up to ARGV[2] members due by ARGV[1] from one number's sorted set and leases them until
// ARGV[3]: moved, in one atomic step, into the lease set, so two firing loops never take the same one.
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return ids end
for i = 1, #ids do redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4] .. '|' .. ids[i]) end
for i = 1, #ids, 500 do redis.call('ZREM', KEYS[1], unpack(ids, i, math.min(i + 499, #ids))) end
return ids
`;

// Leases that expired (their firing loop died) go back to their number's due set, due now.
const REAP = `
local leased = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #leased do
  local m = leased[i]
  local sep = string.find(m, '|', 1, true)
  local ep = string.sub(m, 1, sep - 1)
  redis.call('ZADD', ARGV[3] .. 'due:' .. ep, ARGV[1], string.sub(m, sep + 1))
  redis.call('SADD', ARGV[3] .. 'endpoints', ep)
  redis.call('ZREM', KEYS[1], m)
end
return #leased
`;

// Renews the number's lock if this replica holds it, or takes it if nobody does.
const OWN = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * The fast due-index in front of the store: one Redis sorted set per business number (score =
 * due time in ms, member = "tenant|reminder id"), a lease set for claimed timers, and a lock per
 * number so one firing loop paces each number. It is a cache: MongoDB holds every reminder, and
 * the index is rebuilt from it when Redis lost it (`isBuilt` false).
 */
export class DueIndex {
  private readonly prefix: string;

  /** `namespace` separates indexes sharing one Redis and key prefix (tests, a blue/green pair). */
  constructor(
    private readonly redis: Redis,
    private readonly namespace = '',
  ) {
    this.prefix = (redis.options.keyPrefix ?? '') + namespace;
  }

  private k(name: string): string {
    return this.namespace + name;
  }

  private member(entry: DueEntry): string {
    return `${entry.tenantId}|${entry.reminderId}`;
  }

  async schedule(endpointId: string, entries: readonly (DueEntry & { dueAt: Date })[]): Promise<void> {
    if (entries.length === 0) return;
    const args: (string | number)[] = [];
    for (const e of entries) args.push(e.dueAt.getTime(), this.member(e));
    await this.redis.pipeline().zadd(this.k(`due:${endpointId}`), ...args).sadd(this.k('endpoints'), endpointId).exec();
  }

  async unschedule(endpointId: string, entries: readonly DueEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.zrem(this.k(`due:${endpointId}`), ...entries.map((e) => this.member(e)));
  }

  async claim(endpointId: string, now: number, limit: number, leaseUntil: number): Promise<DueEntry[]> {
    const ids = (await this.redis.eval(CLAIM, 2, this.k(`due:${endpointId}`), this.k('lease'), now, limit, leaseUntil, endpointId)) as string[];
    return ids.map((m) => {
      const sep = m.indexOf('|');
      return { tenantId: m.slice(0, sep), reminderId: m.slice(sep + 1) };
    });
  }

  /** Done with these claims (sent, skipped or found already handled). */
  async release(endpointId: string, entries: readonly DueEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.zrem(this.k('lease'), ...entries.map((e) => `${endpointId}|${this.member(e)}`));
  }

  /** Puts expired leases back, due now; returns how many. */
  async reap(now: number, limit = 1000): Promise<number> {
    return (await this.redis.eval(REAP, 1, this.k('lease'), now, limit, this.prefix)) as number;
  }

  async own(endpointId: string, replicaId: string, ttlMs: number): Promise<boolean> {
    return ((await this.redis.eval(OWN, 1, this.k(`owner:${endpointId}`), replicaId, ttlMs)) as number) === 1;
  }

  async disown(endpointId: string, replicaId: string): Promise<void> {
    const holder = await this.redis.get(this.k(`owner:${endpointId}`));
    if (holder === replicaId) await this.redis.del(this.k(`owner:${endpointId}`));
  }

  async endpoints(): Promise<string[]> {
    return this.redis.smembers(this.k('endpoints'));
  }

  async pending(endpointId: string): Promise<number> {
    return this.redis.zcard(this.k(`due:${endpointId}`));
  }

  /** The earliest due time of a number, if any (for the loop's idle sleep). */
  async nextDue(endpointId: string): Promise<number | undefined> {
    const head = await this.redis.zrange(this.k(`due:${endpointId}`), 0, 0, 'WITHSCORES');
    return head[1] === undefined ? undefined : Number(head[1]);
  }

  async isBuilt(): Promise<boolean> {
    return (await this.redis.exists(this.k('index-built'))) === 1;
  }

  async markBuilt(): Promise<void> {
    await this.redis.set(this.k('index-built'), new Date().toISOString());
  }
}
