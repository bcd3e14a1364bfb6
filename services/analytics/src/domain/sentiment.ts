import multilangSentiment from 'multilang-sentiment';
import type { Language } from '@careloop/i18n';

/**
 * Sentiment of a survey comment in the patient's language, with multilang-sentiment: the
 * AFINN-165 word list (valences -5..5) translated into each language, plus emoji rankings.
 * Its limits, stated in docs/analytics.md: word-level only (no sarcasm, little context), the
 * translated lists miss inflected forms (Turkish and Russian suffixes especially), negation is
 * handled only within a few tokens, and scores are comparable within one language better than
 * across languages.
 */
export interface Sentiment {
  /** Sum of word valences. */
  readonly score: number;
  readonly label: 'positive' | 'negative' | 'neutral';
}

export function sentimentOf(comment: string, language: Language): Sentiment {
  const result = multilangSentiment(comment, language);
  const score = Number.isFinite(result.score) ? result.score : 0;
  return { score, label: score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral' };
}
