import type { Task } from '@medplum/fhirtypes';
import { nameBasedId } from '@careloop/bus';
import { ConsentState, type ConsentChanged } from '@careloop/contracts';
import type { ReceivedEvent } from '@careloop/bus';
import { DEFAULT_LANGUAGE, isLanguage } from '@careloop/i18n';
import type { Logger } from '@careloop/observability';
import { textMessage, type SkillResponder } from '@careloop/skill-kit';
import type { ConnectorRegistry } from '../adapters/connector-registry';
import { auditEntryId, type EhrAudit } from '../adapters/ehr-audit';
import type { RefillRequests } from '../adapters/refill-requests';
import { REFILL_FINAL, refillStatusOf, type RefillStatus } from '../domain/refill-policy';
import type { Catalog } from '../i18n/catalog';
import { refillUpdateTemplate } from './request-refill';

/** Requests looked at per round. */
const BATCH = 200;

/**
 * Brings a refill request's status back to the patient: every round, each open request's Task is
 * read from the EHR (where the pharmacy or the clinician updates it); a new status (approved,
 * being prepared, ready for pickup, declined with the Task's reason) is told to the patient once
 * (the command id derives from request and status), outside the 24-hour window as a template
 * without clinical detail. A contact that opted out hears nothing.
 */
export class FollowRefillStatus {
  constructor(
    private readonly deps: {
      readonly requests: RefillRequests;
      readonly audit: EhrAudit;
      readonly registry: ConnectorRegistry;
      readonly responder: SkillResponder;
      readonly catalog: Catalog;
      readonly logger: Logger;
    },
  ) {}

  async tick(): Promise<void> {
    for (const watched of await this.deps.requests.open(BATCH)) {
      try {
        await this.follow(watched);
      } catch (error) {
        // One EHR being down does not hold the others' updates back; the next round tries again.
        this.deps.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' }, tenantId: watched.tenantId, connectorId: watched.connectorId }, 'refill status check failed');
      }
    }
  }

  /** routing's consent events: an opt-out stops the updates of that contact's requests. */
  async onConsent(event: ReceivedEvent<ConsentChanged>): Promise<void> {
    const { contactId, state } = event.payload;
    if (state === ConsentState.CONSENT_STATE_OPTED_OUT) await this.deps.requests.silence(event.tenantId, contactId, true);
    if (state === ConsentState.CONSENT_STATE_OPTED_IN) await this.deps.requests.silence(event.tenantId, contactId, false);
  }

  private async follow(watched: { id: string; tenantId: string; connectorId: string; taskId: string; status: string }): Promise<void> {
    const connection = await this.deps.registry.connection(watched.tenantId, watched.connectorId);
    if (!connection || !watched.taskId) return;
    const task = await connection.fhir.read<Task>('Task', watched.taskId);
    if (!task) return;
    const status = refillStatusOf(task);
    if (status === watched.status) return;
    const request = await this.deps.requests.get(watched.tenantId, watched.id);
    if (!request) return;
    const language = isLanguage(request.language) ? request.language : DEFAULT_LANGUAGE;
    const body = this.message(language, status, task);
    if (body && !request.silenced) {
      await this.deps.responder.notify(
        {
          tenantId: request.tenantId,
          facilityId: request.facilityId,
          contactId: request.contactId,
          conversationId: request.conversationId,
          endpoint: { channel: request.channel, endpointId: request.endpointId, displayAddress: '', accountId: '' },
          recipient: { channel: request.channel, channelUserId: request.channelUserId },
        },
        textMessage(body),
        { commandId: nameBasedId(request.tenantId, 'refill-status', request.id, status), templateFallback: refillUpdateTemplate(language) },
      );
      // Before the status is stored: a failure here repeats the round, the send deduplicates.
      const action = `refill.status.${status}` as const;
      const resource = `Task/${watched.taskId}`;
      await this.deps.audit.record(request.tenantId, auditEntryId(request.tenantId, 'refill-status', request.id, action, resource), {
        contactId: request.contactId,
        patientId: request.patientId,
        connectorId: request.connectorId,
        resource,
        action,
        reason: statusReasonCode(status, task),
        turnId: '',
        at: new Date(),
      });
    }
    await this.deps.requests.setStatus(request.tenantId, request.id, status, REFILL_FINAL.has(status));
  }

  private message(language: Parameters<Catalog['t']>[0], status: RefillStatus, task: Task): string | undefined {
    switch (status) {
      case 'approved':
        return this.deps.catalog.t(language, 'refills.status.approved');
      case 'in-progress':
        return this.deps.catalog.t(language, 'refills.status.in_progress');
      case 'ready':
        return this.deps.catalog.t(language, 'refills.status.ready');
      case 'declined': {
        const reason = task.statusReason?.text ?? task.statusReason?.coding?.[0]?.display;
        return reason ? this.deps.catalog.t(language, 'refills.status.declined', { reason }) : this.deps.catalog.t(language, 'refills.status.declined_no_reason');
      }
      case 'requested':
      case 'clinician-review':
        return undefined;
    }
  }
}

/**
 * The audit's reason for a status: the status, and for a decline the EHR's coded reason when it
 * has one — never its text, which the clinician may have written about the patient.
 */
export function statusReasonCode(status: RefillStatus, task: Task): string {
  if (status !== 'declined') return status;
  const code = task.statusReason?.coding?.find((c) => c.code && /^[A-Za-z0-9._:-]{1,64}$/.test(c.code))?.code;
  return code ? `declined:${code}` : 'declined';
}
