import { NonRetryableError, type ReceivedEvent } from '@careloop/bus';
import { SurveyState, SurveySubject, type SurveyChanged } from '@careloop/contracts';
import { localBuckets } from '../domain/local-time';
import type { FactTable } from '../adapters/fact-tables';

function stateName(state: SurveyState): string {
  return SurveyState[state];
}

/**
 * What happens when a survey changes (analytics.survey.v1): its CSAT fact is replaced by the
 * newer snapshot (version-guarded, so replays and reordering change nothing). Counted as sent
 * once it went out; a response is a rating 1-5; satisfied is 4 or 5.
 */
export class RecordSurveyChange {
  constructor(private readonly facts: FactTable) {}

  async execute(event: Pick<ReceivedEvent<SurveyChanged>, 'tenantId' | 'payload'>): Promise<'applied' | 'stale'> {
    const s = event.payload;
    if (!s.surveyId) throw new NonRetryableError('survey_id is required');
    if (!(s.version > 0)) throw new NonRetryableError('version must be positive');
    if (!s.subjectAt) throw new NonRetryableError('subject_at is required');
    if (s.rating < 0 || s.rating > 5 || !Number.isInteger(s.rating)) throw new NonRetryableError('rating must be 0-5');
    const flag = (b: boolean) => (b ? 1 : 0);
    const sent = s.state === SurveyState.SURVEY_STATE_SENT || s.state === SurveyState.SURVEY_STATE_RATED || s.state === SurveyState.SURVEY_STATE_COMMENTED;
    const rating = sent ? s.rating : 0;
    const commented = sent && s.hasComment;
    const { day, week, month } = localBuckets(s.subjectAt, s.facilityTimeZone);
    const fields = {
      day,
      week,
      month,
      subject: s.subject === SurveySubject.SURVEY_SUBJECT_CONVERSATION ? 'conversation' : 'appointment',
      appointmentId: s.appointmentId,
      conversationId: s.conversationId,
      facilityId: s.facilityId,
      departmentId: s.departmentId,
      practitionerId: s.practitionerId,
      channel: s.channel,
      language: s.language,
      state: stateName(s.state),
      skipReason: s.skipReason,
      sent: flag(sent),
      responded: flag(rating > 0),
      satisfied: flag(rating >= 4),
      ratingSum: rating,
      r1: flag(rating === 1),
      r2: flag(rating === 2),
      r3: flag(rating === 3),
      r4: flag(rating === 4),
      r5: flag(rating === 5),
      commented: flag(commented),
      positive: flag(commented && s.sentimentScore > 0),
      negative: flag(commented && s.sentimentScore < 0),
      neutral: flag(commented && s.sentimentScore === 0),
      sentimentSum: commented ? s.sentimentScore : 0,
    };
    return (await this.facts.upsertVersioned(event.tenantId, s.surveyId, s.version, fields)) ? 'applied' : 'stale';
  }
}
