import { WHATSAPP_LIMITS, whatsappElementOf } from '@careloop/i18n';
import { Catalog, SUPPORTED_LANGUAGES, type MessageKey } from '../src/i18n/catalog';

const catalog = Catalog.load();

// Long but realistic values, so a body that only fits with short names fails here.
const VALUES = {
  department: 'Kinderheilkunde und Jugendmedizin',
  practitioner: 'Dr. Maximiliane Schmidt-Hohenstein',
  facility: 'Hospital Universitario Central de Madrid',
  address: 'Calle de Alcalá 123, 28009 Madrid',
  date: 'Mittwoch, 30. September 2026',
  time: '09:30',
  count: 3,
  n: 10,
  minutes: 15,
};

describe('WhatsApp length limits of the scheduling catalogue', () => {
  it('classifies keys by where they are shown', () => {
    const expected: [MessageKey, keyof typeof WHATSAPP_LIMITS][] = [
      ['book.departments.button', 'listButton'],
      ['book.slots.section', 'listSectionTitle'],
      ['book.row.more.title', 'listRowTitle'],
      ['book.row.any.description', 'listRowDescription'],
      ['book.reply.confirm', 'replyButtonTitle'],
      ['offer.reply.take', 'replyButtonTitle'],
      ['book.confirm.body', 'body'],
    ];
    for (const [key, element] of expected) expect([key, whatsappElementOf(key)]).toEqual([key, element]);
  });

  it.each(SUPPORTED_LANGUAGES)('every %s message fits where it is shown', (language) => {
    // Row titles and descriptions with names are cut to fit in code (fit()); the fixed words must fit on their own.
    const cutInCode = new Set<MessageKey>(['book.row.slot.title', 'book.row.slot.description', 'appts.row.appointment.description']);
    const tooLong = catalog.keys.flatMap((key) => {
      if (cutInCode.has(key)) return [];
      const element = whatsappElementOf(key);
      const text = catalog.t(language, key, VALUES);
      return text.length > WHATSAPP_LIMITS[element] ? [`${key} (${element}): ${text.length} > ${WHATSAPP_LIMITS[element]}: ${text}`] : [];
    });
    expect(tooLong).toEqual([]);
  });

  it.each(SUPPORTED_LANGUAGES)('the %s reply buttons of one message have distinct titles', (language) => {
    const groups: MessageKey[][] = [
      ['book.reply.confirm', 'book.reply.other', 'book.reply.cancel'],
      ['appt.reply.reschedule', 'appt.reply.cancel', 'appt.reply.keep'],
      ['cancel.reply.yes', 'cancel.reply.no'],
      ['offer.reply.take', 'offer.reply.decline'],
      ['book.reply.yes', 'book.reply.no'],
      ['book.reply.yes', 'book.reply.menu'],
      ['appts.reply.book', 'book.reply.menu'],
    ];
    for (const group of groups) {
      const titles = group.map((k) => catalog.t(language, k));
      expect(new Set(titles).size).toBe(titles.length);
    }
  });
});
