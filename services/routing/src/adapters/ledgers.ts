import { randomUUID } from 'node:crypto';
import { Schema, type Connection } from 'mongoose';
import { modelFor, ensureCollection, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';
import type { ConsentStatus } from '../domain/conversation';

/** Append-only: every consent answer, when, how and under which wording. */
interface ConsentEntryDoc extends TenantOwned {
  _id: string;
  contactId: string;
  state: ConsentStatus;
  purpose: string;
  wordingVersion: string;
  source: string;
  at: Date;
}

/** Append-only: every read of patient data by a person. */
interface AuditEntryDoc extends TenantOwned {
  _id: string;
  actor: string;
  role: string;
  action: string;
  resource: string;
  at: Date;
}

const consentSchema = new Schema<ConsentEntryDoc>(
  { _id: String, tenantId: { type: String, required: true }, contactId: String, state: String, purpose: String, wordingVersion: String, source: String, at: Date },
  { versionKey: false, collection: 'consent_ledger' },
);
consentSchema.index({ tenantId: 1, contactId: 1, at: 1 });
consentSchema.plugin(tenantGuard);

const auditSchema = new Schema<AuditEntryDoc>(
  { _id: String, tenantId: { type: String, required: true }, actor: String, role: String, action: String, resource: String, at: Date },
  { versionKey: false, collection: 'audit_log' },
);
auditSchema.index({ tenantId: 1, resource: 1, at: 1 });
auditSchema.plugin(tenantGuard);

export class ConsentLedger extends TenantRepository<ConsentEntryDoc> {
  constructor(connection: Connection) {
    super(modelFor<ConsentEntryDoc>(connection, 'ConsentEntry', consentSchema));
  }
  async init(): Promise<void> {
    await ensureCollection(this.model);
  }
  /** Idempotent for a given entry id: a re-processed turn does not record its answer twice. */
  async record(tenantId: string, entry: Omit<ConsentEntryDoc, '_id' | 'tenantId'>, id: string = randomUUID()): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: id }, { $setOnInsert: entry }, true);
  }
  async entries(tenantId: string, contactId: string): Promise<ConsentEntryDoc[]> {
    return this.findScoped(tenantId, { contactId }, { sort: { at: 1 } });
  }
}

export class AuditLog extends TenantRepository<AuditEntryDoc> {
  constructor(connection: Connection) {
    super(modelFor<AuditEntryDoc>(connection, 'AuditEntry', auditSchema));
  }
  async init(): Promise<void> {
    await ensureCollection(this.model);
  }
  async record(tenantId: string, entry: { actor: string; role: string; action: string; resource: string }): Promise<void> {
    await this.insertScoped(tenantId, { _id: randomUUID(), ...entry, at: new Date() });
  }
  async forResource(tenantId: string, resource: string): Promise<AuditEntryDoc[]> {
    return this.findScoped(tenantId, { resource }, { sort: { at: 1 } });
  }
}
