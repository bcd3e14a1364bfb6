import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { TriageOutcome, type triage } from '@careloop/contracts';
import type { Connection } from '../adapters/connector-registry';
import type { AssessmentSource } from '../adapters/triage-client';
import { patientKeyOf } from '../domain/patient-mapping';
import { changedAtOf, toTriageQuestionnaireResponse } from '../domain/questionnaire-response-mapping';
import { assertValidR4 } from '../domain/r4-validation';
import type { EventRef, SyncDeps } from './ports';
import { writeQuestionnaireResponse, type QuestionnaireOutcome } from './write-questionnaire-response';
import { writeOrPark } from './write-or-park';

/**
 * What happens when triage decides an assessment (TriageOutcome): its answers, read through
 * triage's GetAssessment (the event carries codes only), become one QuestionnaireResponse per
 * assessment on each connector carrying triage answers. A later outcome of the same assessment
 * (by decided_at) replaces it as amended; an older one never overwrites a newer.
 */
export class SyncTriageAnswers {
  constructor(
    private readonly deps: SyncDeps,
    private readonly assessments: AssessmentSource,
  ) {}

  async execute(event: ReceivedEvent<TriageOutcome>): Promise<void> {
    const o = event.payload;
    if (!o.assessmentId) throw new NonRetryableError('TriageOutcome without assessment_id');
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'triage-answers-out')).length === 0) return;
    await this.deps.journal.record(event.tenantId, event.id, 'triage', event.occurredAt, TriageOutcome.encode(o).finish());
    await this.applyToAll(event.tenantId, o, { event: { eventId: event.id, topic: 'triage' } });
  }

  async applyToAll(tenantId: string, o: TriageOutcome, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    const connections = (await this.deps.connectors.connectionsFor(tenantId, 'triage-answers-out')).filter((c) => !c.webhook && (!options.only || c.connector.connectorId === options.only));
    if (connections.length === 0) return;
    let assessment: triage.GetAssessmentResponse | undefined; // read once, and only when some connector is written
    for (const connection of connections) {
      await writeOrPark(this.deps, connection, `assessment:${o.assessmentId}`, options.event, async () => {
        assessment ??= await this.assessments.getAssessment(tenantId, o.assessmentId);
        await this.applyTo(connection, tenantId, o, assessment);
      });
    }
  }

  /** One connector, now (also the drainer's path, which reads the assessment again). */
  async applyTo(connection: Connection, tenantId: string, o: TriageOutcome, known?: triage.GetAssessmentResponse): Promise<QuestionnaireOutcome> {
    const started = performance.now();
    const a = known ?? (await this.assessments.getAssessment(tenantId, o.assessmentId));
    if (a.assessmentId !== o.assessmentId) throw new NonRetryableError('GetAssessment answered for another assessment');
    // One patient on the contact's phone: that patient; several (a family) or none: the contact.
    const patientIds = a.patientIds.length ? a.patientIds : o.patientIds;
    const key = patientKeyOf(tenantId, patientIds.length === 1 ? (patientIds[0] ?? '') : '', a.contactId || o.contactId);
    if (!key) throw new NonRetryableError('assessment has neither a single patient id nor a contact id');
    const subject = await this.deps.patients.referenceFor(connection, key, a.language || o.language);
    const desired = assertValidR4(toTriageQuestionnaireResponse(tenantId, a, subject));
    const outcome = await writeQuestionnaireResponse(connection, desired, (existing: QuestionnaireResponse) => changedAtOf(existing) >= changedAtOf(desired));
    this.deps.observe?.('QuestionnaireResponse', outcome, (performance.now() - started) / 1000);
    this.deps.logger.debug({ tenantId, connectorId: connection.connector.connectorId, assessmentId: o.assessmentId, outcome }, 'triage answers synced');
    return outcome;
  }
}
