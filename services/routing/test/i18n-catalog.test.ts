import { Catalog, CatalogError, SUPPORTED_LANGUAGES, isLanguage, languageName, type Language, type MessagesByLanguage } from '../src/i18n/catalog';
import en from '../src/i18n/messages/en.json';

const catalog = Catalog.load();

// Sample values for every argument the catalogue uses, so each message can be formatted.
const VALUES = { hospital: 'Hospital Universitario Central', language: 'Español', option: 'Mis resultados', ahead: 3, name: 'Ana', n: 2, last: '42' };

/** A small valid catalogue in all six languages, to break one piece at a time. */
function tiny(overrides: MessagesByLanguage = {}): MessagesByLanguage {
  const base = Object.fromEntries(SUPPORTED_LANGUAGES.map((l) => [l, { 'agent.prefix': `hi {name} (${l})`, 'language.name': l }]));
  return { ...base, ...overrides };
}

function catalogErrorOf(build: () => unknown): CatalogError {
  try {
    build();
  } catch (error) {
    if (error instanceof CatalogError) return error;
    throw error;
  }
  throw new Error('expected a CatalogError');
}

describe('the bundled catalogues', () => {
  it('load and validate', () => {
    expect(catalog.keys).toEqual(Object.keys(en));
  });

  it('name each language in itself', () => {
    expect(SUPPORTED_LANGUAGES.map((l) => languageName(catalog, l))).toEqual(['English', 'Español', 'Deutsch', 'Français', 'Türkçe', 'Русский']);
  });

  it.each(SUPPORTED_LANGUAGES)('format every %s message to plain text with no ICU syntax left over', (language) => {
    for (const key of catalog.keys) {
      const text = catalog.t(language, key, VALUES);
      expect(text.trim()).not.toBe('');
      // A stray ASCII apostrophe quotes ICU syntax and would print it literally.
      expect(text).not.toMatch(/[{}]/);
    }
  });

  it('fills arguments', () => {
    expect(catalog.t('es', 'consent.ask', { hospital: 'Hospital del Mar' })).toContain('Hospital del Mar');
    expect(catalog.t('de', 'language.changed', { language: languageName(catalog, 'de') })).toContain('Deutsch');
  });

  it('applies each language’s plural rules', () => {
    expect(catalog.t('en', 'handover.position', { ahead: 1 })).toBe('There is 1 person ahead of you.');
    expect(catalog.t('en', 'handover.position', { ahead: 0 })).toBe('You are next in line.');
    // Russian: 1 человек, 3 человека, 5 человек.
    expect(catalog.t('ru', 'handover.position', { ahead: 3 })).toContain('3 человека');
    expect(catalog.t('ru', 'handover.position', { ahead: 5 })).toContain('5 человек.');
  });

  it('refuses to format a message without its arguments, naming language and key', () => {
    const error = catalogErrorOf(() => catalog.t('fr', 'menu.body'));
    expect(error.language).toBe('fr');
    expect(error.key).toBe('menu.body');
    expect(error.message).toContain('"fr"');
    expect(error.message).toContain('"menu.body"');
  });

  it('has a type guard for languages', () => {
    expect(SUPPORTED_LANGUAGES.filter(isLanguage)).toHaveLength(6);
    expect(['pt', 'EN', '', undefined, 7].some(isLanguage)).toBe(false);
  });
});

describe('Catalog.fromMessages validation', () => {
  it('accepts a consistent catalogue', () => {
    expect(Catalog.fromMessages(tiny()).t('tr', 'agent.prefix', { name: 'Ali' })).toBe('hi Ali (tr)');
  });

  it.each<[string, MessagesByLanguage, Language, string | undefined, RegExp]>([
    ['a missing language', { ...tiny(), de: undefined }, 'de', undefined, /catalogue is missing/],
    ['a missing key', tiny({ es: { 'language.name': 'es' } }), 'es', 'agent.prefix', /missing translation/],
    ['an extra key', tiny({ fr: { 'agent.prefix': 'salut {name}', 'language.name': 'fr', 'farewell': 'adieu' } }), 'fr', 'farewell', /does not exist in the English/],
    ['invalid ICU syntax', tiny({ ru: { 'agent.prefix': 'привет {name', 'language.name': 'ru' } }), 'ru', 'agent.prefix', /not a valid ICU message/],
    ['a renamed argument', tiny({ tr: { 'agent.prefix': 'merhaba {isim}', 'language.name': 'tr' } }), 'tr', 'agent.prefix', /uses arguments \{isim\} but English uses \{name\}/],
    ['a dropped argument', tiny({ de: { 'agent.prefix': 'hallo', 'language.name': 'de' } }), 'de', 'agent.prefix', /uses arguments \{\} but English uses \{name\}/],
    ['an argument only inside a plural branch', tiny({ es: { 'agent.prefix': '{n, plural, one {hola {name}} other {hola}}', 'language.name': 'es' } }), 'es', 'agent.prefix', /uses arguments \{n, name\}/],
    ['an empty message', tiny({ en: { 'agent.prefix': ' ', 'language.name': 'en' } }), 'en', 'agent.prefix', /non-empty string/],
    ['a message that is not a string', tiny({ es: { 'agent.prefix': 42, 'language.name': 'es' } }), 'es', 'agent.prefix', /non-empty string/],
  ])('rejects %s', (_case, messages, language, key, problem) => {
    const error = catalogErrorOf(() => Catalog.fromMessages(messages));
    expect(error).toBeInstanceOf(CatalogError);
    expect(error.name).toBe('CatalogError');
    expect(error.language).toBe(language);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(problem);
  });
});
