import type { Connection, Model } from 'mongoose';
import { ensureCollection, GroupCommit, modelFor, onlyDuplicateKeys } from '@careloop/store';
import { Schema } from 'mongoose';
import type { Redis } from '@careloop/store';

/** Meta retries a webhook for up to 7 days; we remember message ids a day longer. */
export const DEDUPE_RETENTION_MS = 8 * 24 * 3_600_000;
/** A claim not confirmed within this time (the claimer crashed) expires, so a retry can publish. */
const CLAIM_TTL_MS = 30_000;

export type ClaimResult = 'claimed' | 'duplicate' | 'busy';

export interface DedupeClaim {
  readonly key: string;
  readonly tenantId: string;
  /** When the patient sent the message (Meta's timestamp). */
  readonly sentAt: Date;
}

/** Meta's clock and ours (both NTP-synced) may disagree a little: messages this close to the epoch also check the store. */
const CLOCK_SKEW_MS = 30_000;

interface ReceiptDoc {
  _id: string;
  tenantId: string;
  receivedAt: Date;
  expiresAt: Date;
}

const receiptSchema = new Schema<ReceiptDoc>(
  { _id: String, tenantId: { type: String, required: true }, receivedAt: Date, expiresAt: { type: Date, index: true } },
  { versionKey: false, collection: 'inbound_receipts' },
);

/**
 * Exactly one event per inbound message, however many times and however
 * concurrently Meta delivers it: an atomic Redis claim (SET NX with expiry)
 * in front, and a MongoDB receipt behind it that outlives a Redis flush.
 */
const EPOCH_KEY = 'inbound-dedupe-epoch';

export class InboundDedupe {
  private readonly receipts: Model<ReceiptDoc>;
  // Receipts of webhooks answered at about the same time share one insert (group commit):
  // one round trip per webhook would cap the gateway at the store's write latency.
  private readonly receiptWrites = new GroupCommit<ReceiptDoc>((docs) =>
    this.receipts
      // lean: the documents are ours and already typed; hydrating and validating each one is CPU on the webhook path.
      .insertMany(docs, { ordered: false, lean: true })
      .then(() => undefined)
      .catch((error: unknown) => {
        // A duplicate key here means another replica (or delivery) confirmed first: fine.
        if (!onlyDuplicateKeys(error)) throw error;
      }),
  );

  constructor(
    private readonly redis: Redis,
    mongo: Connection,
  ) {
    this.receipts = modelFor<ReceiptDoc>(mongo, 'InboundReceipt', receiptSchema);
  }

  async init(): Promise<void> {
    await ensureCollection(this.receipts);
  }

  static key(tenantId: string, channel: string, messageId: string): string {
    return `inbound:${tenantId}:${channel}:${messageId}`;
  }

  /**
   * Claims each key. `claimed`: ours to publish; `duplicate`: already published;
   * `busy`: another delivery of the same message is being published right now.
   */
  async claim(keys: readonly DedupeClaim[], owner: string, now = Date.now()): Promise<Map<string, ClaimResult>> {
    const results = new Map<string, ClaimResult>();
    if (keys.length === 0) return results;
    // Since when Redis has held our keys: an epoch key written once, never expiring. A Redis that
    // lost its data lost this key too, and this claim starts a new epoch. Read in the same round
    // trip as the claims, so a flush is noticed at once.
    // A pipeline, not MULTI: each SET NX is atomic on its own, and the epoch read needs no isolation.
    const pipeline = this.redis.pipeline().set(EPOCH_KEY, String(now), 'NX').get(EPOCH_KEY);
    for (const { key } of keys) pipeline.set(key, `pending:${owner}`, 'PX', CLAIM_TTL_MS, 'NX', 'GET');
    const [, epochReply, ...replies] = (await pipeline.exec()) ?? [];
    const claimed: DedupeClaim[] = [];
    keys.forEach((claim, i) => {
      const [error, previous] = replies[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      if (previous === null) claimed.push(claim);
      else results.set(claim.key, typeof previous === 'string' && previous.startsWith('pending:') ? 'busy' : 'duplicate');
    });
    if (claimed.length === 0) return results;
    // Redis answers for every message sent since its epoch; only an older message (a Meta retry
    // across a Redis flush or restart) needs the durable receipts.
    const since = Number(epochReply?.[1]) || now;
    const older = claimed.filter((c) => c.sentAt.getTime() < since + CLOCK_SKEW_MS);
    // Point lookups: FerretDB v1 does not push \$in down (see MongoProcessedEvents).
    const found = await Promise.all(older.map((c) => this.receipts.findById(c.key, { _id: 1 }).lean().exec()));
    const known = new Set(found.flatMap((d) => (d ? [d._id] : [])));
    for (const { key } of claimed) {
      if (known.has(key)) {
        results.set(key, 'duplicate');
        await this.redis.set(key, 'done', 'PX', DEDUPE_RETENTION_MS);
      } else results.set(key, 'claimed');
    }
    return results;
  }

  /** After Kafka acknowledged: remember for 8 days in Redis, the line every claim asks first. */
  async confirm(keys: readonly { key: string }[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { key } of keys) pipeline.set(key, 'done', 'PX', DEDUPE_RETENTION_MS);
    await pipeline.exec();
  }

  /**
   * The durable receipts behind Redis, for retries that outlive Redis's memory. Grouped with
   * other webhooks' receipts; the webhook's answer does not wait for them (its events carry
   * name-based ids, so a duplicate that slipped through both lines is still dropped by consumers).
   */
  writeReceipts(keys: readonly { key: string; tenantId: string }[], now = new Date()): Promise<void> {
    const expiresAt = new Date(now.getTime() + DEDUPE_RETENTION_MS);
    return Promise.all(keys.map(({ key, tenantId }) => this.receiptWrites.add({ _id: key, tenantId, receivedAt: now, expiresAt }))).then(() => undefined);
  }

  /** Waits for receipts still being written (shutdown, before the store closes). */
  receiptsWritten(): Promise<void> {
    return this.receiptWrites.idle();
  }

  /** Publishing failed: let the next delivery try again. Only our own claims are released. */
  async release(keys: readonly { key: string }[], owner: string): Promise<void> {
    for (const { key } of keys) {
      await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, `pending:${owner}`);
    }
  }

  async sweepExpired(now = new Date()): Promise<number> {
    return (await this.receipts.deleteMany({ expiresAt: { $lt: now } }).exec()).deletedCount;
  }
}
