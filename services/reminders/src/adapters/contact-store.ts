import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type Redis, type TenantOwned } from '@careloop/store';
import type { ReminderKindName } from '../domain/reminder';

export type ConsentName = 'unknown' | 'pending' | 'opted-in' | 'opted-out';

/** What reminders knows of a contact: the latest consent routing published, and the patient's own preferences. */
export interface ContactRecord extends TenantOwned {
  _id: string;
  consent: ConsentName;
  consentChangedAt: Date | null;
  language: string;
  timeZone: string;
  optedOutKinds: ReminderKindName[];
  closestOnly: boolean;
  /** A vital-sign prompt whose reading the patient is typing now. */
  awaitingReading: { reminderId: string; attempts: number } | null;
}

/** The part of a contact the firing loop needs for every reminder. */
export interface ContactGate {
  readonly consent: ConsentName;
  readonly optedOutKinds: readonly ReminderKindName[];
  readonly timeZone: string;
  readonly language: string;
  readonly closestOnly: boolean;
}

const UNKNOWN: ContactGate = { consent: 'unknown', optedOutKinds: [], timeZone: '', language: '', closestOnly: false };

const schema = new Schema<ContactRecord>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    consent: String,
    consentChangedAt: Date,
    language: String,
    timeZone: String,
    optedOutKinds: [String],
    closestOnly: Boolean,
    awaitingReading: { type: Schema.Types.Mixed },
  },
  { versionKey: false, collection: 'contacts' },
);
schema.plugin(tenantGuard);

/**
 * Contacts in MongoDB (source of truth) with a Redis mirror of each one's gate, so the firing loop
 * checks consent for a whole batch in one HMGET at fire time. A mirror miss reads MongoDB and
 * fills the mirror; every write goes to MongoDB first, then the mirror.
 */
export class ContactStore extends TenantRepository<ContactRecord> {
  constructor(
    connection: Connection,
    private readonly redis: Redis,
    private readonly namespace = '',
  ) {
    super(modelFor<ContactRecord>(connection, 'Contact', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  private key(tenantId: string): string {
    return `${this.namespace}gate:${tenantId}`;
  }

  /** Applies a consent change unless a newer one was already applied. */
  async recordConsent(tenantId: string, contactId: string, consent: ConsentName, changedAt: Date): Promise<void> {
    const current = await this.findOneScoped(tenantId, { _id: contactId });
    if (current?.consentChangedAt && current.consentChangedAt.getTime() > changedAt.getTime()) return;
    const after = await this.findOneAndUpdateScoped(tenantId, { _id: contactId }, { $set: { consent, consentChangedAt: changedAt } }, { upsert: true });
    if (after) await this.mirror(after);
  }

  async setPreferences(tenantId: string, contactId: string, prefs: { language: string; timeZone: string; optedOutKinds: ReminderKindName[]; closestOnly: boolean }): Promise<void> {
    const after = await this.findOneAndUpdateScoped(tenantId, { _id: contactId }, { $set: prefs }, { upsert: true });
    if (after) await this.mirror(after);
  }

  async get(tenantId: string, contactId: string): Promise<ContactRecord | null> {
    return this.findOneScoped(tenantId, { _id: contactId });
  }

  async setAwaitingReading(tenantId: string, contactId: string, awaiting: ContactRecord['awaitingReading']): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: contactId }, { $set: { awaitingReading: awaiting } }, true);
  }

  /** The gates of several contacts of one tenant, as they are now. */
  async gates(tenantId: string, contactIds: readonly string[]): Promise<Map<string, ContactGate>> {
    const unique = [...new Set(contactIds)];
    const out = new Map<string, ContactGate>();
    if (unique.length === 0) return out;
    const mirrored = await this.redis.hmget(this.key(tenantId), ...unique);
    const misses: string[] = [];
    unique.forEach((id, i) => {
      const raw = mirrored[i];
      if (raw) out.set(id, JSON.parse(raw) as ContactGate);
      else misses.push(id);
    });
    await Promise.all(
      misses.map(async (id) => {
        const record = await this.findOneScoped(tenantId, { _id: id });
        if (record) out.set(id, await this.mirror(record));
        else out.set(id, UNKNOWN);
      }),
    );
    return out;
  }

  private async mirror(stored: ContactRecord): Promise<ContactGate> {
    // Upserted by one writer or the other: any field may be missing.
    const record: Partial<ContactRecord> & Pick<ContactRecord, '_id' | 'tenantId'> = stored;
    const gate: ContactGate = {
      consent: record.consent ?? 'unknown',
      optedOutKinds: record.optedOutKinds ?? [],
      timeZone: record.timeZone ?? '',
      language: record.language ?? '',
      closestOnly: record.closestOnly ?? false,
    };
    await this.redis.hset(this.key(record.tenantId), record._id, JSON.stringify(gate));
    return gate;
  }
}
