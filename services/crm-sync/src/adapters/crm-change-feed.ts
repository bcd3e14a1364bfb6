import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type Redis, type TenantOwned } from '@careloop/store';
import type { CrmChangeType } from '../domain/crm-change-view';

interface ChangeRecord extends TenantOwned {
  /** tenant/change key (appointment and version, contact, purpose and time): a republished change is one. */
  _id: string;
  /** Unique per tenant (index): a number handed out twice is refused, never stored twice. */
  seq: number;
  recordedAt: Date;
  type: CrmChangeType;
  /** The change's view (ids and codes), sealed like the journal: appointment times are the patient's. */
  viewSealed: string;
}

const schema = new Schema<ChangeRecord>(
  { _id: String, tenantId: { type: String, required: true }, seq: Number, recordedAt: Date, type: String, viewSealed: String },
  { versionKey: false, collection: 'crm_changes' },
);
schema.plugin(tenantGuard);
schema.index({ tenantId: 1, seq: 1 }, { unique: true });

const FIELD = 'crm_changes.view';
const NUMBER_ATTEMPTS = 5;

/** Hands out each tenant's change numbers, in order. */
export interface ChangeNumbers {
  next(tenantId: string): Promise<number>;
  /** The last number handed out (0: none, or forgotten). */
  current(tenantId: string): Promise<number>;
  /** Never hand out `n` or lower again (after the counter was lost). */
  raiseTo(tenantId: string, n: number): Promise<void>;
}

const RAISE = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end return 1";

/**
 * Redis INCR: atomic across replicas. (FerretDB's $inc is not: 200 concurrent increments of one
 * document gave 69 distinct values here.) A counter Redis lost is caught up from the store the
 * first time a number it hands out is refused as taken.
 */
export class RedisChangeNumbers implements ChangeNumbers {
  constructor(private readonly redis: Redis) {}

  next(tenantId: string): Promise<number> {
    return this.redis.incr(this.key(tenantId));
  }

  async current(tenantId: string): Promise<number> {
    return Number((await this.redis.get(this.key(tenantId))) ?? 0);
  }

  async raiseTo(tenantId: string, n: number): Promise<void> {
    await this.redis.eval(RAISE, 1, this.key(tenantId), String(n));
  }

  private key(tenantId: string): string {
    return `crm-changes:seq:${tenantId}`;
  }
}

export interface CrmChange {
  readonly seq: number;
  readonly recordedAt: Date;
  readonly type: CrmChangeType;
  readonly view: Record<string, unknown>;
}

export interface CrmChangePage {
  readonly changes: readonly CrmChange[];
  /** More changes are there (or about to be): ask again from the last cursor. */
  readonly hasMore: boolean;
}

export class ChangeNumberingError extends Error {
  override readonly name = 'ChangeNumberingError';
}

/**
 * The changes a tenant's CRMs pull (appointments, contacts), numbered per tenant in the order
 * crm-sync recorded them. A number is taken before its change is written, so two replicas may
 * store 8 before 7: a page stops at a missing number until it is `gapWaitMs` older than the
 * change after it (then it is taken as lost: a replica died between the two steps, or two
 * replicas recorded the same change at once). No sweep yet, like the sync journal.
 */
export class CrmChangeFeed extends TenantRepository<ChangeRecord> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
    private readonly numbers: ChangeNumbers,
    private readonly gapWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super(modelFor<ChangeRecord>(connection, 'CrmChange', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
    await this.model.createIndexes();
  }

  async append(tenantId: string, changeKey: string, type: CrmChangeType, view: Record<string, unknown>): Promise<void> {
    const _id = `${tenantId}/${changeKey}`;
    if (await this.findOneScoped(tenantId, { _id })) return; // seen (a redelivery or a republish): numbered already
    const viewSealed = this.cipher.encrypt(JSON.stringify(view), { tenantId, field: FIELD });
    for (let attempt = 1; attempt <= NUMBER_ATTEMPTS; attempt++) {
      const seq = await this.numbers.next(tenantId);
      try {
        await this.insertScoped(tenantId, { _id, seq, recordedAt: new Date(this.now()), type, viewSealed });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // The same change recorded at this moment elsewhere: it is there (this number stays a gap).
        if (await this.findOneScoped(tenantId, { _id })) return;
        // The number was taken already: the counter was lost. Catch up with what is stored.
        await this.numbers.raiseTo(tenantId, await this.storedLatest(tenantId));
      }
    }
    throw new ChangeNumberingError(`no free change number after ${NUMBER_ATTEMPTS} attempts`);
  }

  /** Whether a cursor is beyond anything this feed numbered (not one it returned). */
  async isAhead(tenantId: string, cursor: number): Promise<boolean> {
    if (cursor <= (await this.numbers.current(tenantId))) return false;
    return cursor > (await this.storedLatest(tenantId));
  }

  async after(tenantId: string, cursor: number, limit: number): Promise<CrmChangePage> {
    const rows = await this.findScoped(tenantId, { seq: { $gt: cursor } }, { sort: { seq: 1 }, limit: limit + 1 });
    const changes: CrmChange[] = [];
    let expected = cursor + 1;
    for (const r of rows) {
      if (changes.length === limit) return { changes, hasMore: true };
      // A missing number may still be written (taken, not yet stored): wait for it a while.
      if (r.seq !== expected && this.now() - r.recordedAt.getTime() < this.gapWaitMs) return { changes, hasMore: true };
      changes.push({ seq: r.seq, recordedAt: r.recordedAt, type: r.type, view: JSON.parse(this.cipher.decrypt(r.viewSealed, { tenantId, field: FIELD })) as Record<string, unknown> });
      expected = r.seq + 1;
    }
    return { changes, hasMore: false };
  }

  private async storedLatest(tenantId: string): Promise<number> {
    const [last] = await this.findScoped(tenantId, {}, { sort: { seq: -1 }, limit: 1 });
    return last?.seq ?? 0;
  }
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
