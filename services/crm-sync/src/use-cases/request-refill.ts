import type { Location, MedicationRequest, Task } from '@medplum/fhirtypes';
import { Channel, type SkillTurn, type TemplateMessage, type VerifiedPatient } from '@careloop/contracts';
import { nameBasedId, type ReceivedEvent } from '@careloop/bus';
import { WHATSAPP_LIMITS, type Language } from '@careloop/i18n';
import { buttonsMessage, listMessage, textMessage, type SkillResponder } from '@careloop/skill-kit';
import type { Connection, ConnectorRegistry } from '../adapters/connector-registry';
import { auditEntryId, type EhrAudit, type EhrAuditAction } from '../adapters/ehr-audit';
import type { EhrSession, EhrSessions } from '../adapters/ehr-sessions';
import type { RefillRequests } from '../adapters/refill-requests';
import { isControlled, medicationName, pharmacyOrganizationFor, type RefillPolicy, type RefillStatus } from '../domain/refill-policy';
import type { Catalog } from '../i18n/catalog';

const MAX_ROWS = 10;
/** v3 RoleCode PHARM: how the EHR's directory marks a Location as a pharmacy. */
const PHARMACY_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode|PHARM';
const TASK_CODE = { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill', display: 'Fulfill the focal request' }], text: 'Medication refill request' };
const BUSINESS_STATUS = 'urn:careloop:fhir:CodeSystem:refill-status';

export function refillSystem(tenantId: string): string {
  return `urn:careloop:${tenantId}:refill`;
}

export interface RefillDeps {
  readonly responder: SkillResponder;
  readonly registry: ConnectorRegistry;
  readonly sessions: EhrSessions;
  readonly requests: RefillRequests;
  readonly audit: EhrAudit;
  readonly catalog: Catalog;
  readonly refillPolicy: (tenantId: string) => RefillPolicy;
}

/**
 * "My repeat prescription": the verified patient picks one of their active MedicationRequests,
 * a pharmacy from the EHR's directory (Locations typed PHARM), and confirms. The request becomes
 * a FHIR Task (focus: the MedicationRequest; idempotent on our identifier) and goes to the staff
 * queue — the pharmacy's, or a clinician's at high priority for a controlled medication, which is
 * never approved automatically. The Task's later status comes back to the patient (see
 * FollowRefillStatus).
 */
export class RequestRefill {
  constructor(private readonly deps: RefillDeps) {}

  /** The verified turn: list the patient's active prescriptions. */
  async start(event: ReceivedEvent<SkillTurn>, verified: VerifiedPatient, language: Language): Promise<void> {
    const t = event.payload;
    const session: EhrSession = { patientId: verified.patientId, connectorId: verified.connectorId, ehrPatientId: verified.ehrPatientId, expiresAt: (verified.expiresAt ?? new Date()).toISOString() };
    const connection = await this.connection(event.tenantId, session);
    const bundle = await connection.fhir.search<MedicationRequest>('MedicationRequest', { subject: `Patient/${session.ehrPatientId}`, status: 'active', _count: String(MAX_ROWS) });
    const active = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest' && !!r.id);
    if (active.length === 0) return this.deps.responder.answer(event, [textMessage(this.t(language, 'refills.none'))], { kind: 'done', reason: 'no_active_prescriptions' });
    await this.deps.sessions.put(event.tenantId, t.contactId, session);
    const rows = active.slice(0, MAX_ROWS).map((r) => ({ id: `ehr:rx:${r.id ?? ''}`, title: fit(medicationName(r) || '—', WHATSAPP_LIMITS.listRowTitle), description: fit(r.dosageInstruction?.[0]?.text ?? '', WHATSAPP_LIMITS.listRowDescription) }));
    await this.deps.responder.answer(event, [listMessage({ body: this.t(language, 'refills.list.body'), button: this.t(language, 'refills.list.button'), sections: [{ title: this.t(language, 'refills.list.section'), rows }] })], { kind: 'continue' });
  }

  /** A press of `ehr:rx:<id>`, `ehr:ph:<id>`, `ehr:rxok` or `ehr:rxno` within the session. */
  async reply(event: ReceivedEvent<SkillTurn>, session: EhrSession, parts: readonly string[], language: Language): Promise<void> {
    const tenantId = event.tenantId;
    const t = event.payload;
    const [, step, id = ''] = parts;
    const connection = await this.connection(tenantId, session);
    switch (step) {
      case 'rx': {
        const request = await this.ownRequest(connection, session, id);
        if (!request) return this.deps.responder.answer(event, [textMessage(this.t(language, 'refills.none'))], { kind: 'done', reason: 'prescription_not_found' });
        const organization = pharmacyOrganizationFor(this.deps.refillPolicy(tenantId), t.facilityId || event.facilityId);
        const bundle = await connection.fhir.search<Location>('Location', { type: PHARMACY_TYPE, status: 'active', ...(organization ? { organization: `Organization/${organization}` } : {}), _count: String(MAX_ROWS) });
        const pharmacies = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Location => r?.resourceType === 'Location' && !!r.id);
        if (pharmacies.length === 0) return this.deps.responder.answer(event, [textMessage(this.t(language, 'refills.no_pharmacy'))], { kind: 'done', reason: 'no_pharmacy' });
        await this.deps.sessions.put(tenantId, t.contactId, { ...session, medicationRequestId: id });
        const rows = pharmacies.map((p) => ({ id: `ehr:ph:${p.id ?? ''}`, title: fit(p.name ?? '—', WHATSAPP_LIMITS.listRowTitle), description: fit(p.address?.city ?? '', WHATSAPP_LIMITS.listRowDescription) }));
        return this.deps.responder.answer(event, [listMessage({ body: this.t(language, 'refills.pharmacy.body'), button: this.t(language, 'refills.pharmacy.button'), sections: [{ title: this.t(language, 'refills.pharmacy.section'), rows }] })], { kind: 'continue' });
      }
      case 'ph': {
        const request = session.medicationRequestId ? await this.ownRequest(connection, session, session.medicationRequestId) : undefined;
        const pharmacy = await this.pharmacy(connection, id);
        if (!request || !pharmacy) return this.deps.responder.answer(event, [textMessage(this.t(language, 'refills.none'))], { kind: 'done', reason: 'refill_choice_lost' });
        await this.deps.sessions.put(tenantId, t.contactId, { ...session, pharmacyId: id });
        const body = this.t(language, 'refills.confirm.body', { medication: medicationName(request), pharmacy: pharmacy.name ?? '' });
        return this.deps.responder.answer(event, [buttonsMessage({ body, buttons: [{ id: 'ehr:rxok', title: this.t(language, 'refills.confirm.yes') }, { id: 'ehr:rxno', title: this.t(language, 'refills.confirm.no') }] })], { kind: 'continue' });
      }
      case 'rxok':
        return this.confirm(event, connection, session, language);
      case 'rxno':
        await this.audit(event, session, 'refill.cancelled', session.medicationRequestId ? `MedicationRequest/${session.medicationRequestId}` : `Patient/${session.ehrPatientId}`, 'by_patient');
        await this.deps.sessions.put(tenantId, t.contactId, { patientId: session.patientId, connectorId: session.connectorId, ehrPatientId: session.ehrPatientId, expiresAt: session.expiresAt });
        return this.deps.responder.answer(event, [textMessage(this.t(language, 'refills.cancelled'))], { kind: 'done', reason: 'refill_cancelled' });
      default:
        return this.deps.responder.answer(event, [textMessage(this.t(language, 'ehr.menu_hint'))], { kind: 'done', reason: 'not_understood' });
    }
  }

  private async confirm(event: ReceivedEvent<SkillTurn>, connection: Connection, session: EhrSession, language: Language): Promise<void> {
    const tenantId = event.tenantId;
    const t = event.payload;
    const request = session.medicationRequestId ? await this.ownRequest(connection, session, session.medicationRequestId) : undefined;
    const pharmacy = session.pharmacyId ? await this.pharmacy(connection, session.pharmacyId) : undefined;
    if (!request?.id || !pharmacy?.id) return this.deps.responder.answer(event, [textMessage(this.t(language, 'refills.none'))], { kind: 'done', reason: 'refill_choice_lost' });
    const policy = this.deps.refillPolicy(tenantId);
    const controlled = isControlled(request, policy);
    // A controlled medication waits for a clinician whatever the policy says about approval.
    const status: RefillStatus = controlled ? 'clinician-review' : policy.autoApprove ? 'approved' : 'requested';
    const requestId = nameBasedId(tenantId, 'refill', t.turnId);
    const now = new Date().toISOString();
    const task: Task = {
      resourceType: 'Task',
      identifier: [{ system: refillSystem(tenantId), value: requestId }],
      status: status === 'approved' ? 'accepted' : 'requested',
      businessStatus: { coding: [{ system: BUSINESS_STATUS, code: status }] },
      intent: 'order',
      priority: controlled ? 'urgent' : 'routine',
      code: TASK_CODE,
      focus: { reference: `MedicationRequest/${request.id}` },
      for: { reference: `Patient/${session.ehrPatientId}` },
      requester: { reference: `Patient/${session.ehrPatientId}` },
      location: { reference: `Location/${pharmacy.id}` },
      authoredOn: now,
      lastModified: now,
      ...(controlled ? { note: [{ text: 'Controlled medication: a clinician must review this request (never approved automatically).' }] } : {}),
    };
    const { resource } = await connection.fhir.create(task, `identifier=${encodeURIComponent(refillSystem(tenantId))}|${encodeURIComponent(requestId)}`);
    // Which way it went, by code: the medication itself stays in the EHR.
    await this.audit(event, session, 'refill.requested', `Task/${resource.id ?? ''}`, controlled ? 'controlled' : status === 'approved' ? 'auto_approved' : 'pharmacy_review');
    await this.deps.requests.record({
      id: requestId,
      tenantId,
      contactId: t.contactId,
      conversationId: t.conversationId,
      facilityId: t.facilityId || event.facilityId,
      patientId: session.patientId,
      connectorId: session.connectorId,
      taskId: resource.id ?? '',
      medicationRequestId: request.id,
      pharmacyId: pharmacy.id,
      controlled,
      language,
      channel: t.recipient?.channel ?? Channel.CHANNEL_WHATSAPP,
      endpointId: t.endpoint?.endpointId ?? '',
      channelUserId: t.recipient?.channelUserId ?? '',
      status,
    });
    await this.deps.sessions.put(tenantId, t.contactId, { patientId: session.patientId, connectorId: session.connectorId, ehrPatientId: session.ehrPatientId, expiresAt: session.expiresAt });
    const message = controlled ? this.t(language, 'refills.sent_clinician') : status === 'approved' ? this.t(language, 'refills.approved_now', { pharmacy: pharmacy.name ?? '' }) : this.t(language, 'refills.sent', { pharmacy: pharmacy.name ?? '' });
    const department = controlled ? policy.clinicianDepartment : policy.pharmacyDepartment;
    await this.deps.responder.answer(event, [textMessage(message)], { kind: 'escalate', priority: controlled ? 'high' : 'normal', department, reason: controlled ? 'refill_controlled_medication' : 'refill_request' });
  }

  private audit(event: ReceivedEvent<SkillTurn>, session: EhrSession, action: EhrAuditAction, resource: string, reason: string): Promise<void> {
    const t = event.payload;
    return this.deps.audit.record(event.tenantId, auditEntryId(event.tenantId, t.turnId, action, resource), {
      contactId: t.contactId,
      patientId: session.patientId,
      connectorId: session.connectorId,
      resource,
      action,
      reason,
      turnId: t.turnId,
      at: new Date(),
    });
  }

  /** The MedicationRequest, only if it is the verified patient's own and still active. */
  private async ownRequest(connection: Connection, session: EhrSession, id: string): Promise<MedicationRequest | undefined> {
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(id)) return undefined;
    const request = await connection.fhir.read<MedicationRequest>('MedicationRequest', id);
    return request?.subject.reference === `Patient/${session.ehrPatientId}` && request.status === 'active' ? request : undefined;
  }

  private async pharmacy(connection: Connection, id: string): Promise<Location | undefined> {
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(id)) return undefined;
    const location = await connection.fhir.read<Location>('Location', id);
    return location?.type?.some((c) => c.coding?.some((x) => x.code === 'PHARM')) ? location : undefined;
  }

  private async connection(tenantId: string, session: EhrSession): Promise<Connection> {
    const connection = await this.deps.registry.connection(tenantId, session.connectorId);
    if (!connection) throw new ConnectorGoneError('the connector the patient was verified against is gone');
    return connection;
  }

  private t(language: Language, key: Parameters<Catalog['t']>[1], values?: Record<string, string | number>): string {
    return this.deps.catalog.t(language, key, values);
  }
}

/** The connector a verification named is no longer there (removed, disabled). */
export class ConnectorGoneError extends Error {
  override readonly name = 'ConnectorGoneError';
}

/** Sent instead of a status update when the 24-hour window has closed: no clinical detail. */
export function refillUpdateTemplate(language: string): TemplateMessage {
  return { name: 'careloop_request_update', languageCode: language, components: [] };
}

function fit(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

