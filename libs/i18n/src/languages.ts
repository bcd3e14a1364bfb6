/**
 * The languages patients can be served in. Adding one: see ./README.md.
 * English is the reference catalogue and the last-resort default.
 */
export const SUPPORTED_LANGUAGES = ['en', 'es', 'de', 'fr', 'tr', 'ru'] as const;

export type Language = (typeof SUPPORTED_LANGUAGES)[number];

export const DEFAULT_LANGUAGE: Language = 'en';

const supported: ReadonlySet<string> = new Set(SUPPORTED_LANGUAGES);

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && supported.has(value);
}
