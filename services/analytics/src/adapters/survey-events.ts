import { nameBasedId, type EventBus } from '@careloop/bus';
import { SurveyChanged, SurveyState, SurveySubject, Topics } from '@careloop/contracts';
import type { SurveyDoc, SurveyStore } from './survey-store';
import type { SurveyStatus } from '../domain/survey';

const STATES: Record<SurveyStatus, SurveyState> = {
  pending: SurveyState.SURVEY_STATE_UNSPECIFIED,
  sent: SurveyState.SURVEY_STATE_SENT,
  rated: SurveyState.SURVEY_STATE_RATED,
  commented: SurveyState.SURVEY_STATE_COMMENTED,
  skipped: SurveyState.SURVEY_STATE_SKIPPED,
};

/** The PHI-free snapshot of a survey: no recipient, no comment text. */
export function surveyChangedOf(doc: SurveyDoc): SurveyChanged {
  return SurveyChanged.fromPartial({
    surveyId: doc._id,
    tenantId: doc.tenantId,
    subject: doc.subject === 'conversation' ? SurveySubject.SURVEY_SUBJECT_CONVERSATION : SurveySubject.SURVEY_SUBJECT_APPOINTMENT,
    appointmentId: doc.appointmentId,
    conversationId: doc.conversationId,
    contactId: doc.contactId,
    facilityId: doc.facilityId,
    facilityTimeZone: doc.facilityTimeZone,
    departmentId: doc.departmentId,
    practitionerId: doc.practitionerId,
    channel: doc.channel,
    state: STATES[doc.status],
    skipReason: doc.skipReason,
    subjectAt: doc.subjectAt,
    ...(doc.sentAt ? { sentAt: doc.sentAt } : {}),
    rating: doc.rating,
    ...(doc.ratedAt ? { ratedAt: doc.ratedAt } : {}),
    hasComment: doc.hasComment,
    sentimentScore: doc.sentimentScore,
    language: doc.language,
    version: doc.version,
    changedAt: new Date(),
  });
}

/** Publishes a survey's change, then clears its outbox mark (a crash in between republishes the same event id). */
export class SurveyEvents {
  constructor(
    private readonly bus: EventBus,
    private readonly store: SurveyStore,
  ) {}

  async publish(doc: SurveyDoc): Promise<void> {
    await this.bus.publish(Topics.surveyChanged, surveyChangedOf(doc), {
      key: doc._id,
      tenantId: doc.tenantId,
      facilityId: doc.facilityId,
      id: nameBasedId(doc.tenantId, 'survey-changed', doc._id, String(doc.version)),
    });
    await this.store.markPublished(doc.tenantId, doc._id, doc.version);
  }
}
