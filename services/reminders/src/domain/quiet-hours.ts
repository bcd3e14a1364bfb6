import { DateTime } from 'luxon';
import type { QuietHours } from './policy';

function minutesOf(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function at(day: DateTime, hhmm: string): DateTime {
  const minutes = minutesOf(hhmm);
  // luxon resolves a wall time that does not exist (spring-forward gap) forward, as clocks do.
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 });
}

/** Whether `instant` falls inside the quiet hours in `zone`. */
export function isQuiet(instant: Date, zone: string, quiet: QuietHours): boolean {
  const local = DateTime.fromJSDate(instant, { zone });
  const m = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * Where a reminder due at `instant` goes given quiet hours in the patient's zone: unchanged outside
 * them; else the end of the quiet hours ("after") or one minute before they started ("before").
 */
export function outsideQuietHours(instant: Date, zone: string, quiet: QuietHours | null, move: QuietHours['move'] = quiet?.move ?? 'after'): Date {
  if (!quiet || !isQuiet(instant, zone, quiet)) return instant;
  const local = DateTime.fromJSDate(instant, { zone });
  const m = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  // Across midnight, the evening part belongs to quiet hours that end tomorrow and started today.
  const eveningPart = start > end && m >= start;
  if (move === 'after') return at(eveningPart ? local.plus({ days: 1 }) : local, quiet.end).toJSDate();
  const startedOn = start > end && !eveningPart ? local.minus({ days: 1 }) : local;
  return at(startedOn, quiet.start).minus({ minutes: 1 }).toJSDate();
}
