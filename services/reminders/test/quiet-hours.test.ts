import { DateTime } from 'luxon';
import { isQuiet, outsideQuietHours } from '../src/domain/quiet-hours';

const MADRID = 'Europe/Madrid';
const local = (iso: string, zone = MADRID) => DateTime.fromISO(iso, { zone }).toJSDate();
const show = (d: Date, zone = MADRID) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");
const QUIET = { start: '21:00', end: '08:00', move: 'after' as const };

describe('quiet hours', () => {
  it('leaves a reminder outside quiet hours where it is', () => {
    expect(show(outsideQuietHours(local('2026-05-12T10:00'), MADRID, QUIET))).toBe('2026-05-12T10:00');
  });

  it('moves an early-morning reminder to the end of the quiet hours that day', () => {
    expect(show(outsideQuietHours(local('2026-05-12T03:00'), MADRID, QUIET))).toBe('2026-05-12T08:00');
  });

  it('moves a late-evening reminder to the end of the quiet hours the next morning', () => {
    expect(show(outsideQuietHours(local('2026-05-12T22:30'), MADRID, QUIET))).toBe('2026-05-13T08:00');
  });

  it('with move "before", sends a 03:00 reminder the evening before, just before the quiet hours', () => {
    expect(show(outsideQuietHours(local('2026-05-12T03:00'), MADRID, { ...QUIET, move: 'before' }))).toBe('2026-05-11T20:59');
    expect(show(outsideQuietHours(local('2026-05-12T23:00'), MADRID, { ...QUIET, move: 'before' }))).toBe('2026-05-12T20:59');
  });

  it('reads quiet hours in the patient’s zone, not the server’s', () => {
    // 03:00 in Madrid is 21:00 the evening before in New York: quiet there too, but 18:00 in Los Angeles is not.
    const instant = local('2026-05-12T03:00');
    expect(isQuiet(instant, 'America/New_York', QUIET)).toBe(true);
    expect(isQuiet(instant, 'America/Los_Angeles', QUIET)).toBe(false);
  });

  it('keeps the local end time on the night clocks change (spring forward)', () => {
    // 29 March 2026: Madrid goes from 02:00 to 03:00; 08:00 local is 06:00 UTC that morning.
    const moved = outsideQuietHours(local('2026-03-29T01:30'), MADRID, QUIET);
    expect(show(moved)).toBe('2026-03-29T08:00');
    expect(moved.toISOString()).toBe('2026-03-29T06:00:00.000Z');
  });

  it('handles quiet hours that do not cross midnight', () => {
    const lunch = { start: '13:00', end: '15:00', move: 'after' as const };
    expect(show(outsideQuietHours(local('2026-05-12T14:10'), MADRID, lunch))).toBe('2026-05-12T15:00');
    expect(isQuiet(local('2026-05-12T15:00'), MADRID, lunch)).toBe(false);
  });
});
