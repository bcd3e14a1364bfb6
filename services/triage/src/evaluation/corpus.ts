import { isLanguage, type Language } from '@careloop/i18n';

/** One evaluation case: what the patient wrote, and whether it is an emergency. */
export interface CorpusCase {
  readonly line: number;
  readonly language: Language;
  /** "emergency", or what a non-emergency should reach ("not-emergency", "soon", ...). */
  readonly expected: string;
  readonly emergency: boolean;
  readonly text: string;
}

export class CorpusError extends Error {
  override readonly name = 'CorpusError';
}

const NON_EMERGENCY = new Set(['not-emergency', 'urgent', 'soon', 'routine', 'self-care']);

/** Parses a corpus file: one case a line, `language<TAB>expected<TAB>text`; `#` starts a comment. */
export function parseCorpus(content: string, source = 'corpus'): CorpusCase[] {
  const cases: CorpusCase[] = [];
  content.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const [language, expected, ...rest] = raw.split('\t');
    const text = rest.join('\t').trim();
    if (!isLanguage(language)) throw new CorpusError(`${source}:${line}: unknown language "${language ?? ''}"`);
    if (expected !== 'emergency' && !NON_EMERGENCY.has(expected ?? '')) throw new CorpusError(`${source}:${line}: expected must be emergency, not-emergency, urgent, soon, routine or self-care`);
    if (text === '') throw new CorpusError(`${source}:${line}: no text`);
    cases.push({ line, language, expected: expected ?? '', emergency: expected === 'emergency', text });
  });
  return cases;
}

export interface LanguageScore {
  readonly language: Language;
  readonly emergencies: number;
  readonly escalated: number;
  readonly nonEmergencies: number;
  readonly overTriaged: number;
  /** Escalated emergencies / emergencies (1 when there are none). */
  readonly recall: number;
  /** Escalated non-emergencies / non-emergencies (0 when there are none). */
  readonly overTriage: number;
}

export interface Evaluation {
  readonly byLanguage: readonly LanguageScore[];
  readonly total: LanguageScore | { readonly language: 'all' } & Omit<LanguageScore, 'language'>;
  /** Emergencies that were not escalated: each one is a failure. */
  readonly missed: readonly CorpusCase[];
  readonly overTriaged: readonly CorpusCase[];
}

/** Scores a screener over cases: emergency recall and over-triage, per language and overall. */
export function evaluate(cases: readonly CorpusCase[], isEmergency: (c: CorpusCase) => boolean): Evaluation {
  const missed: CorpusCase[] = [];
  const over: CorpusCase[] = [];
  const tally = new Map<Language, { e: number; esc: number; n: number; o: number }>();
  for (const c of cases) {
    const t = tally.get(c.language) ?? { e: 0, esc: 0, n: 0, o: 0 };
    const escalated = isEmergency(c);
    if (c.emergency) {
      t.e++;
      if (escalated) t.esc++;
      else missed.push(c);
    } else {
      t.n++;
      if (escalated) {
        t.o++;
        over.push(c);
      }
    }
    tally.set(c.language, t);
  }
  const score = (e: number, esc: number, n: number, o: number) => ({ emergencies: e, escalated: esc, nonEmergencies: n, overTriaged: o, recall: e === 0 ? 1 : esc / e, overTriage: n === 0 ? 0 : o / n });
  const byLanguage = [...tally.entries()].map(([language, t]) => ({ language, ...score(t.e, t.esc, t.n, t.o) }));
  const sum = (k: 'e' | 'esc' | 'n' | 'o') => [...tally.values()].reduce((a, t) => a + t[k], 0);
  return { byLanguage, total: { language: 'all', ...score(sum('e'), sum('esc'), sum('n'), sum('o')) }, missed, overTriaged: over };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The table the evaluation command prints. Lists misses and over-triage by file line only (no text). */
export function formatEvaluation(evaluation: Evaluation): string {
  const rows = [...evaluation.byLanguage, evaluation.total].map(
    (s) => `${s.language.padEnd(5)} ${String(s.emergencies).padStart(4)} ${String(s.escalated).padStart(9)} ${pct(s.recall).padStart(7)}   ${String(s.nonEmergencies).padStart(5)} ${String(s.overTriaged).padStart(8)} ${pct(s.overTriage).padStart(11)}`,
  );
  return [
    'lang  emerg escalated  recall   other escalated over-triage',
    ...rows,
    evaluation.missed.length > 0 ? `MISSED emergencies (lines): ${evaluation.missed.map((c) => `${c.language}:${c.line}`).join(', ')}` : 'missed emergencies: none',
    evaluation.overTriaged.length > 0 ? `over-triaged (lines): ${evaluation.overTriaged.map((c) => `${c.language}:${c.line}`).join(', ')}` : 'over-triaged: none',
  ].join('\n');
}

/**
 * Typing slips made on purpose: for every word of six letters or more in an emergency case,
 * the case again with two letters in the middle of that word swapped ("breathe" → "braethe").
 * Measures how much of the recall survives a typo the corpus does not already hold.
 */
export function withSwappedLetters(cases: readonly CorpusCase[]): CorpusCase[] {
  return cases
    .filter((c) => c.emergency)
    .flatMap((c) =>
      [...c.text.matchAll(/\p{L}{6,}/gu)].map((m) => {
        const word = m[0];
        const i = Math.floor(word.length / 2);
        const slipped = word.slice(0, i - 1) + (word[i] ?? '') + (word[i - 1] ?? '') + word.slice(i + 1);
        return { ...c, text: c.text.slice(0, m.index) + slipped + c.text.slice(m.index + word.length) };
      }),
    );
}
