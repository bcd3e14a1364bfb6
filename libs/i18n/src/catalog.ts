import { parse, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { CatalogError } from './catalog-error';
import { argumentNames } from './icu-arguments';
import { SUPPORTED_LANGUAGES, type Language } from './languages';

export type MessageValues = Readonly<Record<string, string | number | Date>>;

/** Raw catalogues as read from JSON: values are checked at load, so they are `unknown` here. */
export type MessagesByLanguage = Partial<Record<Language, Readonly<Record<string, unknown>>>>;

/**
 * A service's bundled catalogues, typed as complete so that a key missing from a translation
 * already fails the typecheck; `MessageCatalog.fromMessages` still validates everything at run
 * time (extra keys, ICU syntax, argument names), which the type system cannot see.
 */
export type BundledMessages<K extends string> = Record<Language, Record<K, string>>;

// Tags are off: bot text never uses rich-text tags, so a literal "<" in a translation
// must not be read as one.
const PARSE_OPTIONS = { ignoreTag: true } as const;

/**
 * The bot's words in every supported language, as ICU MessageFormat messages compiled once
 * at load. Nothing the patient reads is written in code: callers pass a key and values.
 * Each service ships its own catalogues (English is the reference) and loads them with
 * `MessageCatalog.fromMessages<keyof typeof en>(...)`.
 */
export class MessageCatalog<K extends string> {
  private constructor(
    private readonly formats: ReadonlyMap<Language, ReadonlyMap<string, IntlMessageFormat>>,
    readonly keys: readonly K[],
  ) {}

  /**
   * Validates and compiles catalogues: every language present, exactly English's keys,
   * every message a non-empty ICU message using the same argument names as English.
   * Throws CatalogError naming the language and key of the first problem.
   */
  static fromMessages<K extends string>(messagesByLanguage: MessagesByLanguage): MessageCatalog<K> {
    const english = requireCatalogue(messagesByLanguage, 'en');
    const reference = new Map<string, Set<string>>();
    for (const [key, message] of Object.entries(english)) {
      reference.set(key, argumentNames(parseMessage('en', key, message)));
    }

    const formats = new Map<Language, ReadonlyMap<string, IntlMessageFormat>>();
    for (const language of SUPPORTED_LANGUAGES) {
      const messages = requireCatalogue(messagesByLanguage, language);
      for (const key of Object.keys(messages)) {
        if (!reference.has(key)) throw new CatalogError(language, key, 'key does not exist in the English catalogue');
      }
      const compiled = new Map<string, IntlMessageFormat>();
      for (const [key, expectedArguments] of reference) {
        if (!(key in messages)) throw new CatalogError(language, key, 'missing translation');
        const ast = parseMessage(language, key, messages[key]);
        const used = argumentNames(ast);
        if (!sameSet(used, expectedArguments)) {
          throw new CatalogError(language, key, `uses arguments {${[...used].sort().join(', ')}} but English uses {${[...expectedArguments].sort().join(', ')}}`);
        }
        // Compiling from the parsed AST avoids parsing every message twice.
        compiled.set(key, new IntlMessageFormat(ast, language, undefined, PARSE_OPTIONS));
      }
      formats.set(language, compiled);
    }
    return new MessageCatalog<K>(formats, [...reference.keys()] as K[]);
  }

  /** The message in that language. Throws CatalogError if a value the message needs is missing. */
  t(language: Language, key: K, values?: MessageValues): string {
    const format = this.formats.get(language)?.get(key);
    if (format === undefined) throw new CatalogError(language, key, 'no such message');
    let formatted: unknown;
    try {
      formatted = format.format(values);
    } catch (error) {
      // The cause names the missing argument; values themselves are never put in the message (PHI).
      throw new CatalogError(language, key, 'cannot format message', { cause: error });
    }
    if (typeof formatted !== 'string') throw new CatalogError(language, key, 'message did not format to plain text');
    return formatted;
  }
}

function requireCatalogue(messagesByLanguage: MessagesByLanguage, language: Language): Readonly<Record<string, unknown>> {
  const messages = messagesByLanguage[language];
  if (messages === undefined) throw new CatalogError(language, undefined, 'catalogue is missing');
  return messages;
}

function parseMessage(language: Language, key: string, message: unknown): MessageFormatElement[] {
  if (typeof message !== 'string' || message.trim() === '') throw new CatalogError(language, key, 'message must be a non-empty string');
  try {
    return parse(message, PARSE_OPTIONS);
  } catch (error) {
    throw new CatalogError(language, key, 'not a valid ICU message', { cause: error });
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
