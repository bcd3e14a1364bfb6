import { CatalogError, MessageCatalog, SUPPORTED_LANGUAGES, whatsappElementOf, type MessagesByLanguage } from '@careloop/i18n';

function everyLanguage(messages: Record<string, string>): MessagesByLanguage {
  return Object.fromEntries(SUPPORTED_LANGUAGES.map((l) => [l, messages]));
}

describe('MessageCatalog', () => {
  it('formats plurals with the language’s CLDR categories', () => {
    const catalog = MessageCatalog.fromMessages<'slots'>({
      ...everyLanguage({ slots: '{n, plural, one {# slot} other {# slots}}' }),
      ru: { slots: '{n, plural, one {# окно} few {# окна} many {# окон} other {# окна}}' },
    });
    expect(catalog.t('en', 'slots', { n: 1 })).toBe('1 slot');
    expect(catalog.t('ru', 'slots', { n: 3 })).toBe('3 окна');
    expect(catalog.t('ru', 'slots', { n: 5 })).toBe('5 окон');
  });

  it('refuses a catalogue with a missing translation, naming language and key', () => {
    const messages = { ...everyLanguage({ hello: 'Hi {name}', bye: 'Bye' }), fr: { hello: 'Salut {name}' } };
    expect(() => MessageCatalog.fromMessages(messages)).toThrow(new CatalogError('fr', 'bye', 'missing translation'));
  });

  it('refuses a translation that uses other arguments than English', () => {
    const messages = { ...everyLanguage({ hello: 'Hi {name}' }), de: { hello: 'Hallo {nombre}' } };
    expect(() => MessageCatalog.fromMessages(messages)).toThrow(/"de", key "hello": uses arguments \{nombre\} but English uses \{name\}/);
  });

  it('never puts the values it was given into an error', () => {
    const catalog = MessageCatalog.fromMessages<'hello'>(everyLanguage({ hello: 'Hi {name}, born {dob}' }));
    let message = '';
    try {
      catalog.t('en', 'hello', { name: 'Lucía Fernández' });
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    expect(message).toContain('cannot format message');
    expect(message).not.toContain('Lucía');
  });
});

describe('whatsappElementOf', () => {
  it('classifies keys by the naming convention and by overrides', () => {
    expect(whatsappElementOf('book.row.gp.title')).toBe('listRowTitle');
    expect(whatsappElementOf('book.row.gp.description')).toBe('listRowDescription');
    expect(whatsappElementOf('book.button')).toBe('listButton');
    expect(whatsappElementOf('book.section')).toBe('listSectionTitle');
    expect(whatsappElementOf('confirm.reply.yes')).toBe('replyButtonTitle');
    expect(whatsappElementOf('consent.accept', { replyButtons: ['consent.accept'] })).toBe('replyButtonTitle');
    expect(whatsappElementOf('confirm.body')).toBe('body');
  });
});
