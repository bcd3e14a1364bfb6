import type { Redis } from '@careloop/store';

/** Meta's customer-service window: free-form messages only within 24 h of the person's last message. */
export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 3_600_000;

// Keeps the latest message's time even if deliveries arrive out of order.
const RECORD_LATEST = "local cur = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 1";

/** The client with our script as a command: ioredis sends it by SHA (EVALSHA), loading it once, instead of shipping it with every inbound message. */
type WithRecordLatest = Redis & { careloopWindowRecordLatest(key: string, sentAtMs: string, ttlMs: string): Promise<unknown> };

/**
 * The last inbound message per (business endpoint, person), kept in Redis with
 * the window as expiry: the key exists exactly while the window is open. If
 * Redis loses it, the window looks closed and a template goes instead — the
 * safe side.
 */
export class ConversationWindow {
  private readonly redis: WithRecordLatest;

  constructor(redis: Redis) {
    redis.defineCommand('careloopWindowRecordLatest', { numberOfKeys: 1, lua: RECORD_LATEST });
    this.redis = redis as WithRecordLatest;
  }

  private key(endpointId: string, channelUserId: string): string {
    return `window:${endpointId}:${channelUserId}`;
  }

  async recordInbound(endpointId: string, channelUserId: string, sentAt: Date, now = Date.now()): Promise<void> {
    const remaining = sentAt.getTime() + CUSTOMER_SERVICE_WINDOW_MS - now;
    if (remaining <= 0) return;
    await this.redis.careloopWindowRecordLatest(this.key(endpointId, channelUserId), String(sentAt.getTime()), String(remaining));
  }

  async isOpen(endpointId: string, channelUserId: string, now = Date.now()): Promise<boolean> {
    const last = await this.redis.get(this.key(endpointId, channelUserId));
    return last !== null && Number(last) + CUSTOMER_SERVICE_WINDOW_MS > now;
  }
}
