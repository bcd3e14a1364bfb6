import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names that carry patient data anywhere in a log object. Logs must never
 * hold PHI, so these are censored at any of the first three levels of nesting
 * (pino's redaction does not support deep wildcards; deeper objects should not
 * be logged at all).
 */
export const PHI_FIELDS = [
  'name',
  'firstName',
  'lastName',
  'fullName',
  'profileName',
  'phone',
  'phoneE164',
  'phoneNumber',
  'waId',
  'wa_id',
  'email',
  'dateOfBirth',
  'birthDate',
  'dob',
  'address',
  'body',
  'text',
  'caption',
  'comment',
  'symptoms',
  'result',
  'results',
  'username',
  'authorization',
  'cookie',
  'secret',
  'password',
  'token',
] as const;

export function phiRedactPaths(fields: readonly string[] = PHI_FIELDS): string[] {
  return fields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
}

export interface LoggerSettings {
  readonly service: string;
  readonly level?: string;
  /** Extra field names to censor, beyond PHI_FIELDS. */
  readonly redact?: readonly string[];
  /** For tests: where log lines go (default stdout). */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    redact: { paths: phiRedactPaths([...PHI_FIELDS, ...(settings.redact ?? [])]), censor: '[PHI]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
