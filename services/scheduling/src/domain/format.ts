import { DateTime } from 'luxon';

/** Locale for dates per supported language (the patient's language, not the facility's). */
const LOCALES: Readonly<Record<string, string>> = { en: 'en-GB', es: 'es-ES', de: 'de-DE', fr: 'fr-FR', tr: 'tr-TR', ru: 'ru-RU' };

export interface ShownTime {
  /** Short date for list rows: "Tue 3 Dec". */
  readonly shortDate: string;
  /** Full date for messages: "Tuesday, 3 December 2026". */
  readonly longDate: string;
  /** "09:30". */
  readonly time: string;
}

/** An instant as the patient reads it: in the facility's time zone, in the patient's language format. */
export function showTime(at: Date, timeZone: string, language: string): ShownTime {
  const t = DateTime.fromJSDate(at, { zone: timeZone }).setLocale(LOCALES[language] ?? 'en-GB');
  return {
    shortDate: t.toLocaleString({ weekday: 'short', day: 'numeric', month: 'short' }),
    longDate: t.toLocaleString({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
    time: t.toLocaleString({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
  };
}

/** Cuts a text to fit a WhatsApp field, with an ellipsis. */
export function fit(text: string, max: number): string {
  const chars = Array.from(new Intl.Segmenter().segment(text), (s) => s.segment);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
