/** One setting that failed validation, named as the operator sets it (the env var). */
export interface ConfigIssue {
  readonly setting: string;
  readonly problem: string;
}

/**
 * Thrown at boot when the environment does not describe a runnable service.
 * The message names every bad setting; values are never echoed, since some are secrets.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly service: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid configuration for ${service}:\n` +
        issues.map((i) => `  - ${i.setting}: ${i.problem}`).join('\n'),
    );
  }
}
