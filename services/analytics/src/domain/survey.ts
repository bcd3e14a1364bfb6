import { replyIdParts } from '@careloop/skill-kit';

/**
 * The survey skill's reply ids (namespace "survey", as routing dispatches them):
 *   survey:rate:<surveyId>:<1-5>   a rating from the list (or the template's quick replies)
 *   survey:skip:<surveyId>         no comment, thanks
 * Ids carry only the survey id, never PHI (they travel through Meta).
 */
export type SurveyReply = { readonly kind: 'rate'; readonly surveyId: string; readonly rating: number } | { readonly kind: 'skip'; readonly surveyId: string };

export function rateReplyId(surveyId: string, rating: number): string {
  return `survey:rate:${surveyId}:${rating}`;
}

export function skipReplyId(surveyId: string): string {
  return `survey:skip:${surveyId}`;
}

export function parseSurveyReply(replyId: string): SurveyReply | undefined {
  const [namespace, kind, surveyId, value] = replyIdParts(replyId);
  if (namespace !== 'survey' || !surveyId) return undefined;
  if (kind === 'skip') return { kind: 'skip', surveyId };
  if (kind === 'rate') {
    const rating = Number(value);
    return Number.isInteger(rating) && rating >= 1 && rating <= 5 ? { kind: 'rate', surveyId, rating } : undefined;
  }
  return undefined;
}

/**
 * A survey's life: pending (waiting for its delay, quiet hours) → sent → rated → commented;
 * or skipped (no consent, frequency cap, no address, expired). `version` counts changes, for
 * the SurveyChanged snapshots consumers keep the highest of.
 */
export type SurveyStatus = 'pending' | 'sent' | 'rated' | 'commented' | 'skipped';

export type SkipReason = 'no-consent' | 'frequency-cap' | 'no-address' | 'expired';

/** Longest comment kept (characters); longer ones are cut before scoring and sealing. */
export const MAX_COMMENT_LENGTH = 1000;

export interface SurveyPolicy {
  readonly delayMs: number;
  readonly frequencyCapMs: number;
  readonly validityMs: number;
  readonly quietHours: { readonly start: number; readonly end: number };
  readonly templateName: string;
}
