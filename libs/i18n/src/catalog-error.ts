import type { Language } from './languages';

/**
 * A catalogue that cannot be trusted (missing, extra or malformed message) or a message
 * that cannot be formatted. Names the language and key, never the values passed in:
 * those may be PHI.
 */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  constructor(
    readonly language: Language,
    readonly key: string | undefined,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`message catalogue "${language}"${key === undefined ? '' : `, key "${key}"`}: ${problem}`, options);
  }
}
