/** Where an instant falls in a facility's own calendar: the buckets every report slices by. */
export interface LocalBuckets {
  /** YYYY-MM-DD */
  readonly day: string;
  /** ISO week, YYYY-Www */
  readonly week: string;
  /** YYYY-MM */
  readonly month: string;
  /** ISO weekday, 1 = Monday ... 7 = Sunday */
  readonly weekday: number;
  /** 0-23 */
  readonly hour: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', weekday: 'short' });
    formats.set(timeZone, format);
  }
  return format;
}

/** Whether the IANA zone name is one this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  if (!timeZone) return false;
  try {
    formatFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The local buckets of an instant; an unknown zone buckets in UTC (callers check `isTimeZone` first). */
export function localBuckets(at: Date, timeZone: string): LocalBuckets {
  const parts = Object.fromEntries(formatFor(isTimeZone(timeZone) ? timeZone : 'UTC').formatToParts(at).map((p) => [p.type, p.value]));
  const year = Number(parts['year']);
  const month = Number(parts['month']);
  const dayOfMonth = Number(parts['day']);
  const weekday = WEEKDAYS[parts['weekday'] ?? 'Mon'] ?? 1;
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    day: `${year}-${pad(month)}-${pad(dayOfMonth)}`,
    week: isoWeek(year, month, dayOfMonth, weekday),
    month: `${year}-${pad(month)}`,
    weekday,
    hour: Number(parts['hour']) % 24,
  };
}

function isoWeek(year: number, month: number, day: number, weekday: number): string {
  // The ISO week's year is the year of its Thursday.
  const thursday = new Date(Date.UTC(year, month - 1, day + (4 - weekday)));
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 / 7) + 1;
  return `${weekYear}-W${String(week).padStart(2, '0')}`;
}

/** The local hour of an instant in a zone (quiet hours). */
export function localHour(at: Date, timeZone: string): number {
  return localBuckets(at, timeZone).hour;
}

/** Whether a local hour falls in [start, end), wrapping midnight (21 → 9 is the night). Equal bounds: never. */
export function inQuietHours(hour: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? hour >= start && hour < end : hour >= start || hour < end;
}
