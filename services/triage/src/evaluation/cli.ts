// `npm run triage:eval -- <file.tsv> [...]`: runs a file of cases (one a line: language,
// expected outcome, text) through the same screening as the dialogue and the Assess API,
// and prints emergency recall and over-triage per language. Exit code 1 if an emergency
// was missed. Without arguments, the repository's corpus (services/triage/test/corpus).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmergencyNumbers } from '../domain/emergency-numbers';
import { defaultProtocolDir } from '../protocols/protocol-files';
import { ProtocolLibrary } from '../protocols/protocol-library';
import { AssessMessage } from '../use-cases/assess-message';
import { evaluate, formatEvaluation, parseCorpus, withSwappedLetters } from './corpus';

function main(args: readonly string[]): number {
  const files = args.length > 0 ? args.map((f) => resolve(f)) : corpusFiles();
  const library = ProtocolLibrary.load(process.env['TRIAGE_PROTOCOL_DIR'] ?? defaultProtocolDir());
  const assess = new AssessMessage(library, new EmergencyNumbers({}, {}, undefined));
  const cases = files.flatMap((f) => parseCorpus(readFileSync(f, 'utf8'), f));
  const result = evaluate(cases, (c) => assess.execute(c.text, c.language).emergency);
  process.stdout.write(`red flags ${library.screen.version}, ${cases.length} cases from ${files.length} file(s)\n${formatEvaluation(result)}\n`);
  const slips = withSwappedLetters(cases);
  const slipped = evaluate(slips, (c) => assess.execute(c.text, c.language).emergency);
  process.stdout.write(`emergencies with one extra typo (two letters swapped in one word of 6+ letters): ${slipped.total.escalated}/${slipped.total.emergencies} escalated (${(slipped.total.recall * 100).toFixed(1)}%)\n`);
  return result.missed.length > 0 ? 1 : 0;
}

function corpusFiles(): string[] {
  const dir = join(__dirname, '..', '..', 'test', 'corpus');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tsv'))
    .sort()
    .map((f) => join(dir, f));
}

process.exitCode = main(process.argv.slice(2));
