import { WHATSAPP_LIMITS } from '@careloop/i18n';
import { Catalog, SUPPORTED_LANGUAGES, type MessageKey } from '../src/i18n/catalog';
import { whatsappElementOf } from '../src/i18n/whatsapp-limits';

const catalog = Catalog.load();
// A long but real facility name, so a body that only fits with a short one fails here.
const VALUES = { facility: 'Hospital Universitario Central de la Comunidad de Madrid Norte' };

describe('survey catalogue', () => {
  it('loads in all six languages with the same keys', () => {
    expect(SUPPORTED_LANGUAGES).toEqual(['en', 'es', 'de', 'fr', 'tr', 'ru']);
    expect(catalog.keys.length).toBeGreaterThan(10);
  });

  it('classifies keys by where WhatsApp shows them', () => {
    const expected: [MessageKey, keyof typeof WHATSAPP_LIMITS][] = [
      ['survey.row.r5.title', 'listRowTitle'],
      ['survey.button', 'listButton'],
      ['survey.section', 'listSectionTitle'],
      ['survey.reply.skip', 'replyButtonTitle'],
      ['survey.ask.visit', 'body'],
    ];
    for (const [key, element] of expected) expect([key, whatsappElementOf(key)]).toEqual([key, element]);
  });

  it.each(SUPPORTED_LANGUAGES)('every %s message fits where it is shown', (language) => {
    const tooLong = catalog.keys.flatMap((key) => {
      const element = whatsappElementOf(key);
      const text = catalog.t(language, key, VALUES);
      return text.length > WHATSAPP_LIMITS[element] ? [`${key} (${element}): ${text.length} > ${WHATSAPP_LIMITS[element]}`] : [];
    });
    expect(tooLong).toEqual([]);
  });

  it.each(SUPPORTED_LANGUAGES)('the five %s rating rows are distinct and start with their number', (language) => {
    const rows = ([5, 4, 3, 2, 1] as const).map((r) => catalog.t(language, `survey.row.r${r}.title`));
    expect(new Set(rows).size).toBe(5);
    expect(rows.map((r) => r.charAt(0))).toEqual(['5', '4', '3', '2', '1']);
  });
});
