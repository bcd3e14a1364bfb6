import type { Acuity, Department } from './acuity';
import type { AnswerValue, Condition, Protocol, Question, Rule } from './protocol';

export type Answers = Readonly<Record<string, AnswerValue>>;

/** Whether a condition holds; an unanswered or "don't know" answer never satisfies one. */
export function holds(condition: Condition, answers: Answers): boolean {
  const a = answers[condition.question];
  if (!a) return false;
  if ('equals' in condition) return a.kind === 'choice' && a.value === condition.equals;
  if (a.kind !== 'number') return false;
  return 'atLeast' in condition ? a.value >= condition.atLeast : a.value < condition.below;
}

/** The next question to ask: the first unanswered one whose askIf holds. */
export function nextQuestion(protocol: Protocol, answers: Answers): Question | undefined {
  return protocol.questions.find((q) => !(q.id in answers) && (q.askIf ?? []).every((c) => holds(c, answers)));
}

/**
 * An emergency rule already decided by the answers so far: the questionnaire stops at once
 * ("the rash does not fade under a glass") instead of asking the rest.
 */
export function emergencyRuleMet(protocol: Protocol, answers: Answers): Rule | undefined {
  return protocol.rules.find((r) => r.acuity === 'emergency' && r.when.length > 0 && r.when.every((c) => holds(c, answers)));
}

/** The outcome once the questions are done: the first rule that holds (the last always does). */
export function outcomeOf(protocol: Protocol, answers: Answers): { acuity: Acuity; department: Department; flag?: string } {
  const rule = protocol.rules.find((r) => r.when.every((c) => holds(c, answers)));
  if (!rule) return { acuity: 'routine', department: 'general-practice' }; // unreachable: validated at load
  return { acuity: rule.acuity, department: rule.department, ...(rule.flag ? { flag: rule.flag } : {}) };
}

/** Reply-button values of structured answers. */
export const UNKNOWN = 'unknown';

/**
 * Reads an answer to a question from a pressed button's value or typed text. Numbers accept
 * "38,5", "38.5 °C", "7/10"; a yes-no or choice question takes its buttons, or an option
 * label typed exactly. Returns undefined when the input does not answer the question.
 */
export function readAnswer(question: Question, input: { readonly value?: string; readonly text?: string }, labels: (optionId: string) => readonly string[]): AnswerValue | undefined {
  if (input.value === UNKNOWN && question.type === 'number') return { kind: 'unknown' };
  switch (question.type) {
    case 'open':
      return input.text !== undefined && input.text.trim() !== '' ? { kind: 'text', value: input.text.trim() } : undefined;
    case 'number': {
      const m = input.value ?? /-?\d+(?:[.,]\d+)?/.exec(input.text ?? '')?.[0];
      if (m === undefined) return undefined;
      const n = Number(m.replace(',', '.'));
      return Number.isFinite(n) && n >= question.min && n <= question.max ? { kind: 'number', value: n } : undefined;
    }
    case 'yes-no':
    case 'choice': {
      const ids = question.type === 'yes-no' ? ['yes', 'no'] : question.options.map((o) => o.id);
      if (input.value !== undefined) return ids.includes(input.value) ? { kind: 'choice', value: input.value } : undefined;
      const typed = (input.text ?? '').trim().toLocaleLowerCase();
      const hit = ids.find((id) => labels(id).some((l) => l.toLocaleLowerCase() === typed));
      return hit ? { kind: 'choice', value: hit } : undefined;
    }
  }
}
