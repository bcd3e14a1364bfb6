import { Schema, type Connection, type Model } from 'mongoose';
import { GroupCommit, onlyDuplicateKeys } from './group-commit';
import { ensureCollection, modelFor } from './mongo';

interface ProcessedEventDoc {
  _id: string;
  group: string;
  eventId: string;
  tenantId: string;
  processedAt: Date;
  expiresAt: Date;
}

const schema = new Schema<ProcessedEventDoc>(
  {
    _id: { type: String, required: true },
    group: { type: String, required: true },
    eventId: { type: String, required: true },
    tenantId: { type: String, required: true },
    processedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'processed_events' },
);

const LOOKUP_CONCURRENCY = 16;

/**
 * The bus's dedupe record in the service's own database: survives restarts,
 * shared by all replicas. Keyed by (group, event id) — event ids are global
 * UUIDs, not tenant data, so this infrastructure table is not tenant-scoped.
 * Expiry is an explicit sweep because FerretDB has no TTL indexes.
 */
export class MongoProcessedEvents {
  private readonly model: Model<ProcessedEventDoc>;
  // Marks of events handled at about the same time (many keys and partitions in parallel)
  // share one unordered insert instead of one round trip each. An insert, not an upsert:
  // FerretDB writes a batch of inserts at ~0.3 ms a document but applies bulk upserts one by one
  // (~4 ms each); a mark that exists already (a redelivery) is refused (E11000), which is the
  // same no-op the upsert's $setOnInsert was.
  private readonly marks = new GroupCommit<ProcessedEventDoc>(async (docs) => {
    try {
      await this.model.insertMany(docs, { ordered: false, lean: true });
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
  });

  constructor(
    connection: Connection,
    private readonly retentionMs = 8 * 24 * 3_600_000,
  ) {
    this.model = modelFor<ProcessedEventDoc>(connection, 'ProcessedEvent', schema);
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  /**
   * Point lookups by _id, a few at a time, rather than one \$in: FerretDB v1 (the local store)
   * never pushes \$in down and would scan the whole collection; MongoDB serves both alike.
   */
  async findProcessed(group: string, eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    const found = new Set<string>();
    for (let i = 0; i < eventIds.length; i += LOOKUP_CONCURRENCY) {
      const slice = eventIds.slice(i, i + LOOKUP_CONCURRENCY);
      const docs = await Promise.all(slice.map((id) => this.model.findById(`${group}:${id}`, { eventId: 1 }).lean().exec()));
      for (const doc of docs) if (doc) found.add(doc.eventId);
    }
    return found;
  }

  async markProcessed(group: string, eventId: string, tenantId: string): Promise<void> {
    const now = new Date();
    await this.marks.add({ _id: `${group}:${eventId}`, group, eventId, tenantId, processedAt: now, expiresAt: new Date(now.getTime() + this.retentionMs) });
  }

  async sweepExpired(now = new Date()): Promise<number> {
    const r = await this.model.deleteMany({ expiresAt: { $lt: now } }).exec();
    return r.deletedCount;
  }
}
