import { join } from 'node:path';
import type { Language } from '@careloop/i18n';
import { parseProtocol, ProtocolError, type Protocol } from '../domain/protocol';
import { Lexicon } from '../domain/screening/lexicon';
import { RedFlagScreen } from '../domain/screening/red-flags';
import { readDataFile, readProtocolFiles } from './protocol-files';

/**
 * Everything triage decides with, loaded and validated once at start: the red-flag screen
 * and the complaint protocols. A broken file stops the service with a message naming it.
 */
export class ProtocolLibrary {
  private readonly byId: ReadonlyMap<string, Protocol>;
  private readonly complaintLexicons: ReadonlyMap<Language, Lexicon>;

  private constructor(
    readonly screen: RedFlagScreen,
    readonly protocols: readonly Protocol[],
  ) {
    this.byId = new Map(protocols.map((p) => [p.id, p]));
    const languages = Object.keys(screen.file.negation) as Language[];
    this.complaintLexicons = new Map(
      // Same negation cues as the red flags: "no chest pain, only a cough" is about the cough.
      languages.map((language) => [language, new Lexicon(language, Object.fromEntries(protocols.map((p) => [p.id, p.keywords[language]])), screen.file.negation[language])]),
    );
  }

  static load(dir: string): ProtocolLibrary {
    const screen = RedFlagScreen.fromFile(readDataFile(join(dir, 'red-flags.yaml')));
    return ProtocolLibrary.of(screen, readProtocolFiles(dir).map((f) => parseProtocol(f.content, f.name)));
  }

  static of(screen: RedFlagScreen, protocols: readonly Protocol[]): ProtocolLibrary {
    const seen = new Set<string>();
    for (const p of protocols) {
      if (seen.has(p.id)) throw new ProtocolError(`protocol ${p.id} is defined twice`);
      seen.add(p.id);
    }
    if (protocols.length > 10) throw new ProtocolError(`${protocols.length} protocols: the complaint list shows at most 10 (a WhatsApp list limit)`);
    return new ProtocolLibrary(screen, protocols);
  }

  get(id: string): Protocol | undefined {
    return this.byId.get(id);
  }

  /** The protocol a description points to: the one whose words it mentions most, negations aside (ties: list order). */
  complaintOf(text: string, language: Language): Protocol | undefined {
    const counts = new Map<string, number>();
    for (const o of this.complaintLexicons.get(language)?.find(text) ?? []) if (!o.negated) counts.set(o.concept, (counts.get(o.concept) ?? 0) + 1);
    let best: Protocol | undefined;
    let most = 0;
    for (const p of this.protocols) {
      const n = counts.get(p.id) ?? 0;
      if (n > most) {
        best = p;
        most = n;
      }
    }
    return best;
  }
}
