import { SUPPORTED_LANGUAGES, type Language } from '@careloop/i18n';
import { foldText, foldedWords } from '../language/fold-text';
import { HUMAN_PHRASES, MENU_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS } from './keyword-lists';

export type KeywordIntent = 'opt_out' | 'opt_in' | 'human' | 'menu';

/** A tenant's own keywords, added to the built-in ones (whole message, any language). */
export interface ExtraKeywords {
  readonly optOut?: readonly string[];
  readonly optIn?: readonly string[];
}

interface PhraseWord {
  readonly text: string;
  readonly prefix: boolean;
}

const OPT_OUT = foldedSet(OPT_OUT_KEYWORDS);
const OPT_IN = foldedSet(OPT_IN_KEYWORDS);
const MENU = foldedSet(MENU_KEYWORDS);
const HUMAN: readonly (readonly PhraseWord[])[] = SUPPORTED_LANGUAGES.flatMap((language) => HUMAN_PHRASES[language].map(parsePhrase));

/**
 * What a free-text message asks of routing itself, before any skill sees it, or undefined.
 * Opting out wins over everything (a patient who writes STOP must never get more than the
 * confirmation), then opting in, then the menu; "a person" is looked for inside sentences.
 */
export function classifyKeyword(text: string, extra?: ExtraKeywords): KeywordIntent | undefined {
  const folded = foldText(text);
  if (folded === '') return undefined;
  if (OPT_OUT.has(folded) || matchesAny(folded, extra?.optOut)) return 'opt_out';
  if (OPT_IN.has(folded) || matchesAny(folded, extra?.optIn)) return 'opt_in';
  if (MENU.has(folded)) return 'menu';
  const words = foldedWords(text);
  if (HUMAN.some((phrase) => containsPhrase(words, phrase))) return 'human';
  return undefined;
}

function foldedSet(byLanguage: Record<Language, readonly string[]>): ReadonlySet<string> {
  return new Set(SUPPORTED_LANGUAGES.flatMap((language) => byLanguage[language].map(foldText)));
}

function matchesAny(folded: string, keywords: readonly string[] | undefined): boolean {
  return keywords?.some((keyword) => foldText(keyword) === folded) === true;
}

function parsePhrase(phrase: string): PhraseWord[] {
  const prefix = phrase.endsWith('*');
  const words = foldedWords(prefix ? phrase.slice(0, -1) : phrase);
  return words.map((text, index) => ({ text, prefix: prefix && index === words.length - 1 }));
}

function containsPhrase(words: readonly string[], phrase: readonly PhraseWord[]): boolean {
  for (let start = 0; start + phrase.length <= words.length; start++) {
    if (phrase.every((expected, offset) => wordMatches(words[start + offset], expected))) return true;
  }
  return false;
}

function wordMatches(word: string | undefined, expected: PhraseWord): boolean {
  if (word === undefined) return false;
  return expected.prefix ? word.startsWith(expected.text) : word === expected.text;
}
