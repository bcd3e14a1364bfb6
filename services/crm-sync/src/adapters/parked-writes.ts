import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor } from '@careloop/store';
import type { JournalTopic } from './sync-journal';

/**
 * Writes waiting for a connector whose circuit is open: the event is acknowledged on Kafka (its
 * payload is in the sync journal), and the write waits here until the EHR answers again, so one
 * dead EHR does not hold other tenants' events in the partitions it shares with them. Ids only,
 * no PHI; read across tenants by the drainer, like the poll schedule.
 */
interface ParkedRecord {
  _id: string;
  tenantId: string;
  connectorId: string;
  /** The ordering key: appointment id, or the patient key of an observation. */
  key: string;
  eventId: string;
  topic: JournalTopic;
  seq: number;
  rejectedReason: string | null;
}

const schema = new Schema<ParkedRecord>(
  { _id: String, tenantId: String, connectorId: String, key: String, eventId: String, topic: String, seq: Number, rejectedReason: String },
  { versionKey: false, collection: 'parked_writes' },
);
schema.index({ tenantId: 1, connectorId: 1, key: 1 });

export interface ParkedWrite {
  readonly id: string;
  readonly tenantId: string;
  readonly connectorId: string;
  readonly key: string;
  readonly eventId: string;
  readonly topic: JournalTopic;
}

export class ParkedWrites {
  private readonly model;
  /** Connectors ("tenant/connector") with parked writes, so the hot path asks MongoDB only for those. */
  private connectors = new Set<string>();
  /** Parks made while a refresh reads MongoDB, which its answer may predate. */
  private parkedDuringRefresh: Set<string> | undefined;
  private counter = 0;

  constructor(connection: Connection) {
    this.model = modelFor<ParkedRecord>(connection, 'ParkedWrite', schema);
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
    await this.model.createIndexes();
    await this.refresh();
  }

  /** Re-reads which connectors have writes waiting (every replica, every drain). */
  async refresh(): Promise<void> {
    const during = new Set<string>();
    this.parkedDuringRefresh = during;
    try {
      const rows = await this.model.find({ rejectedReason: null }, { tenantId: 1, connectorId: 1 }).lean<Pick<ParkedRecord, 'tenantId' | 'connectorId'>[]>().exec();
      this.connectors = new Set([...rows.map((r) => `${r.tenantId}/${r.connectorId}`), ...during]);
    } finally {
      if (this.parkedDuringRefresh === during) this.parkedDuringRefresh = undefined;
    }
  }

  async waiting(tenantId: string, connectorId: string, key: string): Promise<boolean> {
    if (!this.connectors.has(`${tenantId}/${connectorId}`)) return false;
    return (await this.model.findOne({ tenantId, connectorId, key, rejectedReason: null }, { _id: 1 }).lean().exec()) !== null;
  }

  async park(write: Omit<ParkedWrite, 'id'>): Promise<void> {
    const seq = Date.now() * 1_000 + (this.counter++ % 1_000);
    await this.model
      .updateOne({ _id: parkedId(write) }, { $setOnInsert: { ...write, seq, rejectedReason: null } }, { upsert: true })
      .exec();
    this.connectors.add(`${write.tenantId}/${write.connectorId}`);
    this.parkedDuringRefresh?.add(`${write.tenantId}/${write.connectorId}`);
  }

  /** The oldest waiting writes, in the order they were parked. */
  async oldest(limit: number): Promise<ParkedWrite[]> {
    const rows = await this.model.find({ rejectedReason: null }).sort({ seq: 1 }).limit(limit).lean<ParkedRecord[]>().exec();
    return rows.map((r) => ({ id: r._id, tenantId: r.tenantId, connectorId: r.connectorId, key: r.key, eventId: r.eventId, topic: r.topic }));
  }

  async done(id: string): Promise<void> {
    await this.model.deleteOne({ _id: id }).exec();
  }

  /** The server refused it for good: kept, with the reason, for the operator (no longer in the queue). */
  async reject(id: string, reason: string): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { rejectedReason: reason.slice(0, 1_000) } }).exec();
  }
}

/** One row per event and connector; an appointment event's AppointmentResponse is a second write of the same event. */
function parkedId(w: Omit<ParkedWrite, 'id'>): string {
  const base = `${w.tenantId}/${w.connectorId}/${w.eventId}`;
  return w.topic === 'appointment-response' ? `${base}/response` : base;
}
