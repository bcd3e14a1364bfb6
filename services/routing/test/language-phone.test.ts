import type { Language } from '../src/i18n/catalog';
import { phoneLanguage } from '../src/language/phone-language';

describe('the language suggested by a phone number', () => {
  it.each<[string, string, Language | undefined]>([
    ['Spain', '+34612345678', 'es'],
    ['Mexico', '+5215512345678', 'es'],
    ['Argentina', '+5491123456789', 'es'],
    ['Germany', '+4915112345678', 'de'],
    ['Austria', '+436641234567', 'de'],
    ['Switzerland (German is the majority)', '+41791234567', 'de'],
    ['France', '+33612345678', 'fr'],
    ['Belgium (Dutch is not supported)', '+32470123456', 'fr'],
    ['Senegal', '+221771234567', 'fr'],
    ['Turkey', '+905321234567', 'tr'],
    ['Russia', '+79123456789', 'ru'],
    ['Kazakhstan, which shares +7', '+77012345678', 'ru'],
    ['Montreal, Quebec', '+15145551234', 'fr'],
    ['Toronto, Ontario', '+14165551234', 'en'],
    ['the United States', '+12125551234', 'en'],
    ['the United Kingdom', '+447400123456', 'en'],
    ['Ukraine (Russian is not assumed)', '+380501234567', undefined],
    ['a non-geographic number', '+80012345678', undefined],
    ['a WhatsApp wa_id without "+"', '34612345678', 'es'],
    ['garbage', 'not a phone', undefined],
  ])('%s', (_place, phone, language) => {
    expect(phoneLanguage(phone)).toBe(language);
  });
});
