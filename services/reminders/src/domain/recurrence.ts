import { DateTime } from 'luxon';

/** A daily recurrence: local times of day in the patient's zone, from a first to an optional last date. */
export interface DailyRecurrence {
  readonly timeZone: string;
  /** "HH:MM", any order. */
  readonly timesOfDay: readonly string[];
  /** "YYYY-MM-DD", local. */
  readonly startDate: string;
  readonly endDate?: string;
}

export interface Occurrence {
  readonly at: Date;
  /** Local date and time, "2026-03-29T08:00": the stable part of the occurrence key (same across DST). */
  readonly localSlot: string;
}

/**
 * The first occurrence strictly after `after`. Wall times hold across DST: 08:00 stays 08:00 local
 * (its UTC instant moves); a time inside a spring-forward gap is sent at the first instant after it.
 */
export function nextOccurrence(rule: DailyRecurrence, after: Date): Occurrence | undefined {
  const zone = rule.timeZone;
  const times = [...new Set(rule.timesOfDay)].sort();
  if (times.length === 0) return undefined;
  const first = DateTime.fromISO(rule.startDate, { zone }).startOf('day');
  const last = rule.endDate ? DateTime.fromISO(rule.endDate, { zone }).startOf('day') : undefined;
  const fromAfter = DateTime.fromJSDate(after, { zone }).startOf('day');
  let day = fromAfter > first ? fromAfter : first;
  // Two days are always enough to find the next slot once past `after`'s day.
  for (let i = 0; i < 3; i++, day = day.plus({ days: 1 })) {
    if (last && day > last) return undefined;
    for (const time of times) {
      const [h = '0', m = '0'] = time.split(':');
      const at = day.set({ hour: Number(h), minute: Number(m), second: 0, millisecond: 0 });
      if (at.toMillis() > after.getTime()) return { at: at.toJSDate(), localSlot: `${day.toISODate() ?? ''}T${time}` };
    }
  }
  return undefined;
}
