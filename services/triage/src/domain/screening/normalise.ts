import type { Language } from '@careloop/i18n';

/**
 * Text folded to what patients type on any keyboard: lower case (Turkish-aware), no
 * diacritics, Russian ё→е, German ß→ss and umlauts as their two-letter spellings, so
 * "Übelkeit", "Uebelkeit" and "Ubelkeit" land within one edit of each other.
 */
export function foldText(text: string, language: Language): string {
  let s = text.normalize('NFC');
  // Turkish: "I" is dotless ı and "İ" is i; the default toLowerCase gets both wrong.
  s = language === 'tr' ? s.replace(/I/g, 'ı').replace(/İ/g, 'i').toLocaleLowerCase('tr') : s.toLowerCase();
  s = s.replace(/ё/g, 'е').replace(/ß/g, 'ss').replace(/œ/g, 'oe').replace(/æ/g, 'ae');
  if (language === 'de') s = s.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue');
  // Dotless ı folds to i: Turkish patients often type without Turkish letters.
  s = s.replace(/ı/g, 'i');
  // Strip combining marks (é→e, ñ→n, ç→c, ğ→g, ş→s) but keep Cyrillic й (и + breve once decomposed).
  s = s.normalize('NFD').replace(/и\u0306/g, 'й').replace(/\p{M}/gu, '');
  return s;
}

/** A token of a message: its folded form and whether a clause ends right after it. */
export interface Token {
  readonly text: string;
  /** Index of the clause (sentence or comma-separated part) the token belongs to. */
  readonly clause: number;
}

const CLAUSE_BREAK = /[.;!?¿¡:,\n()\u2026]/u;

/**
 * Splits folded text into word tokens and clauses. Apostrophes join in English ("can't" →
 * "cant") and split elsewhere (French "d'air" → "d", "air"). Clauses end at punctuation;
 * negation never reaches across a clause.
 */
export function tokenise(folded: string, language: Language): Token[] {
  const joined = language === 'en' ? folded.replace(/['’`´]/g, '') : folded.replace(/['’`´]/g, ' ');
  const tokens: Token[] = [];
  let clause = 0;
  // Words, or a single clause-breaking mark.
  for (const m of joined.matchAll(/[\p{L}\p{N}]+|[.;!?¿¡:,\n()\u2026]/gu)) {
    const piece = m[0];
    if (CLAUSE_BREAK.test(piece)) {
      if (tokens.length > 0 && tokens[tokens.length - 1]?.clause === clause) clause += 1;
      continue;
    }
    tokens.push({ text: piece, clause });
  }
  return tokens;
}
