import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';

/**
 * What an entry (or a parked write) is. An AppointmentResponse comes from an appointment event:
 * its journal entry is 'appointment', its parked write 'appointment-response'.
 */
export type JournalTopic = 'appointment' | 'appointment-response' | 'observation' | 'consent' | 'communication' | 'triage' | 'survey';

interface JournalRecord extends TenantOwned {
  _id: string;
  topic: JournalTopic;
  occurredAt: Date;
  /** The event's payload bytes (protobuf), sealed: observations carry clinical values. */
  payloadSealed: string;
}

const schema = new Schema<JournalRecord>(
  { _id: String, tenantId: { type: String, required: true }, topic: String, occurredAt: Date, payloadSealed: String },
  { versionKey: false, collection: 'sync_journal' },
);
schema.plugin(tenantGuard);
schema.index({ tenantId: 1, occurredAt: 1 });

export interface JournalEntry {
  readonly eventId: string;
  readonly topic: JournalTopic;
  readonly occurredAt: Date;
  readonly payload: Uint8Array;
}

const FIELD = 'sync_journal.payload';

/**
 * Every event crm-sync applied for a tenant with a connector for its flow, so a time range can be
 * applied again (Replay) after an EHR lost data, without rewinding Kafka consumer groups; also
 * where parked writes find their payload. No sweep yet: it grows until one is added.
 */
export class SyncJournal extends TenantRepository<JournalRecord> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<JournalRecord>(connection, 'SyncJournal', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
    await this.model.createIndexes();
  }

  async record(tenantId: string, eventId: string, topic: JournalTopic, occurredAt: Date, payload: Uint8Array): Promise<void> {
    const payloadSealed = this.cipher.encrypt(Buffer.from(payload).toString('base64'), { tenantId, field: FIELD });
    await this.updateOneScoped(tenantId, { _id: eventId }, { $setOnInsert: { topic, occurredAt, payloadSealed } }, true);
  }

  async get(tenantId: string, eventId: string): Promise<JournalEntry | undefined> {
    const r = await this.findOneScoped(tenantId, { _id: eventId });
    return r ? this.entryOf(r) : undefined;
  }

  async between(tenantId: string, from: Date, to: Date): Promise<JournalEntry[]> {
    const rows = await this.findScoped(tenantId, { occurredAt: { $gte: from, $lte: to } }, { sort: { occurredAt: 1 } });
    return rows.map((r) => this.entryOf(r));
  }

  private entryOf(r: JournalRecord): JournalEntry {
    return { eventId: r._id, topic: r.topic, occurredAt: r.occurredAt, payload: Buffer.from(this.cipher.decrypt(r.payloadSealed, { tenantId: r.tenantId, field: FIELD }), 'base64') };
  }
}
