import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates the process environment against a zod object whose keys are the
 * env var names, e.g. `{ KAFKA_BROKERS: kafkaBrokers() }`. Returns the typed
 * result or throws ConfigError naming every missing or malformed setting.
 */
export function loadConfig<S extends z.ZodObject>(service: string, schema: S, env: Env = process.env): z.infer<S> {
  // Empty strings count as unset: `FOO=` in a .env file means "not configured".
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(service, toIssues(result.error));
}

function toIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({
    setting: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
    problem: describe(issue),
  }));
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required but not set';
  return issue.message;
}
