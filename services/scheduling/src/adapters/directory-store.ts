import { Schema, type Connection, type Model } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';
import type { ScheduleException, WeeklyHours } from '../domain/slots';

/**
 * The directory of a tenant: facilities, departments with their service types, practitioners
 * and their schedules. Hospital data, not PHI: stored in clear. Read far more than written, so
 * each process keeps a short-lived copy per tenant.
 */
export interface FacilityRecord {
  facilityId: string;
  name: string;
  timeZone: string;
  address: string;
  city: string;
  country: string;
}

export interface ServiceTypeRecord {
  code: string;
  name: string;
  minutes: number;
}

export interface DepartmentRecord {
  departmentId: string;
  name: string;
  serviceTypes: ServiceTypeRecord[];
  maxFutureBookingsPerPatient: number;
}

export interface PractitionerRecord {
  practitionerId: string;
  name: string;
  departmentIds: string[];
  facilityIds: string[];
  roles: string[];
  languages: string[];
  active: boolean;
}

export interface ScheduleRecord {
  scheduleId: string;
  practitionerId: string;
  facilityId: string;
  departmentId: string;
  serviceType: string;
  slotMinutes: number;
  capacity: number;
  hours: WeeklyHours[];
  exceptions: ScheduleException[];
  validFrom: string;
  validTo: string;
}

type Doc<T> = T & TenantOwned & { _id: string; updatedAt: Date };

function schemaOf<T>(collection: string): Schema<Doc<T>> {
  const schema = new Schema<Doc<T>>({ _id: String, tenantId: { type: String, required: true } }, { versionKey: false, collection, strict: false });
  schema.plugin(tenantGuard);
  schema.index({ tenantId: 1 });
  return schema;
}

class Collection<T extends object> extends TenantRepository<Doc<T>> {
  public constructor(model: Model<Doc<T>>) {
    super(model);
  }
  init(): Promise<void> {
    return ensureCollection(this.model);
  }
  async all(tenantId: string): Promise<T[]> {
    return (await this.findScoped(tenantId, {})).map((doc) => strip<T>(doc));
  }
  async put(tenantId: string, id: string, value: T): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: `${tenantId}|${id}` }, { $set: { ...value, updatedAt: new Date() } }, true);
  }
  /** Bulk write for the seed and the benchmark. */
  async putMany(tenantId: string, items: readonly { id: string; value: T }[]): Promise<void> {
    if (items.length === 0) return;
    this.scope(tenantId, {}, 'bulkWrite');
    const writes = items.map(({ id, value }) => ({ updateOne: { filter: { _id: `${tenantId}|${id}`, tenantId }, update: { $set: { ...value, tenantId, updatedAt: new Date() } }, upsert: true } }));
    await this.model.bulkWrite(writes as unknown as Parameters<Model<Doc<T>>['bulkWrite']>[0], { ordered: false });
  }
}

/** The record without the storage fields. */
function strip<T>(doc: Doc<T>): T {
  const rest = { ...doc } as Record<string, unknown>;
  delete rest['_id'];
  delete rest['tenantId'];
  delete rest['updatedAt'];
  return rest as T;
}

export interface TenantDirectory {
  readonly facilities: ReadonlyMap<string, FacilityRecord>;
  readonly departments: ReadonlyMap<string, DepartmentRecord>;
  readonly practitioners: ReadonlyMap<string, PractitionerRecord>;
}

/** Tenants known to scheduling (for the sweeps, which run per tenant). Not tenant-owned itself. */
interface TenantDoc {
  _id: string;
  createdAt: Date;
}

export class DirectoryStore {
  readonly facilities: Collection<FacilityRecord>;
  readonly departments: Collection<DepartmentRecord>;
  readonly practitioners: Collection<PractitionerRecord>;
  readonly schedules: Collection<ScheduleRecord>;
  private readonly tenants: Model<TenantDoc>;
  private readonly cache = new Map<string, { at: number; value: Promise<TenantDirectory> }>();

  constructor(
    connection: Connection,
    private readonly cacheMs = 10_000,
  ) {
    this.facilities = new Collection(modelFor<Doc<FacilityRecord>>(connection, 'Facility', schemaOf<FacilityRecord>('facilities')));
    this.departments = new Collection(modelFor<Doc<DepartmentRecord>>(connection, 'Department', schemaOf<DepartmentRecord>('departments')));
    this.practitioners = new Collection(modelFor<Doc<PractitionerRecord>>(connection, 'Practitioner', schemaOf<PractitionerRecord>('practitioners')));
    this.schedules = new Collection(modelFor<Doc<ScheduleRecord>>(connection, 'Schedule', schemaOf<ScheduleRecord>('schedules')));
    this.tenants = modelFor<TenantDoc>(connection, 'Tenant', new Schema<TenantDoc>({ _id: String, createdAt: Date }, { versionKey: false, collection: 'tenants' }));
  }

  async init(): Promise<void> {
    await Promise.all([this.facilities.init(), this.departments.init(), this.practitioners.init(), this.schedules.init(), ensureCollection(this.tenants)]);
  }

  async registerTenant(tenantId: string): Promise<void> {
    await this.tenants.updateOne({ _id: tenantId }, { $setOnInsert: { createdAt: new Date() } }, { upsert: true }).exec();
  }

  async tenantIds(): Promise<string[]> {
    return (await this.tenants.find({}).lean<TenantDoc[]>().exec()).map((t) => t._id);
  }

  /** Forget the cached copy (after an admin change in this process). */
  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  async directory(tenantId: string): Promise<TenantDirectory> {
    const cached = this.cache.get(tenantId);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.value;
    const value = this.load(tenantId);
    this.cache.set(tenantId, { at: Date.now(), value });
    value.catch(() => this.cache.delete(tenantId));
    return value;
  }

  private async load(tenantId: string): Promise<TenantDirectory> {
    const [facilities, departments, practitioners] = await Promise.all([this.facilities.all(tenantId), this.departments.all(tenantId), this.practitioners.all(tenantId)]);
    return {
      facilities: new Map(facilities.map((f) => [f.facilityId, f])),
      departments: new Map(departments.map((d) => [d.departmentId, d])),
      practitioners: new Map(practitioners.map((p) => [p.practitionerId, p])),
    };
  }
}
