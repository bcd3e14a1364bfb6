import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProtocol, ProtocolError } from '../src/domain/protocol';
import { defaultProtocolDir } from '../src/protocols/protocol-files';
import { library } from './support/library';

const dir = defaultProtocolDir(__dirname);
/** A shipped protocol as raw data, to break on purpose. */
const raw = (file: string) => parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown> & { questions: Record<string, unknown>[]; rules: Record<string, unknown>[] };

describe('protocol files', () => {
  it('ships ten complaint protocols, each signed off with author, reviewer, version and date', () => {
    expect(library.protocols.map((p) => p.id)).toEqual(['abdominal-pain', 'back-pain', 'chest-pain', 'child-unwell', 'fever-cough', 'headache', 'injury', 'mental-health', 'rash', 'urinary']);
    for (const p of library.protocols) {
      expect(p.signOff.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(p.signOff.author).not.toBe('');
      expect(p.signOff.clinicalReviewer).not.toBe('');
      expect(p.signOff.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('uses every kind of question: yes/no buttons, a list, numbers and an open question', () => {
    const kinds = new Set(library.protocols.flatMap((p) => p.questions.map((q) => q.type)));
    expect(kinds).toEqual(new Set(['yes-no', 'choice', 'number', 'open']));
  });

  it('refuses a rule that references an unknown question, naming it', () => {
    const p = raw('fever-cough.yaml');
    p.rules[0] = { when: [{ question: 'temprature', atLeast: 39 }], acuity: 'urgent', department: 'general-practice' };
    expect(() => parseProtocol(p, 'fever-cough.yaml')).toThrow(new ProtocolError('protocol fever-cough (fever-cough.yaml): rule 1 references unknown question "temprature"'));
  });

  it('refuses a missing translation, naming the protocol, the question and the language', () => {
    const p = raw('fever-cough.yaml');
    const question = p.questions[2] as { text: Record<string, string> };
    delete question.text['tr'];
    expect(() => parseProtocol(p, 'fever-cough.yaml')).toThrow(new ProtocolError('protocol fever-cough (fever-cough.yaml): question breathless: missing translation for tr'));
  });

  it('refuses an answer a question does not have, and a protocol without a catch-all rule', () => {
    const p = raw('rash.yaml');
    p.rules[0] = { when: [{ question: 'fades', equals: 'maybe' }], acuity: 'urgent', department: 'dermatology' };
    expect(() => parseProtocol(p, 'rash.yaml')).toThrow('rule 1: question fades has no answer "maybe" (answers: yes, no)');
    const q = raw('rash.yaml');
    q.rules = q.rules.slice(0, 1);
    expect(() => parseProtocol(q, 'rash.yaml')).toThrow('the last rule must have an empty "when"');
  });

  it('refuses a list label too long for WhatsApp and an unknown department', () => {
    const p = raw('urinary.yaml');
    (p['title'] as Record<string, string>)['de'] = 'Probleme beim Wasserlassen';
    expect(() => parseProtocol(p, 'urinary.yaml')).toThrow('title: de text is 26 characters, WhatsApp allows 24');
    const q = raw('urinary.yaml');
    q.rules[0] = { when: [], acuity: 'soon', department: 'neurology' };
    expect(() => parseProtocol(q, 'urinary.yaml')).toThrow(/protocol urinary \(urinary.yaml\): rules.0.department/);
  });
});
