import { calendarFile, foldLine } from '../src/domain/ics';
import { parseSlotId, slotIdOf } from '../src/domain/ids';
import { fit, showTime } from '../src/domain/format';

describe('calendar file (RFC 5545)', () => {
  const ics = calendarFile({
    uid: 'a1b2@careloop',
    start: new Date('2026-12-03T09:30:00Z'),
    end: new Date('2026-12-03T10:00:00Z'),
    stamp: new Date('2026-12-01T12:00:00.123Z'),
    summary: 'Cita: Cardiología',
    location: 'Hospital Central, Calle de Alcalá 1; Madrid',
  });

  it('is one VEVENT in UTC with CRLF line ends and escaped text', () => {
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics).toContain('\r\nDTSTART:20261203T093000Z\r\n');
    expect(ics).toContain('\r\nDTEND:20261203T100000Z\r\n');
    expect(ics).toContain('\r\nDTSTAMP:20261201T120000Z\r\n');
    expect(ics).toContain('\r\nLOCATION:Hospital Central\\, Calle de Alcalá 1\\; Madrid\r\n');
    expect(ics.replace(/\r\n/g, '').includes('\n')).toBe(false);
  });

  it('folds long lines at 75 octets without splitting a UTF-8 character', () => {
    const line = `SUMMARY:${'ü'.repeat(100)}`;
    const folded = foldLine(line).split('\r\n');
    for (const part of folded) expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(75);
    expect(folded.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line);
  });
});

describe('slot ids', () => {
  it('round-trips and rejects malformed ids', () => {
    const key = { practitionerId: 'p-madrid-cardio-01', facilityId: 'madrid-central', startMinute: 29_456_130 };
    expect(parseSlotId(slotIdOf(key))).toEqual(key);
    expect(parseSlotId('x@y')).toBeUndefined();
    expect(parseSlotId('p@f@ZZ!')).toBeUndefined();
    expect(parseSlotId('p:1@f@1')).toBeUndefined();
    expect(`sched:ok:${slotIdOf(key)}`.length).toBeLessThanOrEqual(256);
  });
});

describe('times shown to the patient', () => {
  it('are in the facility time zone, in the patient language', () => {
    const at = new Date('2026-07-01T07:30:00Z');
    expect(showTime(at, 'Europe/Madrid', 'es').time).toBe('09:30');
    expect(showTime(at, 'Europe/Istanbul', 'tr').time).toBe('10:30');
    expect(showTime(at, 'Europe/Berlin', 'de').longDate).toBe('Mittwoch, 1. Juli 2026');
    expect(showTime(at, 'Europe/Madrid', 'es').longDate).toBe('miércoles, 1 de julio de 2026');
  });

  it('cuts text to a field length with an ellipsis', () => {
    expect(fit('Dr. Maximiliane Schmidt-Hohenstein', 24)).toHaveLength(24);
    expect(fit('Dr. Ana', 24)).toBe('Dr. Ana');
  });
});
