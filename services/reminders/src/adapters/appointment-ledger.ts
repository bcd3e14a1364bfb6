import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';

/** The latest version of each appointment reminders has acted on (events may come twice or out of order). */
export interface AppointmentRecord extends TenantOwned {
  _id: string;
  version: number;
  status: number;
  start: Date | null;
  confirmed: boolean;
}

const schema = new Schema<AppointmentRecord>(
  { _id: String, tenantId: { type: String, required: true }, version: Number, status: Number, start: Date, confirmed: Boolean },
  { versionKey: false, collection: 'appointments' },
);
schema.plugin(tenantGuard);

export class AppointmentLedger extends TenantRepository<AppointmentRecord> {
  constructor(connection: Connection) {
    super(modelFor<AppointmentRecord>(connection, 'Appointment', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  async get(tenantId: string, appointmentId: string): Promise<AppointmentRecord | null> {
    return this.findOneScoped(tenantId, { _id: appointmentId });
  }

  async save(record: AppointmentRecord): Promise<void> {
    const { _id, tenantId, ...rest } = record;
    await this.updateOneScoped(tenantId, { _id }, { $set: rest }, true);
  }
}
