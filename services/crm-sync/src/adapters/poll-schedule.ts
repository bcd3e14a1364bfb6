import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor } from '@careloop/store';

/**
 * When each FHIR-in connector polls next and from where (its `_lastUpdated` cursor), with a
 * lease so one replica polls a connector at a time. The poller walks every tenant, so this
 * collection is the one crm-sync reads across tenants: it holds only ids, times and the cursor
 * (no PHI), and every write names the tenant's connector by its full id.
 */
interface PollRecord {
  _id: string;
  tenantId: string;
  connectorId: string;
  cursor: string;
  dueAt: Date;
  leaseUntil: Date;
}

const schema = new Schema<PollRecord>(
  { _id: String, tenantId: String, connectorId: String, cursor: String, dueAt: Date, leaseUntil: Date },
  { versionKey: false, collection: 'poll_schedule' },
);

export interface PollEntry {
  readonly tenantId: string;
  readonly connectorId: string;
  readonly cursor: string;
}

export class PollSchedule {
  private readonly model;

  constructor(connection: Connection) {
    this.model = modelFor<PollRecord>(connection, 'PollSchedule', schema);
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  /** Registers a connector for polling (or keeps its cursor if it already is). */
  async enrol(tenantId: string, connectorId: string, startCursor: string, now: Date): Promise<void> {
    await this.model
      .updateOne({ _id: `${tenantId}/${connectorId}` }, { $setOnInsert: { tenantId, connectorId, cursor: startCursor, dueAt: now, leaseUntil: new Date(0) } }, { upsert: true })
      .exec();
  }

  async withdraw(tenantId: string, connectorId: string): Promise<void> {
    await this.model.deleteOne({ _id: `${tenantId}/${connectorId}` }).exec();
  }

  /** Claims the entries due now; each stays leased until `leaseMs` from now or until released. */
  async claimDue(now: Date, leaseMs: number, limit: number): Promise<PollEntry[]> {
    // Few documents (one per FHIR-in connector): read all, claim the due ones one by one.
    const all = await this.model.find({}).lean<PollRecord[]>().exec();
    const claimed: PollEntry[] = [];
    for (const r of all) {
      if (claimed.length >= limit) break;
      if (r.dueAt > now || r.leaseUntil > now) continue;
      const won = await this.model
        .updateOne({ _id: r._id, leaseUntil: r.leaseUntil }, { $set: { leaseUntil: new Date(now.getTime() + leaseMs) } })
        .exec();
      if (won.modifiedCount === 1) claimed.push({ tenantId: r.tenantId, connectorId: r.connectorId, cursor: r.cursor });
    }
    return claimed;
  }

  async advance(tenantId: string, connectorId: string, cursor: string): Promise<void> {
    await this.model.updateOne({ _id: `${tenantId}/${connectorId}` }, { $set: { cursor } }).exec();
  }

  async release(tenantId: string, connectorId: string, nextDueAt: Date): Promise<void> {
    await this.model.updateOne({ _id: `${tenantId}/${connectorId}` }, { $set: { dueAt: nextDueAt, leaseUntil: new Date(0) } }).exec();
  }
}
