import { emergencyRuleMet, nextQuestion, outcomeOf, readAnswer } from '../src/domain/assessment';
import type { Protocol } from '../src/domain/protocol';
import { library } from './support/library';

const protocol = (id: string): Protocol => {
  const p = library.get(id);
  if (!p) throw new Error(`no protocol ${id}`);
  return p;
};
const question = (p: Protocol, id: string) => {
  const q = p.questions.find((x) => x.id === id);
  if (!q) throw new Error(`no question ${id}`);
  return q;
};
const none = () => [];

describe('assessment rules', () => {
  const fever = protocol('fever-cough');

  it('asks the questions in order and reaches the first rule that holds', () => {
    expect(nextQuestion(fever, {})?.id).toBe('temperature');
    const answers = { temperature: { kind: 'number', value: 38.4 }, days: { kind: 'number', value: 3 }, breathless: { kind: 'choice', value: 'no' }, chronic: { kind: 'choice', value: 'no' } } as const;
    expect(nextQuestion(fever, answers)).toBeUndefined();
    expect(outcomeOf(fever, answers)).toEqual({ acuity: 'soon', department: 'general-practice' });
  });

  it('lets "don\'t know" satisfy no comparison', () => {
    const answers = { temperature: { kind: 'unknown' }, days: { kind: 'number', value: 2 }, breathless: { kind: 'choice', value: 'no' }, chronic: { kind: 'choice', value: 'yes' } } as const;
    expect(outcomeOf(fever, answers)).toEqual({ acuity: 'routine', department: 'general-practice' });
  });

  it('stops at an emergency rule as soon as its answers are in', () => {
    const rash = protocol('rash');
    expect(emergencyRuleMet(rash, { fades: { kind: 'choice', value: 'no' } })).toMatchObject({ acuity: 'emergency', flag: 'NON_BLANCHING_RASH' });
    expect(emergencyRuleMet(rash, { fades: { kind: 'choice', value: 'yes' } })).toBeUndefined();
  });

  it('reads numbers as patients type them, within the question range', () => {
    const t = question(fever, 'temperature');
    expect(readAnswer(t, { text: '38,5' }, none)).toEqual({ kind: 'number', value: 38.5 });
    expect(readAnswer(t, { text: 'about 39.2 °C' }, none)).toEqual({ kind: 'number', value: 39.2 });
    expect(readAnswer(t, { value: 'unknown' }, none)).toEqual({ kind: 'unknown' });
    expect(readAnswer(t, { text: '385' }, none)).toBeUndefined();
    expect(readAnswer(t, { text: 'hot' }, none)).toBeUndefined();
  });

  it('takes buttons for yes/no and list questions, or a label typed exactly', () => {
    const b = question(fever, 'breathless');
    expect(readAnswer(b, { value: 'yes' }, none)).toEqual({ kind: 'choice', value: 'yes' });
    expect(readAnswer(b, { value: 'perhaps' }, none)).toBeUndefined();
    expect(readAnswer(b, { text: 'Sí' }, (id) => (id === 'yes' ? ['Yes', 'Sí'] : ['No']))).toEqual({ kind: 'choice', value: 'yes' });
    const where = question(protocol('abdominal-pain'), 'location');
    expect(readAnswer(where, { value: 'lower-right' }, none)).toEqual({ kind: 'choice', value: 'lower-right' });
  });
});

describe('complaint detection', () => {
  it.each([
    ['en', 'fever and cough since Monday', 'fever-cough'],
    ['es', 'tengo fiebre y tos', 'fever-cough'],
    ['de', 'Brennen beim Wasserlassen', 'urinary'],
    ['fr', "j'ai mal au dos depuis hier", 'back-pain'],
    ['tr', 'kollarımda kaşıntılı döküntü', 'rash'],
    ['ru', 'болит живот и понос', 'abdominal-pain'],
    ['en', 'no chest pain, only a cough', 'fever-cough'],
  ] as const)('%s "%s" → %s', (language, text, expected) => {
    expect(library.complaintOf(text, language)?.id).toBe(expected);
  });
});
