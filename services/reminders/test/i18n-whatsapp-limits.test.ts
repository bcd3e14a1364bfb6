import { Catalog, SUPPORTED_LANGUAGES, WHATSAPP_LIMITS, whatsappElementOf, type MessageKey } from '../src/i18n/catalog';

const catalog = Catalog.load();

// Long but realistic values, so a body that only fits with short names fails here.
const VALUES = {
  date: 'miércoles, 30 de septiembre',
  time: '10:30',
  place: 'Hospital Universitario Central de la Comunidad de Madrid Norte, Cardiología pediátrica',
  practitioner: 'Dr. Maximiliane Schmidt-Hohenstein',
  address: 'Calle de Diego de León 62, 28006 Madrid, planta 3, puerta B',
  instructions: 'Come fasting: no food or drink other than water for 8 hours before. Bring your medication list and previous reports.',
  medication: 'Metformin 850 mg, one tablet with breakfast',
  label: '6-week check after knee surgery',
  value: '110',
  unit: 'mg/dL',
};

describe('reminders catalogue', () => {
  it('loads in six languages with the same keys and arguments', () => {
    expect(SUPPORTED_LANGUAGES).toEqual(['en', 'es', 'de', 'fr', 'tr', 'ru']);
    expect(catalog.keys).toContain('appointment.reply.confirm');
  });

  it('classifies reply buttons by name', () => {
    const expected: [MessageKey, keyof typeof WHATSAPP_LIMITS][] = [
      ['appointment.reply.confirm', 'replyButtonTitle'],
      ['medication.reply.snooze', 'replyButtonTitle'],
      ['vital.reply.send', 'replyButtonTitle'],
      ['appointment.body', 'body'],
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

  it.each(SUPPORTED_LANGUAGES)('the %s reply buttons of one message are distinct', (language) => {
    for (const group of [['appointment.reply.confirm', 'appointment.reply.reschedule', 'appointment.reply.cancel'], ['medication.reply.taken', 'medication.reply.snooze', 'medication.reply.skip']] as MessageKey[][]) {
      const titles = group.map((k) => catalog.t(language, k));
      expect(new Set(titles).size).toBe(titles.length);
    }
  });
});
