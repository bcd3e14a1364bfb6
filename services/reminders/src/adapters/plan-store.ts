import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';
import type { Channel } from '@careloop/contracts';
import type { ReminderKindName } from '../domain/reminder';
import type { EndpointRecord } from './reminder-store';

/** A recurring or one-off reminder plan: medication, follow-up, vital-sign prompt. */
export interface PlanRecord extends TenantOwned {
  _id: string;
  kind: Exclude<ReminderKindName, 'appointment'>;
  active: boolean;
  facilityId: string;
  departmentId: string;
  contactId: string;
  patientId: string;
  endpoint: EndpointRecord;
  recipientChannel: Channel;
  recipientSealed: string;
  language: string;
  timeZone: string;
  timesOfDay: string[];
  startDate: string;
  endDate: string;
  dueAt: Date | null;
  labelSealed: string;
  vitalSign: string;
  createdAt: Date;
}

const schema = new Schema<PlanRecord>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    kind: String,
    active: Boolean,
    facilityId: String,
    departmentId: String,
    contactId: String,
    patientId: String,
    endpoint: { type: Schema.Types.Mixed },
    recipientChannel: Number,
    recipientSealed: String,
    language: String,
    timeZone: String,
    timesOfDay: [String],
    startDate: String,
    endDate: String,
    dueAt: Date,
    labelSealed: String,
    vitalSign: String,
    createdAt: Date,
  },
  { versionKey: false, collection: 'plans' },
);
schema.plugin(tenantGuard);

export class PlanStore extends TenantRepository<PlanRecord> {
  constructor(connection: Connection) {
    super(modelFor<PlanRecord>(connection, 'Plan', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  /** Idempotent by plan id: true when it was created now. */
  async create(plan: PlanRecord): Promise<boolean> {
    const { _id, tenantId, ...rest } = plan;
    return (await this.updateOneScoped(tenantId, { _id }, { $setOnInsert: rest }, true)).upserted;
  }

  async get(tenantId: string, planId: string): Promise<PlanRecord | null> {
    return this.findOneScoped(tenantId, { _id: planId });
  }

  async deactivate(tenantId: string, planId: string): Promise<boolean> {
    return (await this.updateOneScoped(tenantId, { _id: planId }, { $set: { active: false } })).matched > 0;
  }
}
