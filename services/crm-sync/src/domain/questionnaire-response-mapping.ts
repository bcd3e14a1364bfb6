import type { Patient, QuestionnaireResponse, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer, Reference } from '@medplum/fhirtypes';
import { SurveyState, SurveySubject, type SurveyChanged, type triage } from '@careloop/contracts';
import { ownSystem, SOURCE_VERSION_EXTENSION } from './connector';
import { SOURCE_CHANGED_AT_EXTENSION } from './consent-mapping';

/** Canonical URLs of the questionnaires our answers follow (triage protocols, satisfaction surveys). */
const QUESTIONNAIRE = 'urn:careloop:fhir:Questionnaire';
const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
/** Version of the satisfaction survey's questionnaire: one question, a 1-5 rating. */
export const SURVEY_QUESTIONNAIRE_VERSION = '1';

export function triageQuestionnaire(protocolId: string, protocolVersion: string): string {
  return `${QUESTIONNAIRE}:triage-${protocolId}${protocolVersion ? `|${protocolVersion}` : ''}`;
}

/** The code system of one protocol's choice answers (option ids, "yes", "no"). */
export function triageAnswerSystem(protocolId: string): string {
  return `${QUESTIONNAIRE}:triage-${protocolId}:answer`;
}

export function surveyQuestionnaire(subject: SurveySubject): string {
  const about = subject === SurveySubject.SURVEY_SUBJECT_CONVERSATION ? 'conversation' : 'appointment';
  return `${QUESTIONNAIRE}:satisfaction-${about}|${SURVEY_QUESTIONNAIRE_VERSION}`;
}

function answerOf(protocolId: string, value: triage.Answer['value']): QuestionnaireResponseItemAnswer | undefined {
  switch (value?.$case) {
    case 'choice': return { valueCoding: { system: triageAnswerSystem(protocolId), code: value.value } };
    case 'number': return { valueDecimal: value.value };
    case 'text': return { valueString: value.value };
    case 'unknown': return { valueCoding: { system: DATA_ABSENT_REASON, code: 'asked-unknown', display: 'Asked But Unknown' } };
    case undefined: return undefined;
  }
}

/** triage's assessment status → QuestionnaireResponse.status (amended is set when an update replaces an earlier one). */
function triageStatus(status: string): QuestionnaireResponse['status'] {
  return status === 'open' ? 'in-progress' : 'completed';
}

/** When the assessment was decided, as we sent it: an older outcome never overwrites a newer one. */
export function changedAtOf(r: Pick<QuestionnaireResponse, 'extension'>): number {
  const v = r.extension?.find((e) => e.url === SOURCE_CHANGED_AT_EXTENSION)?.valueDateTime;
  return v ? Date.parse(v) : 0;
}

export function sourceVersionOf(r: Pick<QuestionnaireResponse, 'extension'>): number {
  return r.extension?.find((e) => e.url === SOURCE_VERSION_EXTENSION)?.valueInteger ?? 0;
}

/**
 * A triage assessment's answers as an R4 QuestionnaireResponse: the protocol (id|version) as
 * the questionnaire, one item per question (linkId = triage's question id, the English reference
 * text, the answer by its type), the Patient as subject and source. The answers are PHI and go
 * only to the EHR; nothing of them is logged.
 */
export function toTriageQuestionnaireResponse(tenantId: string, a: triage.GetAssessmentResponse, subject: Reference<Patient>): QuestionnaireResponse {
  const item: QuestionnaireResponseItem[] = [];
  for (const answer of a.answers) {
    if (!answer.questionId) continue;
    const value = answerOf(a.protocolId, answer.value);
    item.push({ linkId: answer.questionId, ...(answer.questionText ? { text: answer.questionText } : {}), ...(value ? { answer: [value] } : {}) });
  }
  const decidedAt = a.decidedAt ?? a.createdAt;
  return {
    resourceType: 'QuestionnaireResponse',
    identifier: { system: ownSystem(tenantId, 'triage-assessment'), value: a.assessmentId },
    ...(decidedAt ? { extension: [{ url: SOURCE_CHANGED_AT_EXTENSION, valueDateTime: decidedAt.toISOString() }] } : {}),
    ...(a.protocolId ? { questionnaire: triageQuestionnaire(a.protocolId, a.protocolVersion) } : {}),
    status: triageStatus(a.status),
    subject,
    source: subject,
    ...(decidedAt ? { authored: decidedAt.toISOString() } : {}),
    ...(item.length ? { item } : {}),
  };
}

/** A survey counts as answered once the patient chose a rating (a comment may follow; it is never sent). */
export function isAnswered(s: SurveyChanged): boolean {
  return (s.state === SurveyState.SURVEY_STATE_RATED || s.state === SurveyState.SURVEY_STATE_COMMENTED) && s.rating >= 1 && s.rating <= 5;
}

/**
 * A satisfaction survey's rating as an R4 QuestionnaireResponse: one item `rating` with the 1-5
 * integer. The comment is PHI, is not in the event, and is never sent.
 */
export function toSurveyQuestionnaireResponse(s: SurveyChanged, subject: Reference<Patient>): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    identifier: { system: ownSystem(s.tenantId, 'survey'), value: s.surveyId },
    extension: [{ url: SOURCE_VERSION_EXTENSION, valueInteger: s.version }],
    questionnaire: surveyQuestionnaire(s.subject),
    status: 'completed',
    subject,
    source: subject,
    ...(s.ratedAt ? { authored: s.ratedAt.toISOString() } : {}),
    item: [{ linkId: 'rating', text: 'How would you rate your experience? (1-5)', answer: [{ valueInteger: s.rating }] }],
  };
}

/** Whether two versions record the same answers (an update that changes nothing is not sent). */
export function sameAnswers(a: Pick<QuestionnaireResponse, 'item' | 'questionnaire'>, b: Pick<QuestionnaireResponse, 'item' | 'questionnaire'>): boolean {
  return a.questionnaire === b.questionnaire && JSON.stringify(a.item ?? []) === JSON.stringify(b.item ?? []);
}
