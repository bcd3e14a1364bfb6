import { randomUUID } from 'node:crypto';
import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';

/** Append-only: every read of survey comments (PHI) by a person. */
interface AuditEntryDoc extends TenantOwned {
  _id: string;
  actor: string;
  role: string;
  action: string;
  resource: string;
  count: number;
  at: Date;
}

const schema = new Schema<AuditEntryDoc>(
  { _id: String, tenantId: { type: String, required: true }, actor: String, role: String, action: String, resource: String, count: Number, at: Date },
  { versionKey: false, collection: 'audit_log' },
);
schema.index({ tenantId: 1, actor: 1 });
schema.plugin(tenantGuard);

export class AuditLog extends TenantRepository<AuditEntryDoc> {
  constructor(connection: Connection) {
    super(modelFor<AuditEntryDoc>(connection, 'AuditEntry', schema));
  }
  async init(): Promise<void> {
    await ensureCollection(this.model);
  }
  async record(tenantId: string, entry: { actor: string; role: string; action: string; resource: string; count: number }): Promise<void> {
    await this.insertScoped(tenantId, { _id: randomUUID(), ...entry, at: new Date() });
  }
  async byActor(tenantId: string, actor: string): Promise<AuditEntryDoc[]> {
    return this.findScoped(tenantId, { actor });
  }
}
