import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Language } from '@careloop/i18n';

/**
 * The supported language most patients with a phone from that country read, used only when
 * the text itself does not tell. Choices for countries with several languages (the patient
 * can always change it from the menu, and their choice is remembered):
 * - CH → de: German is the majority language (about 60%); French-speaking cantons share the +41 range.
 * - BE → fr: Dutch is the majority but is not supported; French is the supported language most
 *   Belgians read. LU → fr: the language of administration and health care.
 * - CA → en, except Quebec area codes → fr (see QUEBEC_AREA_CODES).
 * - US → en, although many patients read Spanish: a wrong guess is fixed from the menu.
 *   English-speaking countries are listed so the source says "phone", not "default".
 * - RU, BY, KZ, KG → ru (Russian is official or co-official). Other former Soviet states
 *   (UA, the Baltics, the Caucasus, Central Asia) → en: assuming Russian there can offend.
 * - Maghreb (DZ, MA, TN) and francophone Africa, the Caribbean and the Pacific → fr: French is
 *   the supported language used in their health systems. Brazil, Portugal → en (no Portuguese yet).
 * - +90 numbers (including Northern Cyprus) → tr; CY → en.
 * Everything else → undefined, and the caller falls back to English as its default.
 */
const LANGUAGE_BY_COUNTRY: Partial<Record<CountryCode, Language>> = {
  ...countries('en', ['US', 'CA', 'GB', 'GG', 'JE', 'IM', 'IE', 'AU', 'NZ', 'ZA', 'MT', 'SG', 'JM', 'TT', 'BS', 'BB', 'GH', 'NG', 'KE', 'UG', 'ZM', 'ZW']),
  ...countries('es', ['ES', 'MX', 'AR', 'CO', 'PE', 'VE', 'CL', 'EC', 'GT', 'CU', 'BO', 'DO', 'HN', 'PY', 'SV', 'NI', 'CR', 'PA', 'UY', 'PR', 'GQ']),
  ...countries('de', ['DE', 'AT', 'CH', 'LI']),
  ...countries('fr', ['FR', 'MC', 'BE', 'LU', 'RE', 'GP', 'MQ', 'GF', 'YT', 'PM', 'BL', 'MF', 'PF', 'NC', 'WF', 'HT', 'DZ', 'MA', 'TN',
    'SN', 'CI', 'ML', 'BF', 'NE', 'TG', 'BJ', 'GN', 'CM', 'CD', 'CG', 'GA', 'CF', 'TD', 'MG', 'DJ', 'KM', 'BI']),
  ...countries('tr', ['TR']),
  ...countries('ru', ['RU', 'BY', 'KZ', 'KG']),
};

// Quebec's area codes (NANP): a Canadian number there is most likely a French speaker's.
const QUEBEC_AREA_CODES: ReadonlySet<string> = new Set(['263', '354', '367', '418', '438', '450', '468', '514', '579', '581', '819', '873']);

/** The language suggested by a phone number (E.164, "+" optional), or undefined. */
export function phoneLanguage(phoneE164: string): Language | undefined {
  const phone = parsePhoneNumberFromString(phoneE164.startsWith('+') ? phoneE164 : `+${phoneE164}`);
  const country = phone?.country;
  if (phone === undefined || country === undefined) return undefined;
  if (country === 'CA' && QUEBEC_AREA_CODES.has(phone.nationalNumber.slice(0, 3))) return 'fr';
  return LANGUAGE_BY_COUNTRY[country];
}

function countries(language: Language, codes: readonly CountryCode[]): Partial<Record<CountryCode, Language>> {
  return Object.fromEntries(codes.map((code) => [code, language]));
}
