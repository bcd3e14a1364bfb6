import { Catalog, SUPPORTED_LANGUAGES, type MessageKey } from '../src/i18n/catalog';
import { WHATSAPP_LIMITS, whatsappElementOf } from '../src/i18n/whatsapp-limits';

const catalog = Catalog.load();

// Long but realistic values, so a body that only fits with a short hospital name fails here.
const VALUES = {
  hospital: 'Hospital Universitario Central de la Comunidad de Madrid Norte',
  language: 'Français',
  option: 'Preguntas e información',
  ahead: 128,
  name: 'Dr. Maximiliane Schmidt-Hohenstein',
  n: 10,
  last: '42',
};

describe('WhatsApp length limits', () => {
  it('classifies keys by where they are shown', () => {
    const expected: [MessageKey, keyof typeof WHATSAPP_LIMITS][] = [
      ['menu.row.book.title', 'listRowTitle'],
      ['menu.row.agent.description', 'listRowDescription'],
      ['menu.button', 'listButton'],
      ['faq.button', 'listButton'],
      ['language.button', 'listButton'],
      ['menu.section', 'listSectionTitle'],
      ['consent.accept', 'replyButtonTitle'],
      ['consent.decline', 'replyButtonTitle'],
      ['language.name', 'listRowTitle'],
      ['consent.ask', 'body'],
    ];
    for (const [key, element] of expected) expect([key, whatsappElementOf(key)]).toEqual([key, element]);
  });

  it.each(SUPPORTED_LANGUAGES)('every %s message fits where it is shown', (language) => {
    const tooLong = catalog.keys.flatMap((key) => {
      const element = whatsappElementOf(key);
      const text = catalog.t(language, key, VALUES);
      return text.length > WHATSAPP_LIMITS[element] ? [`${key} (${element}): ${text.length} > ${WHATSAPP_LIMITS[element]}: ${text}`] : [];
    });
    expect(tooLong).toEqual([]);
  });
});
