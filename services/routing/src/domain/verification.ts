import type { Language } from '../i18n/catalog';

/**
 * Dates of birth as patients write them. Every supported language writes the day first
 * (en is answered in the international DD/MM/YYYY the prompt shows); separators "/", ".", "-"
 * or spaces, and ISO 8601 (YYYY-MM-DD) is accepted in every language.
 */
export function parseBirthDate(text: string, _language: Language): string | undefined {
  const s = text.trim();
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(s);
  const dayFirst = /^(\d{1,2})[\s/.-]+(\d{1,2})[\s/.-]+(\d{4})$/.exec(s);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : dayFirst ? [dayFirst[3], dayFirst[2], dayFirst[1]] : [];
  if (!y || !m || !d) return undefined;
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (year < 1900 || date.getTime() > Date.now()) return undefined;
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

/** Policy of the verification step (settings, same for every tenant for now). */
export interface VerificationPolicy {
  /** How long a passed verification holds for the same contact, patient and purpose. */
  readonly validMs: number;
  /** Wrong answers in a row that lock the request. */
  readonly maxFailures: number;
  /** How long a lock lasts. */
  readonly lockMs: number;
  /** Date-of-birth attempts per hour, per contact and per patient (beyond which we say "later"). */
  readonly attemptsPerHour: number;
  /**
   * Whether a patient writing from a phone no record lists may give their hospital number (MRN)
   * instead; they then always need the one-time code, sent to the phone on their record.
   */
  readonly mrnLookup: boolean;
  /** Whether the tenant asks for a one-time code after the date of birth. */
  readonly oneTimeCode: (tenantId: string) => boolean;
  /** The tenant's approved authentication template (code in the body and the copy-code button). */
  readonly oneTimeCodeTemplate: string;
  /** How long a code works. */
  readonly oneTimeCodeTtlMs: number;
}
