import { randomUUID } from 'node:crypto';
import type { StaffCaller } from '@careloop/service-kit';
import { auditEntryId, type EhrAudit, type EhrAuditEntry } from '../adapters/ehr-audit';
import { parseAuditQuery, type AuditReaderRole } from '../domain/audit-query';

/** One entry as the privacy officer sees it. */
export interface AuditTrailEntry {
  readonly at: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
  readonly contactId: string;
  readonly turnId: string;
  readonly connectorId: string;
  /** `staff:<id>` for a staff member's read of this trail; '' for what the chat did. */
  readonly actor: string;
}

export interface AuditTrailPage {
  readonly patientId: string;
  readonly from: string;
  readonly to: string;
  readonly entries: readonly AuditTrailEntry[];
  /** More entries in the window than `limit`: ask again from the last entry's `at`. */
  readonly hasMore: boolean;
}

/**
 * A privacy officer (or a supervisor, an admin) reads one patient's EHR audit trail: what the chat
 * released, announced, withheld or refused, which refills it took and told. The read is itself
 * an entry of that trail, written before anything is returned — no read goes unrecorded.
 */
export class ReadEhrAudit {
  constructor(
    private readonly deps: {
      readonly audit: Pick<EhrAudit, 'record' | 'trail'>;
      readonly now?: () => Date;
    },
  ) {}

  /** `parameters`: the request's query string; InvalidAuditQueryError names a bad one. */
  async execute(staff: StaffCaller<AuditReaderRole>, parameters: Record<string, unknown>): Promise<AuditTrailPage> {
    const now = this.deps.now?.() ?? new Date();
    const query = parseAuditQuery(parameters, now);
    await this.deps.audit.record(staff.tenantId, auditEntryId(staff.tenantId, 'audit-read', randomUUID()), {
      contactId: '',
      patientId: query.patientId,
      connectorId: '',
      resource: 'ehr_audit',
      action: 'audit.read',
      reason: `role:${staff.role}`,
      turnId: '',
      actor: `staff:${staff.id}`,
      // The window's default end: a read without `to` lists itself.
      at: now,
    });
    const entries = await this.deps.audit.trail(staff.tenantId, query.patientId, { from: query.from, to: query.to, limit: query.limit + 1 });
    return {
      patientId: query.patientId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      entries: entries.slice(0, query.limit).map(view),
      hasMore: entries.length > query.limit,
    };
  }
}

function view(e: EhrAuditEntry): AuditTrailEntry {
  return { at: e.at.toISOString(), action: e.action, resource: e.resource, reason: e.reason, contactId: e.contactId, turnId: e.turnId, connectorId: e.connectorId, actor: e.actor ?? '' };
}
