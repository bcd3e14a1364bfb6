import type { Language } from '@careloop/i18n';
import { allowedEdits, boundedDamerauLevenshtein, isSmallSlip } from './edit-distance';
import { foldText, tokenise, type Token } from './normalise';

/**
 * One word of a term, as written in the data files:
 * `word` (the whole token, typos tolerated by length), `stem*` (the token starts with it,
 * typos tolerated on the prefix), `*part*` (the token contains it, exactly: German compounds),
 * and a leading `!` for a negated form that carries its own negation (Turkish "ağrımıyor").
 */
interface WordPattern {
  readonly kind: 'word' | 'stem' | 'part';
  readonly text: string;
}

interface Term {
  readonly concept: string;
  /** As written, for explanations (lexicon words, never the patient's text). */
  readonly source: string;
  readonly words: readonly WordPattern[];
  /** A negated form: the mention says the concept is absent. */
  readonly negated: boolean;
}

export interface ConceptTerms {
  /** Concept id → terms in this language. */
  readonly [concept: string]: readonly string[];
}

export interface NegationCues {
  /** Words negating what follows ("no", "sin", "kein", "pas", "не"). */
  readonly before: readonly string[];
  /** Words negating what precedes ("yok", "değil", "нет"). */
  readonly after: readonly string[];
  /** Phrases that make a clause uncertain ("not sure", "no sé"): its negations do not count. */
  readonly uncertain: readonly string[];
  /** Words that end a negation's reach ("but", "pero", "aber", "mais", "ama", "но"). */
  readonly contrast: readonly string[];
  /** Words joining a list ("and", "or"): whether a negation reaches past them is ambiguous, so it does not. */
  readonly joiners: readonly string[];
}

/** A concept found in a message: where, through which term, how far from it, and its polarity. */
export interface Occurrence {
  readonly concept: string;
  readonly start: number;
  readonly end: number;
  readonly clause: number;
  readonly term: string;
  readonly edits: number;
  /** True only when the negation is unambiguous (see `polarity`). */
  readonly negated: boolean;
}

/** Concepts whose words are not findings: they only take words away from the others. */
export const MASK_PREFIX = 'MASK_';
const isMask = (concept: string) => concept.startsWith(MASK_PREFIX);

const PRE_SCOPE = 4;
const POST_SCOPE = 3;
/** Words a phrase may skip between its parts ("can't really breathe"). */
const PHRASE_GAP = 1;

export class LexiconError extends Error {
  override readonly name = 'LexiconError';
}

function parseWord(raw: string, language: Language): WordPattern {
  const prefix = raw.endsWith('*');
  const infix = raw.startsWith('*') && prefix;
  const text = foldText(raw.replace(/^\*|\*$/g, ''), language);
  if (!/^[\p{L}\p{N}]+$/u.test(text)) throw new LexiconError(`term part "${raw}" (${language}) must be letters or digits, with an optional * at the end or around it`);
  return { kind: infix ? 'part' : prefix ? 'stem' : 'word', text };
}

function parseTerm(concept: string, raw: string, language: Language): Term {
  const negated = raw.startsWith('!');
  const body = negated ? raw.slice(1) : raw;
  // Apostrophes are folded like message text: joined in English, split elsewhere.
  const spaced = language === 'en' ? body.replace(/['’`´]/g, '') : body.replace(/['’`´]/g, ' ');
  const words = spaced.split(/[\s-]+/).filter(Boolean).map((w) => parseWord(w, language));
  if (words.length === 0) throw new LexiconError(`empty term for ${concept} (${language})`);
  return { concept, source: raw, words, negated };
}

/** Best match of one token against one word pattern: edits needed, or undefined. */
function matchWord(pattern: WordPattern, token: string, fuzzy: boolean): number | undefined {
  switch (pattern.kind) {
    case 'part':
      return token.includes(pattern.text) ? 0 : undefined;
    case 'word': {
      if (token === pattern.text) return 0;
      if (!fuzzy) return undefined;
      const max = allowedEdits(pattern.text.length);
      if (max === 0) return pattern.text.length === 4 && isSmallSlip(pattern.text, token) ? 1 : undefined;
      const d = boundedDamerauLevenshtein(pattern.text, token, max);
      return d <= max ? d : undefined;
    }
    case 'stem': {
      if (token.startsWith(pattern.text)) return 0;
      if (!fuzzy) return undefined;
      const max = allowedEdits(pattern.text.length);
      if (max === 0) return pattern.text.length === 4 && (isSmallSlip(pattern.text, token.slice(0, 4)) || isSmallSlip(pattern.text, token.slice(0, 5))) ? 1 : undefined;
      let best: number | undefined;
      for (let len = pattern.text.length - max; len <= pattern.text.length + max; len++) {
        if (len <= 0 || len > token.length) continue;
        const d = boundedDamerauLevenshtein(pattern.text, token.slice(0, len), max);
        if (d <= max && (best === undefined || d < best)) best = d;
      }
      return best;
    }
  }
}

interface PhraseStarts {
  readonly exact: readonly number[];
  /** Phrase index → edits of its first word. */
  readonly fuzzy: ReadonlyMap<number, number>;
}

interface TokenMatch {
  readonly term: Term;
  readonly edits: number;
}

/**
 * The words of one language's concepts, compiled for matching: phrases first (they may
 * contain negation words: "can't breathe" is a positive finding), then single words, exact
 * before fuzzy; then negation cues decide each occurrence's polarity.
 */
export class Lexicon {
  private readonly phrases: readonly Term[];
  private readonly exact = new Map<string, Term[]>();
  private readonly patterns: readonly Term[];
  private readonly before: ReadonlySet<string>;
  private readonly after: ReadonlySet<string>;
  private readonly contrast: ReadonlySet<string>;
  private readonly joiners: ReadonlySet<string>;
  private readonly uncertain: readonly Term[];
  // Fuzzy matching is the costly part; a token's matches never change, so they are kept.
  private readonly memo = new Map<string, readonly TokenMatch[]>();
  // Which phrases may start at a token (first word matched exactly / within typos), per token.
  private readonly startsMemo = new Map<string, PhraseStarts>();

  constructor(
    readonly language: Language,
    concepts: ConceptTerms,
    cues: NegationCues,
  ) {
    const all = Object.entries(concepts).flatMap(([concept, terms]) => terms.map((t) => parseTerm(concept, t, language)));
    this.phrases = all.filter((t) => t.words.length > 1).sort((a, b) => b.words.length - a.words.length || Number(isMask(b.concept)) - Number(isMask(a.concept)));
    const singles = all.filter((t) => t.words.length === 1);
    for (const term of singles) {
      const w = term.words[0];
      if (w?.kind === 'word') this.exact.set(w.text, [...(this.exact.get(w.text) ?? []), term]);
    }
    this.patterns = singles;
    const fold = (words: readonly string[]) => new Set(words.map((w) => foldText(w, language).replace(/['’`´]/g, language === 'en' ? '' : ' ')));
    this.before = fold(cues.before);
    this.after = fold(cues.after);
    this.contrast = fold(cues.contrast);
    this.joiners = fold(cues.joiners);
    this.uncertain = cues.uncertain.map((u) => parseTerm('UNCERTAIN', u, language));
  }

  /** Every concept mentioned in the text, with its polarity. */
  find(text: string): Occurrence[] {
    const tokens = tokenise(foldText(text, this.language), this.language);
    const consumed = new Array<boolean>(tokens.length).fill(false);
    const found: Omit<Occurrence, 'negated'>[] = [];
    const negatedForms = new Set<number>();
    const uncertainClauses = new Set<number>();

    // 1. Uncertainty phrases ("not sure", "no sé"): their words are not negations.
    for (const term of this.uncertain) {
      for (const [start, end] of this.phraseHits(term, tokens, consumed, false)) {
        for (let i = start; i <= end; i++) consumed[i] = true;
        uncertainClauses.add(tokens[start]?.clause ?? -1);
      }
    }
    // 2. Phrases, longest first; exact before fuzzy so "cant breath" still finds "can't breathe".
    //    Only phrases whose first word matches a token are tried there.
    const starts = tokens.map((t) => this.phraseStartsOf(t.text));
    for (const fuzzy of [false, true]) {
      const tried = new Map<number, number[]>();
      starts.forEach((s, at) => {
        for (const index of fuzzy ? s.fuzzy.keys() : s.exact) tried.set(index, [...(tried.get(index) ?? []), at]);
      });
      for (const index of [...tried.keys()].sort((a, b) => a - b)) {
        const term = this.phrases[index];
        if (!term) continue;
        for (const start of tried.get(index) ?? []) {
          if (consumed[start]) continue;
          const hit = this.phraseAt(term, start, tokens, consumed, fuzzy, fuzzy ? (starts[start]?.fuzzy.get(index) ?? 0) : 0);
          if (!hit) continue;
          const [end, edits] = hit;
          for (let i = start; i <= end; i++) consumed[i] = true;
          if (term.negated) negatedForms.add(found.length);
          found.push({ concept: term.concept, start, end, clause: tokens[start]?.clause ?? 0, term: term.source, edits });
        }
      }
    }
    // 3. Single words not already part of a phrase and not negation words.
    tokens.forEach((token, i) => {
      if (consumed[i] || this.before.has(token.text) || this.after.has(token.text) || this.contrast.has(token.text)) return;
      for (const { term, edits } of this.wordMatches(token.text)) {
        if (term.negated) negatedForms.add(found.length);
        found.push({ concept: term.concept, start: i, end: i, clause: token.clause, term: term.source, edits });
      }
    });

    const owner = new Array<number>(tokens.length).fill(-1);
    // Masks only took their words away; they are not findings.
    found.forEach((o, index) => {
      for (let i = o.start; i <= o.end; i++) owner[i] = index;
    });
    return found
      .map((o, index) => ({ ...o, negated: negatedForms.has(index) || this.negatedByCue(o, index, tokens, owner, consumed, uncertainClauses) }))
      .filter((o) => !isMask(o.concept));
  }

  /** Matches of one token: all exact ones, else the closest fuzzy ones. Negated forms are exact only. */
  private wordMatches(token: string): readonly TokenMatch[] {
    const known = this.memo.get(token);
    if (known) return known;
    const exact: TokenMatch[] = (this.exact.get(token) ?? []).map((term) => ({ term, edits: 0 }));
    for (const term of this.patterns) {
      const w = term.words[0];
      if (w && w.kind !== 'word' && matchWord(w, token, false) === 0) exact.push({ term, edits: 0 });
    }
    // A negated form ("ağrımıyor") is more specific than the stem it starts with ("ağrı*"),
    // and a mask ("Blutdruck") takes the word away from every other concept.
    const negatedConcepts = new Set(exact.filter((m) => m.term.negated).map((m) => m.term.concept));
    const masked = exact.filter((m) => isMask(m.term.concept));
    let result: readonly TokenMatch[] = masked.length > 0 ? masked : exact.filter((m) => m.term.negated || !negatedConcepts.has(m.term.concept));
    // Typos are tolerated for the concepts the token did not match exactly, closest first
    // ("Brustschmertzen" is CHEST exactly and PAIN one edit away).
    if (masked.length === 0 && token.length >= 4) {
      const exactConcepts = new Set(exact.map((m) => m.term.concept));
      const best = new Map<string, TokenMatch>();
      for (const term of this.patterns) {
        const w = term.words[0];
        if (!w || term.negated || exactConcepts.has(term.concept)) continue;
        const edits = matchWord(w, token, true);
        if (edits === undefined) continue;
        const known = best.get(term.concept);
        if (!known || edits < known.edits) best.set(term.concept, { term, edits });
      }
      if (best.size > 0) result = [...result, ...best.values()];
    }
    if (this.memo.size > 20_000) this.memo.clear();
    this.memo.set(token, result);
    return result;
  }

  private phraseStartsOf(token: string): PhraseStarts {
    const known = this.startsMemo.get(token);
    if (known) return known;
    const exact: number[] = [];
    const fuzzy = new Map<number, number>();
    this.phrases.forEach((term, index) => {
      const first = term.words[0];
      if (!first) return;
      if (matchWord(first, token, false) === 0) exact.push(index);
      else if (!term.negated) {
        const edits = matchWord(first, token, true);
        if (edits !== undefined) fuzzy.set(index, edits);
      }
    });
    // The fuzzy pass also retries exact first words, with typos allowed in the rest.
    for (const index of exact) fuzzy.set(index, 0);
    const result = { exact, fuzzy };
    if (this.startsMemo.size > 20_000) this.startsMemo.clear();
    this.startsMemo.set(token, result);
    return result;
  }

  /** The rest of a phrase after its first word at `start`: its last token and the edits, or undefined. */
  private phraseAt(term: Term, start: number, tokens: readonly Token[], consumed: readonly boolean[], fuzzy: boolean, firstEdits: number): [number, number] | undefined {
    let edits = firstEdits;
    let at = start;
    for (const word of term.words.slice(1)) {
      let next: number | undefined;
      for (let k = at + 1; k <= at + 1 + PHRASE_GAP && k < tokens.length; k++) {
        if (consumed[k] || tokens[k]?.clause !== tokens[start]?.clause) break;
        const e = matchWord(word, tokens[k]?.text ?? '', fuzzy && !term.negated);
        if (e !== undefined) {
          next = k;
          edits += e;
          break;
        }
      }
      if (next === undefined) return undefined;
      at = next;
    }
    return [at, edits];
  }

  private *phraseHits(term: Term, tokens: readonly Token[], consumed: readonly boolean[], fuzzy: boolean): Generator<[number, number, number]> {
    const first = term.words[0];
    if (!first) return;
    for (let start = 0; start < tokens.length; start++) {
      if (consumed[start]) continue;
      let edits = matchWord(first, tokens[start]?.text ?? '', fuzzy);
      if (edits === undefined) continue;
      let at = start;
      let ok = true;
      for (const word of term.words.slice(1)) {
        let next: number | undefined;
        for (let k = at + 1; k <= at + 1 + PHRASE_GAP && k < tokens.length; k++) {
          if (consumed[k] || tokens[k]?.clause !== tokens[start]?.clause) break;
          const e = matchWord(word, tokens[k]?.text ?? '', fuzzy);
          if (e !== undefined) {
            next = k;
            edits += e;
            break;
          }
        }
        if (next === undefined) {
          ok = false;
          break;
        }
        at = next;
      }
      if (ok) yield [start, at, edits];
    }
  }

  /**
   * Negated only when unambiguous: exactly one negation word within reach in the same clause
   * (a few words before, or, for languages that negate afterwards, a few words after), with
   * no contrast word, list joiner or other finding in between, and the clause not uncertain.
   * "No fever and chest pain" leaves the chest pain present. Anything else counts as present.
   */
  private negatedByCue(o: Omit<Occurrence, 'negated'>, self: number, tokens: readonly Token[], owner: readonly number[], consumed: readonly boolean[], uncertain: ReadonlySet<number>): boolean {
    if (uncertain.has(o.clause)) return false;
    const stops = (i: number) => {
      const t = tokens[i];
      return !t || t.clause !== o.clause || this.contrast.has(t.text) || this.joiners.has(t.text) || (owner[i] !== -1 && owner[i] !== self);
    };
    let cues = 0;
    for (let i = o.start - 1; i >= Math.max(0, o.start - PRE_SCOPE); i--) {
      if (stops(i)) break;
      if (!consumed[i] && this.before.has(tokens[i]?.text ?? '')) cues++;
    }
    for (let i = o.end + 1; i <= Math.min(tokens.length - 1, o.end + POST_SCOPE); i++) {
      if (stops(i)) break;
      if (!consumed[i] && this.after.has(tokens[i]?.text ?? '')) cues++;
    }
    // Two negations ("not without pain") are a double negative, or a muddle: present.
    return cues === 1;
  }
}
