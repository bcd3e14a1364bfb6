import type { Redis } from '@careloop/store';

/** A live update for agents' screens: ids and states only, never message text. */
export interface InboxEvent {
  readonly type: 'message' | 'queued' | 'assigned' | 'transferred' | 'reply' | 'note' | 'closed' | 'sla_missed';
  readonly conversationId: string;
  readonly queue?: string | undefined;
  readonly agentId?: string | undefined;
}

type Listener = (event: InboxEvent) => void;

const CHANNEL_PREFIX = 'careloop:routing:inbox:';

/**
 * Fans inbox updates out to every routing replica through Redis pub/sub, so an
 * agent connected to any replica sees what happened on any other.
 */
export class InboxEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber: Redis | undefined;

  constructor(private readonly redis: Redis) {}

  async start(): Promise<void> {
    this.subscriber = this.redis.duplicate({ keyPrefix: '' });
    await this.subscriber.psubscribe(`${CHANNEL_PREFIX}*`);
    this.subscriber.on('pmessage', (_pattern: string, channel: string, raw: string) => {
      const tenantId = channel.slice(CHANNEL_PREFIX.length);
      const set = this.listeners.get(tenantId);
      if (!set) return;
      try {
        const event = JSON.parse(raw) as InboxEvent;
        for (const listener of set) listener(event);
      } catch {
        // A malformed message on our channel is ignored: it cannot come from routing.
      }
    });
  }

  async stop(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }

  publish(tenantId: string, event: InboxEvent): void {
    void this.redis.publish(`${CHANNEL_PREFIX}${tenantId}`, JSON.stringify(event)).catch(() => undefined);
  }

  subscribe(tenantId: string, listener: Listener): () => void {
    const set = this.listeners.get(tenantId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(tenantId, set);
    return () => set.delete(listener);
  }
}
