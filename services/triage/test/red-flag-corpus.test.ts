import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUPPORTED_LANGUAGES } from '@careloop/i18n';
import { evaluate, formatEvaluation, parseCorpus, withSwappedLetters } from '../src/evaluation/corpus';
import { library } from './support/library';

const dir = join(__dirname, 'corpus');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.tsv'))
  .flatMap((f) => parseCorpus(readFileSync(join(dir, f), 'utf8'), f));

// The screener escalates on purpose when in doubt (a past "stroke" or "heart attack" in a
// message about a prescription escalates): over-triage is the price of missing nothing.
// One case in eight is the most we accept on this corpus, whose non-emergencies include
// such deliberately tricky history mentions.
const MAX_OVER_TRIAGE = 0.125;

describe('red-flag screening on the corpus', () => {
  const result = evaluate(cases, (c) => library.screen.screen(c.text, c.language).emergency);

  it('holds at least 150 cases in all six languages, at least 40% emergencies', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(new Set(cases.map((c) => c.language))).toEqual(new Set(SUPPORTED_LANGUAGES));
    expect(cases.filter((c) => c.emergency).length / cases.length).toBeGreaterThanOrEqual(0.4);
  });

  it('escalates every emergency, in every language', () => {
    // Printed so a failing run shows the table; misses are named by file line, never by text.
    process.stdout.write(`${formatEvaluation(result)}\n`);
    expect(result.missed.map((c) => `${c.language}:${c.line}`)).toEqual([]);
    for (const score of result.byLanguage) expect([score.language, score.recall]).toEqual([score.language, 1]);
  });

  it(`over-triages at most ${MAX_OVER_TRIAGE * 100}% of the non-emergencies`, () => {
    expect(result.total.overTriage).toBeLessThanOrEqual(MAX_OVER_TRIAGE);
  });

  it('still escalates nearly every emergency with one more typo (two letters swapped in a long word)', () => {
    // Misses here are words that then carry two slips ("strugling to braeth") or short stems that allow none.
    const slipped = evaluate(withSwappedLetters(cases), (c) => library.screen.screen(c.text, c.language).emergency);
    expect(slipped.total.emergencies).toBeGreaterThan(250);
    expect(slipped.total.recall).toBeGreaterThanOrEqual(0.97);
  });
});
