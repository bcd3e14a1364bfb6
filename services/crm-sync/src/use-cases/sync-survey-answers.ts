import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { SurveyChanged } from '@careloop/contracts';
import type { Connection } from '../adapters/connector-registry';
import { isAnswered, sourceVersionOf, toSurveyQuestionnaireResponse } from '../domain/questionnaire-response-mapping';
import { assertValidR4 } from '../domain/r4-validation';
import type { EventRef, SyncDeps } from './ports';
import { writeQuestionnaireResponse, type QuestionnaireOutcome } from './write-questionnaire-response';
import { writeOrPark } from './write-or-park';

/**
 * What happens when a patient rates a satisfaction survey (analytics' SurveyChanged, rated or
 * commented): each connector carrying survey answers gets one QuestionnaireResponse per survey
 * with the 1-5 rating. The comment is PHI, stays in analytics and is not in the event. Sent,
 * skipped and unanswered surveys are not recorded; an older version never overwrites a newer.
 */
export class SyncSurveyAnswers {
  constructor(private readonly deps: SyncDeps) {}

  async execute(event: ReceivedEvent<SurveyChanged>): Promise<void> {
    const s = event.payload;
    if (!isAnswered(s)) return;
    if (s.tenantId !== event.tenantId) throw new NonRetryableError('survey tenant_id differs from the envelope tenant');
    if (!s.surveyId) throw new NonRetryableError('SurveyChanged without survey_id');
    if ((await this.deps.connectors.connectionsFor(event.tenantId, 'survey-answers-out')).length === 0) return;
    await this.deps.journal.record(event.tenantId, event.id, 'survey', event.occurredAt, SurveyChanged.encode(s).finish());
    await this.applyToAll(s, { event: { eventId: event.id, topic: 'survey' } });
  }

  async applyToAll(s: SurveyChanged, options: { only?: string; event?: EventRef } = {}): Promise<void> {
    if (!isAnswered(s)) return;
    const connections = (await this.deps.connectors.connectionsFor(s.tenantId, 'survey-answers-out')).filter((c) => !c.webhook && (!options.only || c.connector.connectorId === options.only));
    for (const connection of connections) {
      await writeOrPark(this.deps, connection, `survey:${s.surveyId}`, options.event, async () => {
        await this.applyTo(connection, s);
      });
    }
  }

  /** One connector, now (also the drainer's path). */
  async applyTo(connection: Connection, s: SurveyChanged): Promise<QuestionnaireOutcome | 'skipped'> {
    if (!isAnswered(s)) return 'skipped';
    if (!s.contactId) throw new NonRetryableError('SurveyChanged without contact_id');
    const started = performance.now();
    const subject = await this.deps.patients.referenceFor(connection, { tenantId: s.tenantId, kind: 'contact', value: s.contactId }, s.language);
    const desired = assertValidR4(toSurveyQuestionnaireResponse(s, subject));
    const outcome = await writeQuestionnaireResponse(connection, desired, (existing) => sourceVersionOf(existing) >= s.version);
    this.deps.observe?.('QuestionnaireResponse', outcome, (performance.now() - started) / 1000);
    this.deps.logger.debug({ tenantId: s.tenantId, connectorId: connection.connector.connectorId, surveyId: s.surveyId, version: s.version, outcome }, 'survey answer synced');
    return outcome;
  }
}
