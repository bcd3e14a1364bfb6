import { z } from '@careloop/config';
import { SUPPORTED_LANGUAGES, WHATSAPP_LIMITS, type Language } from '@careloop/i18n';
import { ACUITIES, DEPARTMENTS, type Acuity, type Department } from './acuity';
import { signOffSchema, type SignOff } from './screening/red-flags';

/**
 * A complaint protocol as data: signed-off metadata, the words that point to it, structured
 * follow-up questions with their texts in every language, and rules from answers to an
 * acuity and a department. Loaded from services/triage/protocols/*.yaml and validated here.
 */
export interface Protocol {
  readonly id: string;
  readonly signOff: SignOff;
  readonly title: Texts;
  readonly keywords: Readonly<Record<Language, readonly string[]>>;
  readonly questions: readonly Question[];
  readonly rules: readonly Rule[];
}

export type Texts = Readonly<Record<Language, string>>;

export type Question =
  | { readonly id: string; readonly type: 'yes-no'; readonly text: Texts; readonly askIf?: readonly Condition[] }
  | { readonly id: string; readonly type: 'number'; readonly text: Texts; readonly min: number; readonly max: number; readonly askIf?: readonly Condition[] }
  | { readonly id: string; readonly type: 'choice'; readonly text: Texts; readonly options: readonly { readonly id: string; readonly label: Texts }[]; readonly askIf?: readonly Condition[] }
  | { readonly id: string; readonly type: 'open'; readonly text: Texts; readonly askIf?: readonly Condition[] };

export type Condition =
  | { readonly question: string; readonly equals: string }
  | { readonly question: string; readonly atLeast: number }
  | { readonly question: string; readonly below: number };

export interface Rule {
  /** All must hold; an empty list always holds (the last rule must be one). */
  readonly when: readonly Condition[];
  readonly acuity: Acuity;
  readonly department: Department;
  /** For emergency rules: the code reported as the red flag that fired. */
  readonly flag?: string;
}

/** An answer as stored: "yes"/"no", an option id, a number, free text, or "unknown". */
export type AnswerValue = { readonly kind: 'choice'; readonly value: string } | { readonly kind: 'number'; readonly value: number } | { readonly kind: 'text'; readonly value: string } | { readonly kind: 'unknown' };

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

const id = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'ids are lower-case letters, digits, - and _');
// Texts are checked language by language below, so that the error names protocol, question and language.
const texts = z.record(z.string(), z.string());
const condition = z.union([
  z.object({ question: z.string(), equals: z.string() }).strict(),
  z.object({ question: z.string(), atLeast: z.number() }).strict(),
  z.object({ question: z.string(), below: z.number() }).strict(),
]);
const questionBase = { id, text: texts, askIf: z.array(condition).optional() };
const question = z.discriminatedUnion('type', [
  z.object({ ...questionBase, type: z.literal('yes-no') }).strict(),
  z.object({ ...questionBase, type: z.literal('number'), min: z.number(), max: z.number() }).strict(),
  z.object({ ...questionBase, type: z.literal('choice'), options: z.array(z.object({ id, label: texts }).strict()).min(2).max(10) }).strict(),
  z.object({ ...questionBase, type: z.literal('open') }).strict(),
]);
const protocolSchema = z
  .object({
    id,
    signOff: signOffSchema,
    title: texts,
    keywords: z.record(z.string(), z.array(z.string().min(1))),
    questions: z.array(question).min(1),
    rules: z.array(z.object({ when: z.array(condition), acuity: z.enum(ACUITIES), department: z.enum(DEPARTMENTS), flag: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional() }).strict()).min(1),
  })
  .strict();

/**
 * Validates one protocol file. Throws ProtocolError naming the protocol and what is wrong:
 * a missing translation (question and language), a rule or condition naming an unknown
 * question or option, a text too long for WhatsApp, no catch-all last rule.
 */
export function parseProtocol(raw: unknown, source: string): Protocol {
  const parsed = protocolSchema.safeParse(raw);
  const name = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? raw.id : source;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError(`protocol ${name} (${source}): ${issue ? `${issue.path.join('.') || '(file)'}: ${issue.message}` : 'invalid'}`);
  }
  const p = parsed.data;
  const fail = (message: string): never => {
    throw new ProtocolError(`protocol ${p.id} (${source}): ${message}`);
  };
  const complete = (t: Record<string, string>, what: string, limit?: number): Texts => {
    for (const language of SUPPORTED_LANGUAGES) {
      const value = t[language];
      if (value === undefined || value.trim() === '') fail(`${what}: missing translation for ${language}`);
      else if (limit !== undefined && value.length > limit) fail(`${what}: ${language} text is ${value.length} characters, WhatsApp allows ${limit}`);
    }
    for (const language of Object.keys(t)) if (!(SUPPORTED_LANGUAGES as readonly string[]).includes(language)) fail(`${what}: unknown language ${language}`);
    return t as Texts;
  };
  const title = complete(p.title, 'title', WHATSAPP_LIMITS.listRowTitle);
  for (const language of SUPPORTED_LANGUAGES) if (!p.keywords[language]?.length) fail(`keywords: missing translation for ${language}`);

  const questions = new Map<string, Question>();
  for (const q of p.questions) {
    if (questions.has(q.id)) fail(`question ${q.id} is defined twice`);
    const text = complete(q.text, `question ${q.id}`, WHATSAPP_LIMITS.body);
    if (q.type === 'choice') {
      const options = q.options.map((o) => ({ id: o.id, label: complete(o.label, `question ${q.id} option ${o.id}`, WHATSAPP_LIMITS.listRowTitle) }));
      questions.set(q.id, { id: q.id, type: 'choice', text, options, ...(q.askIf ? { askIf: q.askIf } : {}) });
    } else if (q.type === 'number') {
      if (q.min >= q.max) fail(`question ${q.id}: min must be below max`);
      questions.set(q.id, { id: q.id, type: 'number', text, min: q.min, max: q.max, ...(q.askIf ? { askIf: q.askIf } : {}) });
    } else {
      questions.set(q.id, { id: q.id, type: q.type, text, ...(q.askIf ? { askIf: q.askIf } : {}) });
    }
  }
  const checkCondition = (c: Condition, where: string) => {
    const q = questions.get(c.question);
    if (!q) return fail(`${where} references unknown question "${c.question}"`);
    if ('equals' in c) {
      const allowed = q.type === 'yes-no' ? ['yes', 'no'] : q.type === 'choice' ? q.options.map((o) => o.id) : undefined;
      if (!allowed) fail(`${where}: question ${q.id} is ${q.type}, "equals" needs a yes-no or choice question`);
      else if (!allowed.includes(c.equals)) fail(`${where}: question ${q.id} has no answer "${c.equals}" (answers: ${allowed.join(', ')})`);
    } else if (q.type !== 'number') {
      fail(`${where}: question ${q.id} is ${q.type}, a comparison needs a number question`);
    }
  };
  p.questions.forEach((q) => q.askIf?.forEach((c) => checkCondition(c, `question ${q.id} askIf`)));
  p.rules.forEach((r, i) => r.when.forEach((c) => checkCondition(c, `rule ${i + 1}`)));
  const last = p.rules[p.rules.length - 1];
  if (!last || last.when.length > 0) fail('the last rule must have an empty "when" (the outcome when nothing else matched)');
  for (const [i, r] of p.rules.entries()) if (r.acuity === 'emergency' && !r.flag) fail(`rule ${i + 1}: an emergency rule needs a "flag" code`);

  return {
    id: p.id,
    signOff: p.signOff,
    title,
    keywords: p.keywords as Record<Language, string[]>,
    questions: [...questions.values()],
    rules: p.rules.map((r) => ({ when: r.when, acuity: r.acuity, department: r.department, ...(r.flag ? { flag: r.flag } : {}) })),
  };
}
