import { DateTime } from 'luxon';
import { nextOccurrence } from '../src/domain/recurrence';

const rule = { timeZone: 'Europe/Berlin', timesOfDay: ['20:00', '08:00'], startDate: '2026-03-27', endDate: '2026-03-30' };

function all(from: Date): string[] {
  const out: string[] = [];
  let after = from;
  for (let next = nextOccurrence(rule, after); next; next = nextOccurrence(rule, after)) {
    out.push(`${next.localSlot} ${next.at.toISOString()}`);
    after = next.at;
  }
  return out;
}

describe('medication recurrence', () => {
  it('fires daily at 08:00 and 20:00 local across the DST change, then stops after the last day', () => {
    // Berlin: CET (UTC+1) until 29 March 2026 02:00, then CEST (UTC+2).
    expect(all(new Date('2026-03-26T12:00:00Z'))).toEqual([
      '2026-03-27T08:00 2026-03-27T07:00:00.000Z',
      '2026-03-27T20:00 2026-03-27T19:00:00.000Z',
      '2026-03-28T08:00 2026-03-28T07:00:00.000Z',
      '2026-03-28T20:00 2026-03-28T19:00:00.000Z',
      '2026-03-29T08:00 2026-03-29T06:00:00.000Z',
      '2026-03-29T20:00 2026-03-29T18:00:00.000Z',
      '2026-03-30T08:00 2026-03-30T06:00:00.000Z',
      '2026-03-30T20:00 2026-03-30T18:00:00.000Z',
    ]);
  });

  it('starts from now when the plan started earlier', () => {
    const next = nextOccurrence({ ...rule, endDate: '' }, DateTime.fromISO('2026-04-10T09:15', { zone: 'Europe/Berlin' }).toJSDate());
    expect(next?.localSlot).toBe('2026-04-10T20:00');
  });

  it('sends a time inside the spring-forward gap at the first instant after it', () => {
    const gap = nextOccurrence({ timeZone: 'Europe/Berlin', timesOfDay: ['02:30'], startDate: '2026-03-29' }, new Date('2026-03-28T12:00:00Z'));
    expect(gap?.at.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(DateTime.fromJSDate(gap?.at ?? new Date(0), { zone: 'Europe/Berlin' }).toFormat('HH:mm')).toBe('03:30');
  });
});
