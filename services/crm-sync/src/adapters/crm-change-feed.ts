import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { CrmChangeType } from '../domain/crm-change-view';

interface ChangeRecord extends TenantOwned {
  /** tenant/change key (appointment and version, contact, purpose and time): a republished change is one. */
  _id: string;
  seq: number;
  recordedAt: Date;
  type: CrmChangeType;
  /** The change's view (ids and codes), sealed like the journal: appointment times are the patient's. */
  viewSealed: string;
}

interface CounterRecord {
  _id: string;
  tenantId: string;
  seq: number;
}

const schema = new Schema<ChangeRecord>(
  { _id: String, tenantId: { type: String, required: true }, seq: Number, recordedAt: Date, type: String, viewSealed: String },
  { versionKey: false, collection: 'crm_changes' },
);
schema.plugin(tenantGuard);
schema.index({ tenantId: 1, seq: 1 });
const counterSchema = new Schema<CounterRecord>({ _id: String, tenantId: String, seq: Number }, { versionKey: false, collection: 'crm_change_counters' });

const FIELD = 'crm_changes.view';

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

/**
 * The changes a tenant's CRMs pull (appointments, contacts), numbered per tenant in the order
 * crm-sync recorded them. A number is taken ($inc) before its change is written, so two replicas
 * may write 8 before 7: a page stops at a missing number until it is `gapWaitMs` older than the
 * change after it (then it is taken as lost: a replica died between the two steps). No sweep yet,
 * like the sync journal.
 */
export class CrmChangeFeed extends TenantRepository<ChangeRecord> {
  private readonly counters;

  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
    private readonly gapWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super(modelFor<ChangeRecord>(connection, 'CrmChange', schema));
    this.counters = modelFor<CounterRecord>(connection, 'CrmChangeCounter', counterSchema);
  }

  async init(): Promise<void> {
    await Promise.all([ensureCollection(this.model), ensureCollection(this.counters)]);
    await this.model.createIndexes();
  }

  async append(tenantId: string, changeKey: string, type: CrmChangeType, view: Record<string, unknown>): Promise<void> {
    const _id = `${tenantId}/${changeKey}`;
    if (await this.findOneScoped(tenantId, { _id })) return; // seen (a redelivery or a republish): numbered already
    const counter = await this.counters.findOneAndUpdate({ _id: tenantId, tenantId }, { $inc: { seq: 1 } }, { new: true, upsert: true }).lean<CounterRecord | null>().exec();
    if (!counter) throw new Error('change counter upsert returned nothing');
    const viewSealed = this.cipher.encrypt(JSON.stringify(view), { tenantId, field: FIELD });
    await this.updateOneScoped(tenantId, { _id }, { $setOnInsert: { seq: counter.seq, recordedAt: new Date(this.now()), type, viewSealed } }, true);
  }

  /** The last number handed out for the tenant (0: none yet). */
  async latest(tenantId: string): Promise<number> {
    const counter = await this.counters.findOne({ _id: tenantId, tenantId }).lean<CounterRecord>().exec();
    return counter?.seq ?? 0;
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
}
