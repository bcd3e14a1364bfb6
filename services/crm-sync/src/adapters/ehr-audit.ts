import { Schema, type Connection } from 'mongoose';
import { nameBasedId } from '@careloop/bus';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';
import type { RefillStatus } from '../domain/refill-policy';

/** What the chat did with a patient's record, for the privacy officer — and who read that record of it. */
export type EhrAuditAction =
  | 'result.released.document'
  | 'result.released.summary'
  | 'result.announced'
  | 'result.withheld'
  | 'results.refused.unverified'
  | 'results.listed'
  | 'refill.requested'
  | 'refill.cancelled'
  | `refill.status.${RefillStatus}`
  | 'refill.refused.unverified'
  | 'audit.read';

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
  /** The turn that caused it ('' for a status update the EHR made, or a staff read). */
  turnId: string;
  /** Who acted when it was not the patient's chat: `staff:<sub>` for a read of this trail. */
  actor?: string;
  at: Date;
}

const schema = new Schema<EhrAuditDoc>(
  { _id: String, tenantId: { type: String, required: true }, contactId: String, patientId: String, connectorId: String, resource: String, action: String, reason: String, turnId: String, actor: String, at: Date },
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
  /** One patient's entries with `from <= at <= to`, oldest first (ties in id order), at most `limit`. */
  async trail(tenantId: string, patientId: string, window: { from: Date; to: Date; limit: number }): Promise<EhrAuditEntry[]> {
    const docs = await this.findScoped(tenantId, { patientId, at: { $gte: window.from, $lte: window.to } }, { sort: { at: 1, _id: 1 }, limit: window.limit });
    return docs.map(({ _id, tenantId: _t, ...entry }) => entry);
  }
}

/** An entry's id from what caused it (the turn, or the request and its status): a redelivery records once. */
export function auditEntryId(tenantId: string, ...cause: string[]): string {
  return nameBasedId(tenantId, 'ehr-audit', ...cause);
}
