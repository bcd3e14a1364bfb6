import { Schema, type Connection, type Model } from 'mongoose';
import { GroupCommit, onlyDuplicateKeys } from './group-commit';
import { ensureCollection, modelFor } from './mongo';
import type { Redis } from './redis';

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

/** An event the consumer is about to handle: its id and when its producer wrote it (Kafka's CreateTime). */
export interface EventToCheck {
  readonly id: string;
  readonly producedAt?: number;
}

export interface RecentMarks {
  readonly redis: Redis;
  /** How long Redis remembers a mark (default 10 minutes): redeliveries come within minutes. */
  readonly retentionMs?: number;
}

/** Producers' clocks and ours may disagree a little: events this close to an edge also ask the store. */
const CLOCK_SKEW_MS = 30_000;

/**
 * Since when this Redis process has held every mark: `<run_id> <ms>`, set when missing or when
 * it names another Redis process (a restart that restored a snapshot restores the key too, but
 * not the marks written after the snapshot). Read in the same round trip as the lookups.
 */
const EPOCH = `
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local held = redis.call('GET', KEYS[1])
if held then
  local r, t = string.match(held, '^(%x+) (%d+)$')
  if r == run and t then return t end
end
redis.call('SET', KEYS[1], run .. ' ' .. ARGV[1])
return ARGV[1]
`;

/**
 * The bus's dedupe record in the service's own database: survives restarts,
 * shared by all replicas. Keyed by (group, event id) — event ids are global
 * UUIDs, not tenant data, so this infrastructure table is not tenant-scoped.
 * Expiry is an explicit sweep because FerretDB has no TTL indexes.
 *
 * With `recent` (the service's Redis), every mark is also kept in Redis for a few minutes, and a
 * lookup asks the store only for what Redis cannot answer: an event produced before Redis's epoch
 * (it may have been handled before a Redis restart) or longer ago than Redis keeps marks. Almost
 * every event is new and recent, so a batch costs one Redis round trip instead of one store lookup
 * per event (on FerretDB, ≈ 1 ms each and the most frequent command of a busy consumer).
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
  private readonly recentMarks: GroupCommit<string> | undefined;
  private readonly recentMs: number;
  private epochSha: string | undefined;

  constructor(
    connection: Connection,
    private readonly retentionMs = 8 * 24 * 3_600_000,
    private readonly recent?: RecentMarks,
  ) {
    this.model = modelFor<ProcessedEventDoc>(connection, 'ProcessedEvent', schema);
    this.recentMs = recent?.retentionMs ?? 10 * 60_000;
    const redis = recent?.redis;
    this.recentMarks = redis
      ? new GroupCommit<string>(async (keys) => {
          const pipeline = redis.pipeline();
          for (const key of keys) pipeline.set(key, '1', 'PX', this.recentMs);
          const replies = (await pipeline.exec()) ?? [];
          const failed = replies.find(([error]) => error);
          if (failed?.[0]) throw failed[0];
        })
      : undefined;
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  /** The ids among `events` that `group` has processed already. */
  async findProcessed(group: string, events: readonly EventToCheck[]): Promise<ReadonlySet<string>> {
    const redis = this.recent?.redis;
    if (!redis || events.length === 0) return this.lookUp(group, events.map((e) => e.id));
    const now = Date.now();
    const pipeline = redis.pipeline().evalsha(await this.epochScript(redis), 1, 'processed:epoch', String(now));
    for (const e of events) pipeline.exists(recentKey(group, e.id));
    const [epochReply, ...replies] = (await pipeline.exec()) ?? [];
    if (!epochReply || epochReply[0]) {
      // The script is gone (a Redis restart or SCRIPT FLUSH): ask the store this time, load it next time.
      this.epochSha = undefined;
      return this.lookUp(group, events.map((e) => e.id));
    }
    const epoch = Number(epochReply[1]);
    const found = new Set<string>();
    const unsure: string[] = [];
    events.forEach((e, i) => {
      const [error, exists] = replies[i] ?? [new Error('no reply'), 0];
      if (error) throw error;
      if (exists === 1) found.add(e.id);
      else if (e.producedAt === undefined || e.producedAt < epoch + CLOCK_SKEW_MS || now - e.producedAt > this.recentMs - CLOCK_SKEW_MS) unsure.push(e.id);
    });
    for (const id of await this.lookUp(group, unsure)) found.add(id);
    return found;
  }

  async markProcessed(group: string, eventId: string, tenantId: string): Promise<void> {
    const now = new Date();
    await Promise.all([
      this.marks.add({ _id: `${group}:${eventId}`, group, eventId, tenantId, processedAt: now, expiresAt: new Date(now.getTime() + this.retentionMs) }),
      this.recentMarks?.add(recentKey(group, eventId)),
    ]);
  }

  async sweepExpired(now = new Date()): Promise<number> {
    const r = await this.model.deleteMany({ expiresAt: { $lt: now } }).exec();
    return r.deletedCount;
  }

  /**
   * Point lookups by _id, a few at a time, rather than one \$in: FerretDB v1 (the local store)
   * never pushes \$in down and would scan the whole collection; MongoDB serves both alike.
   */
  private async lookUp(group: string, eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    const found = new Set<string>();
    for (let i = 0; i < eventIds.length; i += LOOKUP_CONCURRENCY) {
      const slice = eventIds.slice(i, i + LOOKUP_CONCURRENCY);
      const docs = await Promise.all(slice.map((id) => this.model.findById(`${group}:${id}`, { eventId: 1 }).lean().exec()));
      for (const doc of docs) if (doc) found.add(doc.eventId);
    }
    return found;
  }

  private async epochScript(redis: Redis): Promise<string> {
    this.epochSha ??= (await redis.script('LOAD', EPOCH)) as string;
    return this.epochSha;
  }
}

function recentKey(group: string, eventId: string): string {
  return `processed:${group}:${eventId}`;
}
