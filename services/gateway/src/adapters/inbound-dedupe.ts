import type { Connection, Model } from 'mongoose';
import { ensureCollection, GroupCommit, modelFor, onlyDuplicateKeys } from '@careloop/store';
import { Schema } from 'mongoose';
import type { Redis } from '@careloop/store';

/** Meta retries a webhook for up to 7 days; we remember message ids a day longer. */
export const DEDUPE_RETENTION_MS = 8 * 24 * 3_600_000;
/** A claim not confirmed within this time (the claimer crashed) expires, so a retry can publish. */
const CLAIM_TTL_MS = 30_000;

export type ClaimResult = 'claimed' | 'duplicate' | 'busy';

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
  private trustedUntilChecked = 0;
  // Receipts of webhooks answered at about the same time share one insert (group commit):
  // one round trip per webhook would cap the gateway at the store's write latency.
  private readonly receiptWrites = new GroupCommit<ReceiptDoc>((docs) =>
    this.receipts
      .insertMany(docs, { ordered: false })
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
  async claim(keys: readonly { key: string; tenantId: string }[], owner: string): Promise<Map<string, ClaimResult>> {
    const results = new Map<string, ClaimResult>();
    if (keys.length === 0) return results;
    const pipeline = this.redis.multi();
    for (const { key } of keys) pipeline.set(key, `pending:${owner}`, 'PX', CLAIM_TTL_MS, 'NX', 'GET');
    const replies = (await pipeline.exec()) ?? [];
    const claimed: string[] = [];
    keys.forEach(({ key }, i) => {
      const [error, previous] = replies[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      if (previous === null) claimed.push(key);
      else results.set(key, typeof previous === 'string' && previous.startsWith('pending:') ? 'busy' : 'duplicate');
    });
    // Redis may have lost keys (restart, flush): then, and only then, the durable receipts decide.
    if (claimed.length > 0 && !(await this.redisRemembersRetention())) {
      // Point lookups: FerretDB v1 does not push \$in down (see MongoProcessedEvents).
      const found = await Promise.all(claimed.map((key) => this.receipts.findById(key, { _id: 1 }).lean().exec()));
      const known = new Set(found.flatMap((d) => (d ? [d._id] : [])));
      for (const key of claimed) {
        if (known.has(key)) {
          results.set(key, 'duplicate');
          await this.redis.set(key, 'done', 'PX', DEDUPE_RETENTION_MS);
        } else results.set(key, 'claimed');
      }
    }
    return results;
  }

  /**
   * Whether Redis has held our dedupe keys for at least the retention period:
   * an epoch key written once (never expiring) says since when. If Redis lost
   * its data, the key is younger than 8 days and the store is consulted.
   */
  private async redisRemembersRetention(now = Date.now()): Promise<boolean> {
    if (this.trustedUntilChecked > now) return true;
    const since = Number(await this.redis.get(EPOCH_KEY));
    if (!since) {
      await this.redis.set(EPOCH_KEY, String(now), 'NX');
      return false;
    }
    const trusted = now - since >= DEDUPE_RETENTION_MS;
    // Re-check every minute: a Redis restart would drop the epoch key.
    if (trusted) this.trustedUntilChecked = now + 60_000;
    return trusted;
  }

  /** After Kafka acknowledged: remember for 8 days, in Redis and in the store. */
  async confirm(keys: readonly { key: string; tenantId: string }[], now = new Date()): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.multi();
    for (const { key } of keys) pipeline.set(key, 'done', 'PX', DEDUPE_RETENTION_MS);
    await pipeline.exec();
    const expiresAt = new Date(now.getTime() + DEDUPE_RETENTION_MS);
    await Promise.all(keys.map(({ key, tenantId }) => this.receiptWrites.add({ _id: key, tenantId, receivedAt: now, expiresAt })));
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
