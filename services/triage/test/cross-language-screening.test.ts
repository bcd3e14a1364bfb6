import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUPPORTED_LANGUAGES } from '@careloop/i18n';
import { EmergencyNumbers } from '../src/domain/emergency-numbers';
import { parseCorpus } from '../src/evaluation/corpus';
import { AssessMessage } from '../src/use-cases/assess-message';
import { library } from './support/library';

const assess = new AssessMessage(library, new EmergencyNumbers({}, {}, undefined));
const corpusDir = join(__dirname, 'corpus');
const cases = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.tsv'))
  .flatMap((f) => parseCorpus(readFileSync(join(corpusDir, f), 'utf8'), f));

describe('red flags written in another language than the conversation’s', () => {
  it('escalates an English chest pain in a conversation taken for Spanish, and says which language matched', () => {
    const a = assess.execute('I have chest pain and I am sweating a lot', 'es');
    expect(a.emergency).toBe(true);
    expect(a.screening.language).toBe('en');
    expect(a.department).toBe('emergency');
  });

  it('escalates every emergency of the corpus whatever language the conversation is in, when its terms are exact', () => {
    const exact = cases.filter((c) => c.emergency && assess.execute(c.text, c.language).flags.every((f) => f.evidence.every((e) => e.edits === 0)));
    expect(exact.length).toBeGreaterThan(100);
    for (const c of exact) {
      for (const conversation of SUPPORTED_LANGUAGES) {
        expect({ line: `${c.language}:${c.line}`, conversation, emergency: assess.execute(c.text, conversation).emergency }).toEqual({ line: `${c.language}:${c.line}`, conversation, emergency: true });
      }
    }
  });

  it('raises no alarm in another conversation language for a message that is not an emergency in its own', () => {
    const calm = cases.filter((c) => !c.emergency && !assess.execute(c.text, c.language).emergency);
    expect(calm.length).toBeGreaterThan(80);
    for (const c of calm) {
      for (const conversation of SUPPORTED_LANGUAGES) {
        expect({ line: `${c.language}:${c.line}`, conversation, emergency: assess.execute(c.text, conversation).emergency }).toEqual({ line: `${c.language}:${c.line}`, conversation, emergency: false });
      }
    }
  });
});
