import fc from 'fast-check';
import { DateTime } from 'luxon';
import { localDates, minutesOfDay, slotsOnDate, type SlotRules } from '../src/domain/slots';

// Zones with DST (both hemispheres, a 30-minute DST shift, transitions at midnight) and without.
const ZONES = ['Europe/Madrid', 'Europe/Berlin', 'Europe/Istanbul', 'America/New_York', 'America/Sao_Paulo', 'America/Santiago', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'Asia/Tehran', 'UTC'];

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const rulesArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    len: fc.constantFrom(10, 15, 20, 30, 45, 60),
    // Working hours anywhere in the day, night shifts across the DST hour included.
    from: fc.integer({ min: 0, max: 22 * 60 }).map((m) => m - (m % 5)),
    span: fc.integer({ min: 30, max: 10 * 60 }),
    weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
  })
  .map(({ zone, len, from, span, weekdays }): SlotRules => ({
    timeZone: zone,
    slotMinutes: len,
    hours: [{ weekdays, start: hhmm(from), end: hhmm(Math.min(from + span, 23 * 60 + 59)) }],
    exceptions: [],
    validFrom: '2020-01-01',
  }));

// Dates around every DST change of 2026-2027 in both hemispheres, and random others.
const dateArb = fc.oneof(
  fc.constantFrom('2026-03-08', '2026-03-29', '2026-04-05', '2026-09-06', '2026-09-27', '2026-10-04', '2026-10-25', '2026-11-01', '2027-03-14', '2027-03-28', '2027-04-04'),
  fc.integer({ min: 0, max: 730 }).map((d) => DateTime.fromISO('2026-01-01', { zone: 'UTC' }).plus({ days: d }).toISODate() ?? ''),
);

describe('slot generation across time zones and daylight-saving changes', () => {
  it('every slot lasts exactly the slot length, slots never overlap, and they are in order', () => {
    fc.assert(
      fc.property(rulesArb, dateArb, (rules, date) => {
        const slots = slotsOnDate(rules, date);
        for (const [i, s] of slots.entries()) {
          expect(s.minutes).toBe(rules.slotMinutes);
          const next = slots[i + 1];
          if (next) expect(next.startMinute).toBeGreaterThanOrEqual(s.startMinute + s.minutes);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('every slot starts on the local date asked for, on a rule weekday, on the rule grid, within working hours', () => {
    fc.assert(
      fc.property(rulesArb, dateArb, (rules, date) => {
        const rule = rules.hours[0];
        if (!rule) return;
        for (const s of slotsOnDate(rules, date)) {
          const local = DateTime.fromMillis(s.startMinute * 60_000, { zone: rules.timeZone });
          expect(local.toISODate()).toBe(date);
          expect(rule.weekdays).toContain(local.weekday);
          const wall = local.hour * 60 + local.minute;
          expect(wall).toBeGreaterThanOrEqual(minutesOfDay(rule.start));
          expect(wall + rules.slotMinutes).toBeLessThanOrEqual(minutesOfDay(rule.end));
          expect((wall - minutesOfDay(rule.start)) % rules.slotMinutes).toBe(0);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('on a day without an offset change, a rule yields floor(span / length) slots on its weekdays and none on others', () => {
    fc.assert(
      fc.property(rulesArb, dateArb, (rules, date) => {
        const day = DateTime.fromISO(date, { zone: rules.timeZone });
        const rule = rules.hours[0];
        // Days whose offset changes (at any time, midnight included) are covered above.
        if (!rule || day.startOf('day').minus({ minutes: 1 }).offset !== day.endOf('day').offset) return;
        const expected = rule.weekdays.includes(day.weekday) ? Math.floor((minutesOfDay(rule.end) - minutesOfDay(rule.start)) / rules.slotMinutes) : 0;
        expect(slotsOnDate(rules, date)).toHaveLength(expected);
      }),
      { numRuns: 600 },
    );
  });

  it('keeps 09:00 local across the spring change: same wall time, one hour earlier in UTC (Madrid)', () => {
    const rules: SlotRules = { timeZone: 'Europe/Madrid', slotMinutes: 30, hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '10:00' }], exceptions: [], validFrom: '2026-01-01' };
    const before = slotsOnDate(rules, '2026-03-28')[0];
    const after = slotsOnDate(rules, '2026-03-29')[0];
    expect(new Date((before?.startMinute ?? 0) * 60_000).toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(new Date((after?.startMinute ?? 0) * 60_000).toISOString()).toBe('2026-03-29T07:00:00.000Z');
  });

  it('skips wall times the spring change removes and gives the repeated autumn hour once (Berlin night shift)', () => {
    const rules: SlotRules = { timeZone: 'Europe/Berlin', slotMinutes: 30, hours: [{ weekdays: [7], start: '01:00', end: '04:00' }], exceptions: [], validFrom: '2026-01-01' };
    const spring = slotsOnDate(rules, '2026-03-29').map((s) => DateTime.fromMillis(s.startMinute * 60_000, { zone: 'Europe/Berlin' }).toFormat('HH:mm'));
    expect(spring).toEqual(['01:00', '01:30', '03:00', '03:30']);
    const autumn = slotsOnDate(rules, '2026-10-25').map((s) => DateTime.fromMillis(s.startMinute * 60_000, { zone: 'Europe/Berlin' }).toFormat('HH:mm'));
    expect(autumn).toEqual(['01:00', '01:30', '02:00', '02:30', '03:00', '03:30']);
  });

  it('yields nothing on exception days and nothing inside a partial exception', () => {
    const rules: SlotRules = {
      timeZone: 'Europe/Istanbul',
      slotMinutes: 60,
      hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '13:00' }],
      exceptions: [
        { fromDate: '2026-12-07', toDate: '2026-12-08', kind: 'leave' },
        { fromDate: '2026-12-09', toDate: '2026-12-09', kind: 'training', start: '10:00', end: '12:00' },
      ],
      validFrom: '2026-01-01',
    };
    expect(slotsOnDate(rules, '2026-12-07')).toEqual([]);
    expect(slotsOnDate(rules, '2026-12-08')).toEqual([]);
    const partial = slotsOnDate(rules, '2026-12-09').map((s) => DateTime.fromMillis(s.startMinute * 60_000, { zone: 'Europe/Istanbul' }).toFormat('HH:mm'));
    expect(partial).toEqual(['09:00', '12:00']);
    expect(slotsOnDate(rules, '2026-12-10')).toHaveLength(4);
  });

  it('respects the validity range and lists consecutive local dates across month ends', () => {
    const rules: SlotRules = { timeZone: 'UTC', slotMinutes: 60, hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '10:00' }], exceptions: [], validFrom: '2026-05-02', validTo: '2026-05-03' };
    expect(localDates('2026-04-30', 5).map((d) => slotsOnDate(rules, d).length)).toEqual([0, 0, 1, 1, 0]);
    expect(localDates('2026-12-30', 3)).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
  });
});
