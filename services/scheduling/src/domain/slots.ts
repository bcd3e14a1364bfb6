import { DateTime } from 'luxon';

/** A weekly working-hours rule in the facility's local wall-clock time. */
export interface WeeklyHours {
  /** ISO weekdays: 1 Monday .. 7 Sunday. */
  readonly weekdays: readonly number[];
  /** "HH:mm", local. */
  readonly start: string;
  readonly end: string;
}

/** Local dates (inclusive) not worked, optionally only between two local times. */
export interface ScheduleException {
  readonly fromDate: string;
  readonly toDate: string;
  readonly kind: string;
  readonly start?: string;
  readonly end?: string;
}

export interface SlotRules {
  /** IANA zone of the facility. */
  readonly timeZone: string;
  readonly hours: readonly WeeklyHours[];
  readonly exceptions: readonly ScheduleException[];
  readonly slotMinutes: number;
  /** "yyyy-MM-dd" local dates, inclusive; validTo empty: open-ended. */
  readonly validFrom: string;
  readonly validTo?: string;
}

/** A generated slot: its start as minutes since the Unix epoch, and its length. */
export interface GeneratedSlot {
  readonly startMinute: number;
  readonly minutes: number;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function minutesOfDay(hhmm: string): number {
  const m = HH_MM.exec(hhmm);
  if (!m) throw new RangeError('time must be HH:mm');
  return Number(m[1]) * 60 + Number(m[2]);
}

export function isLocalDate(value: string): boolean {
  return DATE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

export function isTimeZone(zone: string): boolean {
  return zone !== '' && DateTime.local().setZone(zone).isValid;
}

/** Problems with a set of rules (empty when valid), naming fields, never values. */
export function ruleProblems(rules: SlotRules): string[] {
  const problems: string[] = [];
  if (!isTimeZone(rules.timeZone)) problems.push('time_zone');
  if (!Number.isInteger(rules.slotMinutes) || rules.slotMinutes < 5 || rules.slotMinutes > 480) problems.push('slot_minutes');
  if (!isLocalDate(rules.validFrom)) problems.push('valid_from');
  if (rules.validTo && !isLocalDate(rules.validTo)) problems.push('valid_to');
  rules.hours.forEach((h, i) => {
    if (h.weekdays.length === 0 || h.weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) problems.push(`hours[${i}].weekdays`);
    if (!HH_MM.test(h.start) || !HH_MM.test(h.end) || minutesOfDay(h.start) >= minutesOfDay(h.end)) problems.push(`hours[${i}].start/end`);
  });
  rules.exceptions.forEach((e, i) => {
    if (!isLocalDate(e.fromDate) || !isLocalDate(e.toDate) || e.fromDate > e.toDate) problems.push(`exceptions[${i}].from_date/to_date`);
    if ((e.start || e.end) && (!HH_MM.test(e.start ?? '') || !HH_MM.test(e.end ?? '') || minutesOfDay(e.start ?? '') >= minutesOfDay(e.end ?? ''))) problems.push(`exceptions[${i}].start/end`);
  });
  return problems;
}

/**
 * The slots of one local date. Working hours are wall-clock times in the facility's zone, so a
 * 09:00 start stays 09:00 across a daylight-saving change. A wall time the change skips (spring
 * forward) yields no slot; a wall time it repeats (fall back) yields one slot, at its first
 * occurrence. Every slot lasts exactly `slotMinutes` of real time and starts on the rule's grid.
 */
export function slotsOnDate(rules: SlotRules, date: string): GeneratedSlot[] {
  if (date < rules.validFrom || (rules.validTo && date > rules.validTo)) return [];
  const day = DateTime.fromISO(date, { zone: rules.timeZone });
  if (!day.isValid) return [];
  const blocked = rules.exceptions.filter((e) => e.fromDate <= date && date <= e.toDate);
  if (blocked.some((e) => !e.start || !e.end)) return [];
  const len = rules.slotMinutes;
  const seen = new Set<number>();
  const out: GeneratedSlot[] = [];
  for (const rule of rules.hours) {
    if (!rule.weekdays.includes(day.weekday)) continue;
    const from = minutesOfDay(rule.start);
    const to = minutesOfDay(rule.end);
    for (let wall = from; wall + len <= to; wall += len) {
      if (blocked.some((e) => overlaps(wall, wall + len, minutesOfDay(e.start ?? '00:00'), minutesOfDay(e.end ?? '00:00')))) continue;
      const hour = Math.floor(wall / 60);
      const minute = wall % 60;
      const local = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: rules.timeZone });
      // Luxon moves a skipped wall time forward: such a time does not exist that day.
      if (!local.isValid || local.hour !== hour || local.minute !== minute) continue;
      const startMinute = Math.round(local.toMillis() / 60_000);
      if (seen.has(startMinute)) continue;
      seen.add(startMinute);
      out.push({ startMinute, minutes: len });
    }
  }
  out.sort((a, b) => a.startMinute - b.startMinute);
  // Two rules of one day could overlap; keep the earlier slot.
  const kept: GeneratedSlot[] = [];
  for (const slot of out) {
    const last = kept[kept.length - 1];
    if (!last || slot.startMinute >= last.startMinute + last.minutes) kept.push(slot);
  }
  return kept;
}

function overlaps(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

/** Local dates "yyyy-MM-dd" from `first` for `days` days. */
export function localDates(first: string, days: number): string[] {
  const start = DateTime.fromISO(first, { zone: 'UTC' });
  return Array.from({ length: days }, (_, i) => start.plus({ days: i }).toISODate() ?? '');
}

/** The local date of an instant in a zone. */
export function localDateOf(at: Date | number, timeZone: string): string {
  return DateTime.fromMillis(typeof at === 'number' ? at : at.getTime(), { zone: timeZone }).toISODate() ?? '';
}
