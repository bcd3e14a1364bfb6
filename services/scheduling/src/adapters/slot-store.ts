import { Schema, type Connection, type Model } from 'mongoose';
import { ensureCollection, modelFor, onlyDuplicateKeys, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';

/**
 * Slots, precomputed: one document per schedule and local date, found by equality on
 * (tenant, department, date) or (tenant, practitioner, facility, date) — FerretDB pushes
 * equality down to its indexes, not ranges — so a search reads a few documents per day.
 */
export interface SlotDay extends TenantOwned {
  _id: string;
  scheduleId: string;
  practitionerId: string;
  facilityId: string;
  departmentId: string;
  serviceType: string;
  date: string;
  timeZone: string;
  languages: string[];
  capacity: number;
  /** Start minutes (since the epoch) and length of each slot of the day, in order. */
  slots: { m: number; len: number }[];
}

/**
 * A held seat of a slot. Its _id is (tenant, practitioner, start minute, seat), so a second
 * hold of the same seat fails on the primary key: double booking is refused by the store
 * itself, whatever the timing of concurrent requests.
 */
export interface SlotHold extends TenantOwned {
  _id: string;
  practitionerId: string;
  facilityId: string;
  departmentId: string;
  date: string;
  m: number;
  seat: number;
  appointmentId: string;
  createdAt: Date;
}

const daySchema = new Schema<SlotDay>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    scheduleId: String,
    practitionerId: String,
    facilityId: String,
    departmentId: String,
    serviceType: String,
    date: String,
    timeZone: String,
    languages: [String],
    capacity: Number,
    slots: { type: Schema.Types.Mixed, default: [] },
  },
  { versionKey: false, collection: 'slot_days' },
);
daySchema.plugin(tenantGuard);
daySchema.index({ tenantId: 1, departmentId: 1, date: 1 });
daySchema.index({ tenantId: 1, practitionerId: 1, date: 1 });
daySchema.index({ tenantId: 1, scheduleId: 1 });

const holdSchema = new Schema<SlotHold>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    practitionerId: String,
    facilityId: String,
    departmentId: String,
    date: String,
    m: Number,
    seat: Number,
    appointmentId: String,
    createdAt: Date,
  },
  { versionKey: false, collection: 'slot_holds' },
);
holdSchema.plugin(tenantGuard);
holdSchema.index({ tenantId: 1, departmentId: 1, date: 1 });
holdSchema.index({ tenantId: 1, practitionerId: 1, date: 1 });

export function slotDayId(tenantId: string, scheduleId: string, date: string): string {
  return `${tenantId}|${scheduleId}|${date}`;
}

export function holdId(tenantId: string, practitionerId: string, startMinute: number, seat: number): string {
  return `${tenantId}|${practitionerId}|${startMinute}|${seat}`;
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

export class SlotDays extends TenantRepository<SlotDay> {
  constructor(connection: Connection) {
    super(modelFor<SlotDay>(connection, 'SlotDay', daySchema));
  }
  init(): Promise<void> {
    return ensureCollection(this.model);
  }
  /** Days of a department (optionally narrowed by equality on practitioner or facility). */
  byDepartment(tenantId: string, departmentId: string, date: string, narrow: { practitionerId?: string; facilityId?: string } = {}): Promise<SlotDay[]> {
    return this.findScoped(tenantId, { departmentId, date, ...(narrow.practitionerId ? { practitionerId: narrow.practitionerId } : {}), ...(narrow.facilityId ? { facilityId: narrow.facilityId } : {}) });
  }
  byPractitioner(tenantId: string, practitionerId: string, date: string): Promise<SlotDay[]> {
    return this.findScoped(tenantId, { practitionerId, date });
  }
  /** Regenerated days of a schedule: the old ones go (one equality delete), the new ones are inserted in bulk. */
  async replaceSchedule(tenantId: string, scheduleId: string, days: readonly Omit<SlotDay, 'tenantId'>[]): Promise<void> {
    await this.deleteScoped(tenantId, { scheduleId });
    await this.insertMany(tenantId, days);
  }
  /**
   * Inserts the days not stored yet; days already there (same deterministic id) are kept as
   * they are (an unordered insert goes past the duplicates).
   */
  async addMissing(tenantId: string, days: readonly Omit<SlotDay, 'tenantId'>[]): Promise<void> {
    this.scope(tenantId, {}, 'insertMany');
    for (let i = 0; i < days.length; i += 500) {
      const chunk = days.slice(i, i + 500).map((d) => ({ ...d, tenantId }));
      await this.model.insertMany(chunk, { ordered: false, lean: true }).catch((error: unknown) => {
        if (!onlyDuplicateKeys(error)) throw error;
      });
    }
  }
  /** Removes every slot day of a tenant (the seed rewrites them). */
  async clearTenant(tenantId: string): Promise<void> {
    await this.deleteScoped(tenantId, {});
  }
  async deleteByIds(tenantId: string, ids: readonly string[]): Promise<void> {
    for (const _id of ids) await this.deleteScoped(tenantId, { _id });
  }
  /** Multi-row inserts (FerretDB turns one into one INSERT; upserts would be a read and a write each). */
  async insertMany(tenantId: string, days: readonly Omit<SlotDay, 'tenantId'>[]): Promise<void> {
    this.scope(tenantId, {}, 'insertMany');
    for (let i = 0; i < days.length; i += 500) {
      await this.model.insertMany(days.slice(i, i + 500).map((d) => ({ ...d, tenantId })), { ordered: false, lean: true });
    }
  }
}

export class SlotHolds extends TenantRepository<SlotHold> {
  constructor(connection: Connection) {
    super(modelFor<SlotHold>(connection, 'SlotHold', holdSchema));
  }
  init(): Promise<void> {
    return ensureCollection(this.model);
  }
  get raw(): Model<SlotHold> {
    return this.model;
  }
  byDepartment(tenantId: string, departmentId: string, date: string): Promise<SlotHold[]> {
    return this.findScoped(tenantId, { departmentId, date });
  }
  byPractitioner(tenantId: string, practitionerId: string, date: string): Promise<SlotHold[]> {
    return this.findScoped(tenantId, { practitionerId, date });
  }
  get(tenantId: string, id: string): Promise<SlotHold | null> {
    return this.findOneScoped(tenantId, { _id: id });
  }
  /** true when held by this call; false when the seat is someone else's (duplicate key). */
  async tryHold(tenantId: string, hold: Omit<SlotHold, 'tenantId'>): Promise<boolean> {
    try {
      await this.insertScoped(tenantId, hold);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
  /** Releases a hold only if this appointment still owns it. */
  async release(tenantId: string, id: string, appointmentId: string): Promise<void> {
    await this.deleteScoped(tenantId, { _id: id, appointmentId });
  }
}

