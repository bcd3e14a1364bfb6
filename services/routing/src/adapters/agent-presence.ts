import type { Redis } from '@careloop/store';

/** An agent counts as online for this long after their last heartbeat (SSE connections beat every 15 s). */
const ONLINE_FOR_MS = 45_000;

/**
 * Which agents are online and which queues they work, in Redis so every
 * routing replica sees the same roster. Names and contact details of agents
 * are not stored: ids and queue names only.
 */
export class AgentPresence {
  constructor(private readonly redis: Redis) {}

  private key(tenantId: string): string {
    return `presence:${tenantId}`;
  }

  async heartbeat(tenantId: string, agentId: string, queues: readonly string[], now = Date.now()): Promise<void> {
    await this.redis.hset(this.key(tenantId), agentId, JSON.stringify({ queues, seen: now }));
    await this.redis.pexpire(this.key(tenantId), ONLINE_FOR_MS * 4);
  }

  async offline(tenantId: string, agentId: string): Promise<void> {
    await this.redis.hdel(this.key(tenantId), agentId);
  }

  /** Agents of a queue with whether they are online now. */
  async roster(tenantId: string, queue: string, now = Date.now()): Promise<{ agentId: string; online: boolean }[]> {
    const all = await this.redis.hgetall(this.key(tenantId));
    const out: { agentId: string; online: boolean }[] = [];
    for (const [agentId, raw] of Object.entries(all)) {
      try {
        const entry = JSON.parse(raw) as { queues?: string[]; seen?: number };
        if (entry.queues?.includes(queue)) out.push({ agentId, online: now - (entry.seen ?? 0) < ONLINE_FOR_MS });
      } catch {
        // A corrupt entry is skipped; the agent's next heartbeat rewrites it.
      }
    }
    return out;
  }

  /** A per-queue counter for round-robin. */
  async nextTurn(tenantId: string, queue: string): Promise<number> {
    return this.redis.incr(`rr:${tenantId}:${queue}`);
  }
}
