import { z } from '@careloop/config';
import { SUPPORTED_LANGUAGES, type Language } from '@careloop/i18n';
import { Lexicon, type Occurrence } from './lexicon';

const perLanguage = <T extends z.ZodType>(schema: T) => z.object(Object.fromEntries(SUPPORTED_LANGUAGES.map((l) => [l, schema])) as Record<Language, T>);

export const signOffSchema = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a semantic version, e.g. 1.0.0'),
  author: z.string().min(1),
  clinicalReviewer: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD'),
});

export type SignOff = z.infer<typeof signOffSchema>;

const conceptCode = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'concept codes are UPPER_SNAKE_CASE');

/** One way a flag shows: concepts together within a few words, with any one of others anywhere. */
const matchSchema = z.object({
  all: z.array(conceptCode).min(1),
  /** At least one of these, present anywhere in the message. */
  with: z.array(conceptCode).optional(),
  /** Words between the first and last of `all`; default 6. */
  window: z.number().int().positive().optional(),
});

const flagSchema = z.object({
  code: conceptCode,
  category: z.enum(['cardiac', 'breathing', 'stroke', 'allergy', 'bleeding', 'consciousness', 'seizure', 'mental-health', 'child', 'infection', 'neurological', 'poisoning']),
  /** Department (scheduling's ids) whose queue takes the handover. */
  department: z.string().min(1),
  /** Whether the mental-health crisis line is given as well as the emergency number. */
  crisisLine: z.boolean().default(false),
  /** The recognised guidance the flag is drawn from (key of `sources`). */
  source: z.string().min(1),
  match: z.array(matchSchema).min(1),
});

export const redFlagFileSchema = z.object({
  id: z.literal('red-flags'),
  signOff: signOffSchema,
  sources: z.record(z.string(), z.string().min(1)),
  negation: perLanguage(
    z.object({ before: z.array(z.string()), after: z.array(z.string()), uncertain: z.array(z.string()), contrast: z.array(z.string()), joiners: z.array(z.string()) }),
  ),
  concepts: z.record(conceptCode, perLanguage(z.array(z.string().min(1)).min(1))),
  flags: z.array(flagSchema).min(1),
});

export type RedFlagFile = z.infer<typeof redFlagFileSchema>;
export type RedFlagDefinition = z.infer<typeof flagSchema>;

export class RedFlagFileError extends Error {
  override readonly name = 'RedFlagFileError';
}

/** A red flag found in a message, explained by the concepts and lexicon terms that matched. */
export interface RedFlagMatch {
  readonly code: string;
  readonly category: RedFlagDefinition['category'];
  readonly department: string;
  readonly crisisLine: boolean;
  /** Lexicon terms that matched (never the patient's words) and how many typos each carried. */
  readonly evidence: readonly { readonly concept: string; readonly term: string; readonly edits: number }[];
}

export interface Screening {
  readonly language: Language;
  /** Flags present: any one means emergency. */
  readonly flags: readonly RedFlagMatch[];
  /** Flags mentioned only in unambiguous negations ("no chest pain"): cleared, reported for audit. */
  readonly negated: readonly string[];
  /** Every concept found (positive or negated), for protocols and explanations. */
  readonly occurrences: readonly Occurrence[];
  readonly emergency: boolean;
}

const DEFAULT_WINDOW = 6;

/**
 * Red-flag screening of free text, deterministic and explainable: each flag is a set of
 * concept combinations (e.g. CHEST with PAIN, with SWEATING or RADIATION anywhere), each
 * concept a list of words per language. A flag is present when one combination is found
 * with all its parts positive; it is cleared only when every mention is unambiguously negated.
 */
export class RedFlagScreen {
  private readonly lexicons: ReadonlyMap<Language, Lexicon>;

  private constructor(
    readonly file: RedFlagFile,
  ) {
    this.lexicons = new Map(
      SUPPORTED_LANGUAGES.map((language) => [
        language,
        new Lexicon(language, Object.fromEntries(Object.entries(file.concepts).map(([code, byLanguage]) => [code, byLanguage[language]])), file.negation[language]),
      ]),
    );
  }

  /** Validates the file: schema, and every flag naming known concepts and sources. */
  static fromFile(raw: unknown): RedFlagScreen {
    const parsed = redFlagFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RedFlagFileError(`red-flags: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    const file = parsed.data;
    for (const flag of file.flags) {
      if (!(flag.source in file.sources)) throw new RedFlagFileError(`red-flags: flag ${flag.code} cites unknown source "${flag.source}"`);
      for (const m of flag.match) {
        for (const concept of [...m.all, ...(m.with ?? [])]) {
          if (!(concept in file.concepts)) throw new RedFlagFileError(`red-flags: flag ${flag.code} references unknown concept ${concept}`);
        }
      }
    }
    return new RedFlagScreen(file);
  }

  get version(): string {
    return this.file.signOff.version;
  }

  screen(text: string, language: Language): Screening {
    const lexicon = this.lexicons.get(language);
    if (!lexicon) throw new RedFlagFileError(`red-flags: no lexicon for ${language}`);
    const occurrences = lexicon.find(text);
    const byConcept = new Map<string, Occurrence[]>();
    for (const o of occurrences) byConcept.set(o.concept, [...(byConcept.get(o.concept) ?? []), o]);

    const flags: RedFlagMatch[] = [];
    const negated: string[] = [];
    for (const flag of this.file.flags) {
      let mentioned = false;
      let evidence: Occurrence[] | undefined;
      for (const m of flag.match) {
        const positive = combination(m.all, byConcept, m.window ?? DEFAULT_WINDOW, true);
        const anyPolarity = positive ?? combination(m.all, byConcept, m.window ?? DEFAULT_WINDOW, false);
        if (!anyPolarity) continue;
        const withPositive = m.with ? m.with.flatMap((c) => (byConcept.get(c) ?? []).filter((o) => !o.negated)).slice(0, 1) : [];
        const withAny = m.with ? m.with.some((c) => (byConcept.get(c) ?? []).length > 0) : true;
        if (!withAny) continue;
        mentioned = true;
        if (positive && (!m.with || withPositive.length > 0)) {
          evidence = [...positive, ...withPositive];
          break;
        }
      }
      if (evidence) {
        flags.push({
          code: flag.code,
          category: flag.category,
          department: flag.department,
          crisisLine: flag.crisisLine,
          evidence: evidence.map((o) => ({ concept: o.concept, term: o.term, edits: o.edits })),
        });
      } else if (mentioned) {
        negated.push(flag.code);
      }
    }
    return { language, flags, negated, occurrences, emergency: flags.length > 0 };
  }
}

/**
 * Occurrences of every concept in `all` within `window` words of each other; with
 * `positiveOnly`, only positive ones. Greedy per concept, which is enough for short lists.
 */
function combination(all: readonly string[], byConcept: ReadonlyMap<string, readonly Occurrence[]>, window: number, positiveOnly: boolean): Occurrence[] | undefined {
  const [first, ...rest] = all;
  if (first === undefined) return undefined;
  for (const anchor of byConcept.get(first) ?? []) {
    if (positiveOnly && anchor.negated) continue;
    const picked: Occurrence[] = [anchor];
    for (const concept of rest) {
      const near = (byConcept.get(concept) ?? []).find((o) => (!positiveOnly || !o.negated) && Math.abs(o.start - anchor.start) <= window);
      if (!near) break;
      picked.push(near);
    }
    if (picked.length === all.length) return picked;
  }
  return undefined;
}
