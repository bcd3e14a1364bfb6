/**
 * Remembers which events a consumer group has fully handled, so a redelivery
 * (crash before commit, rebalance, producer retry) is skipped. It must survive
 * restarts: the service's own database backs it in production
 * (`MongoProcessedEvents` in @careloop/store).
 */
export interface ProcessedEventStore {
  /** The subset of `eventIds` that `group` has already processed. */
  findProcessed(group: string, eventIds: readonly string[]): Promise<ReadonlySet<string>>;
  markProcessed(group: string, eventId: string, tenantId: string): Promise<void>;
}

/** For unit tests of handlers only: forgets everything on restart. */
export class InMemoryProcessedEvents implements ProcessedEventStore {
  private readonly seen = new Set<string>();

  findProcessed(group: string, eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set(eventIds.filter((id) => this.seen.has(`${group}\u0000${id}`))));
  }

  markProcessed(group: string, eventId: string): Promise<void> {
    this.seen.add(`${group}\u0000${eventId}`);
    return Promise.resolve();
  }
}
