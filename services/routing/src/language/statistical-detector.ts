// tinyld's "heavy" model, restricted to our languages. Chosen on a labelled set of 121 short
// patient messages (test/language-detection.test.ts), detector alone: tinyld heavy 115,
// tinyld normal 109, languagedetect 96, cld3-asm 71 right; eld also scored 115 and franc-min 91,
// but both are ESM-only and do not load under jest's CommonJS runtime; cld3-asm cannot be
// restricted to a subset of languages. With the greeting lexicon in front, heavy gets 120/121
// from the text alone, normal 118 (it misses unaccented Turkish). The price: ~1 s and ~60 MB
// of heap at first import (normal: ~0.3 s, ~20 MB), once per process; ~0.15 ms per message.
import { detectAll } from 'tinyld/heavy';
import { SUPPORTED_LANGUAGES, isLanguage, type Language } from '@careloop/i18n';

export interface StatisticalGuess {
  readonly language: Language;
  /** The top language's share of the candidates' scores, 0..1: 1 means no competitor at all. */
  readonly confidence: number;
  /** Every language the detector considered possible, best first. */
  readonly candidates: readonly Language[];
}

const ONLY: string[] = [...SUPPORTED_LANGUAGES];

/** The detector's best guess among the supported languages, or undefined if it has none. */
export function guessLanguage(text: string): StatisticalGuess | undefined {
  const scored = detectAll(text, { only: ONLY }).flatMap(({ lang, accuracy }) => (isLanguage(lang) && accuracy > 0 ? [{ language: lang, accuracy }] : []));
  const [best] = scored;
  if (best === undefined) return undefined;
  // tinyld's accuracies are not calibrated probabilities; the share of the total tells
  // "es 0.20 vs fr 0.02" (clear) from "fr 0.10 vs es 0.09" (a coin toss).
  const total = scored.reduce((sum, { accuracy }) => sum + accuracy, 0);
  return { language: best.language, confidence: best.accuracy / total, candidates: scored.map(({ language }) => language) };
}
