import { SUPPORTED_LANGUAGES } from '../src/i18n/catalog';
import { parseBirthDate } from '../src/domain/verification';

describe('dates of birth as patients write them', () => {
  it.each(SUPPORTED_LANGUAGES)('reads day-first dates and ISO dates in %s', (language) => {
    expect(parseBirthDate('02/11/2015', language)).toBe('2015-11-02');
    expect(parseBirthDate('2.11.2015', language)).toBe('2015-11-02');
    expect(parseBirthDate(' 02-11-2015 ', language)).toBe('2015-11-02');
    expect(parseBirthDate('2015-11-02', language)).toBe('2015-11-02');
  });

  it('refuses what is not a real past date', () => {
    expect(parseBirthDate('31/02/1980', 'en')).toBeUndefined(); // no 31 February
    expect(parseBirthDate('13/13/1980', 'de')).toBeUndefined();
    expect(parseBirthDate('01/01/1850', 'es')).toBeUndefined();
    expect(parseBirthDate(`01/01/${new Date().getUTCFullYear() + 1}`, 'fr')).toBeUndefined();
    expect(parseBirthDate('30 de junio', 'es')).toBeUndefined();
    expect(parseBirthDate('1980', 'tr')).toBeUndefined();
  });
});
