import { loadConfig } from '@careloop/config';
import { DEFAULT_EMERGENCY_CONTACTS, EmergencyNumbers } from '../src/domain/emergency-numbers';
import { triageSettings } from '../src/config';

describe('emergency numbers', () => {
  const numbers = new EmergencyNumbers(
    { ...DEFAULT_EMERGENCY_CONTACTS, XX: { emergency: '000', crisis: '000 000' } },
    { 'london-east': { country: 'GB' }, 'lyon-nord': { country: 'FR', crisis: '04 00 00 00 00' }, 'ship-1': { emergency: '+1 555 0100' } },
    'ES',
  );

  it('takes the facility country, then the facility own numbers', () => {
    expect(numbers.for('london-east')).toEqual({ emergency: '999', crisis: '116 123' });
    expect(numbers.for('lyon-nord')).toEqual({ emergency: '15 / 112', crisis: '04 00 00 00 00' });
    expect(numbers.for('ship-1')).toEqual({ emergency: '+1 555 0100', crisis: '024' });
  });

  it('falls back to the default country, and to 112 without one', () => {
    expect(numbers.for('madrid-central')).toEqual({ emergency: '112', crisis: '024' });
    expect(new EmergencyNumbers(DEFAULT_EMERGENCY_CONTACTS, {}, undefined).for('anywhere')).toEqual({ emergency: '112', crisis: '112' });
  });

  it('knows the numbers of the US (911, 988) and Russia (112 / 103)', () => {
    expect(DEFAULT_EMERGENCY_CONTACTS['US']).toEqual({ emergency: '911', crisis: '988' });
    expect(DEFAULT_EMERGENCY_CONTACTS['RU']?.emergency).toBe('112 / 103');
  });

  it('refuses malformed settings, naming the setting', () => {
    expect(() => loadConfig('triage', triageSettings, { TRIAGE_FACILITIES: '{"x": {"country": "Spain"}}' })).toThrow(/TRIAGE_FACILITIES/);
    expect(() => loadConfig('triage', triageSettings, { TRIAGE_EMERGENCY_NUMBERS: 'not json' })).toThrow(/TRIAGE_EMERGENCY_NUMBERS/);
    expect(() => loadConfig('triage', triageSettings, { TRIAGE_DEFAULT_COUNTRY: 'spain' })).toThrow(/TRIAGE_DEFAULT_COUNTRY/);
    expect(loadConfig('triage', triageSettings, { TRIAGE_FACILITIES: '{"madrid-central": {"country": "ES"}}' }).TRIAGE_FACILITIES).toEqual({ 'madrid-central': { country: 'ES' } });
  });
});
