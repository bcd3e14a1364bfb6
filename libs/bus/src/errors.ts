/**
 * Thrown by a handler for an event that can never succeed (malformed payload,
 * reference to a tenant that does not exist...). The consumer sends it straight
 * to the dead-letter topic instead of retrying.
 */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
}

/** A record on the topic is not a valid envelope of the expected type. */
export class PoisonRecordError extends NonRetryableError {
  override readonly name = 'PoisonRecordError';
}

/** Publishing failed after the client's own retries. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly topic: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not publish to ${topic}: ${describeCause(options?.cause)}`, options);
  }
}

export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  constructor() {
    super('The event bus is closed');
  }
}

export class MissingTenantError extends NonRetryableError {
  override readonly name = 'MissingTenantError';
  constructor(what: string) {
    super(`${what} has no tenant`);
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
