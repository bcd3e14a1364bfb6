import { DEFAULT_LANGUAGE, type Language } from '@careloop/i18n';
import { foldedWords } from './fold-text';
import { greetingLanguage } from './greeting-lexicon';
import { phoneLanguage } from './phone-language';
import { guessLanguage } from './statistical-detector';

export type LanguageSource = 'recorded' | 'greeting' | 'detector' | 'earlier' | 'phone' | 'default';

export interface LanguageDetection {
  readonly language: Language;
  /** How sure we are, 0..1; comparable across sources, not a probability. */
  readonly confidence: number;
  readonly source: LanguageSource;
}

export interface LanguageEvidence {
  /** The patient's message (may be empty: a sticker, an image, a button press). */
  readonly text: string;
  readonly phoneE164?: string;
  /** The language already on the patient's record (their choice, or an earlier detection). */
  readonly recorded?: Language;
  /** A language read from this patient's earlier messages (a greeting, a confident detection). */
  readonly earlier?: Language;
}

// Below this share of the detector's scores, the text alone is a coin toss and the phone's
// country decides (measured: wrong guesses on short texts sat at 0.4–0.55, right ones mostly ≥ 0.6).
const CONFIDENT_SHARE = 0.6;
const CYRILLIC = /\p{Script=Cyrillic}/gu;
const LETTER = /\p{L}/gu;

/**
 * The language to answer a patient in. Evidence in order of strength:
 * 1. the language on record (the caller decides when a record should be re-detected);
 * 2. a short greeting-like message from the lexicon ("Hola", "Guten Tag", "Merhaba", "Привет");
 * 3. Cyrillic script → Russian (the only supported Cyrillic language);
 * 4. the statistical detector, when it is clearly sure;
 * 5. what the patient's earlier messages said (they greeted in English from a Spanish number);
 * 6. the phone number's country (see phone-language.ts for multilingual countries);
 * 7. the detector's unsure guess, if there was one; then English.
 */
export function detectLanguage(input: LanguageEvidence): LanguageDetection {
  if (input.recorded !== undefined) return { language: input.recorded, confidence: 1, source: 'recorded' };

  const greeting = greetingLanguage(foldedWords(input.text));
  if (greeting !== undefined) return { language: greeting, confidence: 0.9, source: 'greeting' };

  const letters = input.text.match(LETTER)?.length ?? 0;
  const cyrillic = input.text.match(CYRILLIC)?.length ?? 0;
  if (letters > 0 && cyrillic * 2 > letters) return { language: 'ru', confidence: 0.95, source: 'detector' };

  const guess = letters >= 3 ? guessLanguage(input.text) : undefined;
  if (guess !== undefined && guess.confidence >= CONFIDENT_SHARE) return { language: guess.language, confidence: round(guess.confidence * 0.9), source: 'detector' };

  if (input.earlier !== undefined) return { language: input.earlier, confidence: 0.7, source: 'earlier' };

  const fromPhone = input.phoneE164 === undefined ? undefined : phoneLanguage(input.phoneE164);
  if (fromPhone !== undefined) {
    // The text hesitated between languages and the phone's is one of them: more likely still.
    const confidence = guess?.candidates.includes(fromPhone) === true ? 0.6 : 0.4;
    return { language: fromPhone, confidence, source: 'phone' };
  }

  if (guess !== undefined) return { language: guess.language, confidence: round(guess.confidence * 0.5), source: 'detector' };
  return { language: DEFAULT_LANGUAGE, confidence: 0.1, source: 'default' };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
