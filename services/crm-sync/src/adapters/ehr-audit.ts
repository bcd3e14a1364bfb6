import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';

/** What the chat did with a patient's record, for the privacy officer. */
export type EhrAuditAction = 'result.released.document' | 'result.released.summary' | 'result.announced' | 'result.withheld' | 'results.refused.unverified' | 'results.listed';

/** Append-only: every release and every refusal (who asked, which patient, which result, when, why). No PHI. */
interface EhrAuditDoc extends TenantOwned {
  _id: string;
  contactId: string;
  patientId: string;
  connectorId: string;
  /** The EHR's resource, e.g. "DiagnosticReport/123". */
  resource: string;
  action: EhrAuditAction;
  /** The policy rule or condition that decided ("category:LAB", "verification_expired"). */
  reason: string;
  /** The turn that caused it. */
  turnId: string;
  at: Date;
}

const schema = new Schema<EhrAuditDoc>(
  { _id: String, tenantId: { type: String, required: true }, contactId: String, patientId: String, connectorId: String, resource: String, action: String, reason: String, turnId: String, at: Date },
  { versionKey: false, collection: 'ehr_audit' },
);
schema.index({ tenantId: 1, patientId: 1, at: 1 });
schema.plugin(tenantGuard);

export type EhrAuditEntry = Omit<EhrAuditDoc, '_id' | 'tenantId'>;

export class EhrAudit extends TenantRepository<EhrAuditDoc> {
  constructor(connection: Connection) {
    super(modelFor<EhrAuditDoc>(connection, 'EhrAuditEntry', schema));
  }
  async init(): Promise<void> {
    await ensureCollection(this.model);
  }
  /** Idempotent per id (derived from the turn and the resource): a redelivered turn records once. */
  async record(tenantId: string, id: string, entry: EhrAuditEntry): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: id }, { $setOnInsert: entry }, true);
  }
  async forPatient(tenantId: string, patientId: string): Promise<EhrAuditDoc[]> {
    return this.findScoped(tenantId, { patientId }, { sort: { at: 1 } });
  }
}
