/**
 * Remembers which events a consumer group has fully handled, so a redelivery
 * (crash before commit, rebalance, producer retry) is skipped. It must survive
 * restarts: the service's own database backs it in production
 * (`MongoProcessedEvents` in @careloop/store).
 */
export interface ProcessedEventStore {
  /** The ids among `events` that `group` has already processed (`producedAt`: the record's CreateTime, epoch ms). */
  findProcessed(group: string, events: readonly { readonly id: string; readonly producedAt?: number }[]): Promise<ReadonlySet<string>>;
  markProcessed(group: string, eventId: string, tenantId: string): Promise<void>;
}

/** For unit tests of handlers only: forgets everything on restart. */
export class InMemoryProcessedEvents implements ProcessedEventStore {
  private readonly seen = new Set<string>();

  findProcessed(group: string, events: readonly { readonly id: string }[]): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set(events.map((e) => e.id).filter((id) => this.seen.has(`${group}\u0000${id}`))));
  }

  markProcessed(group: string, eventId: string): Promise<void> {
    this.seen.add(`${group}\u0000${eventId}`);
    return Promise.resolve();
  }
}
