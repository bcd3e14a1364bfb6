import { SUPPORTED_LANGUAGES, WHATSAPP_LIMITS, whatsappElementOf } from '@careloop/i18n';
import { Catalog, type MessageKey } from '../src/i18n/catalog';
import { library } from './support/library';

const catalog = Catalog.load();

// Long but realistic values: a crisis line with its prefix, a department name.
const VALUES = { number: '15 / 112', crisis: '0800 111 0 111', department: 'Psychiatrie und Psychotherapie', min: 34, max: 43 };

describe('WhatsApp length limits', () => {
  it('classifies keys by where they are shown', () => {
    const expected: [MessageKey, keyof typeof WHATSAPP_LIMITS][] = [
      ['question.reply.yes', 'replyButtonTitle'],
      ['question.reply.unknown', 'replyButtonTitle'],
      ['outcome.reply.book', 'replyButtonTitle'],
      ['outcome.reply.person', 'replyButtonTitle'],
      ['start.button', 'listButton'],
      ['question.button', 'listButton'],
      ['start.section', 'listSectionTitle'],
      ['emergency.call', 'body'],
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

  it.each(SUPPORTED_LANGUAGES)('the longest %s outcome body (outcome, offer, disclaimer) fits a message body', (language) => {
    const outcomes = ['outcome.urgent', 'outcome.soon', 'outcome.routine', 'outcome.self_care'] as const;
    for (const key of outcomes) {
      const body = [catalog.t(language, key, VALUES), catalog.t(language, 'outcome.book_offer'), catalog.t(language, 'disclaimer', VALUES)].join('\n\n');
      expect(body.length).toBeLessThanOrEqual(WHATSAPP_LIMITS.body);
    }
    const emergency = [catalog.t(language, 'emergency.call', VALUES), catalog.t(language, 'emergency.crisis', VALUES), catalog.t(language, 'disclaimer', VALUES)].join('\n\n');
    expect(emergency.length).toBeLessThanOrEqual(WHATSAPP_LIMITS.body);
  });

  it('has a name for every department a protocol can send to', () => {
    const departments = new Set(library.protocols.flatMap((p) => p.rules.map((r) => r.department)));
    for (const d of departments) expect(catalog.keys).toContain(`department.${d}`);
  });
});
