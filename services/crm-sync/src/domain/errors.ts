import { NonRetryableError } from '@careloop/bus';

/** 429, 5xx, a timeout or a refused connection: the same write may succeed later. */
export class TransientFhirError extends Error {
  override readonly name: string = 'TransientFhirError';
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Seconds the server asked us to wait (Retry-After), if it did. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The connector's circuit is open: the call was not made. */
export class CircuitOpenError extends TransientFhirError {
  override readonly name = 'CircuitOpenError';
  constructor(connectorId: string) {
    super(`circuit open for connector ${connectorId}`, undefined);
  }
}

/**
 * The server refused the resource (400, 409, 422...): retrying the same event cannot help, so it
 * goes to the dead-letter topic with the OperationOutcome as its reason.
 */
export class RejectedResourceError extends NonRetryableError {
  override readonly name = 'RejectedResourceError';
  constructor(
    readonly resourceType: string,
    readonly status: number,
    /** Issue severities, codes and diagnostics of the OperationOutcome, one line. */
    readonly outcome: string,
  ) {
    super(`${resourceType} rejected with HTTP ${status}: OperationOutcome ${outcome}`);
  }
}

/** What we built does not pass our own R4 checks: a bug or an event we cannot represent. */
export class InvalidResourceError extends NonRetryableError {
  override readonly name = 'InvalidResourceError';
  constructor(resourceType: string, problems: string) {
    super(`${resourceType} failed R4 validation: ${problems}`);
  }
}

/** A connector URL (or a URL the server sent us to) is not one we may call. */
export class UnsafeUrlError extends Error {
  override readonly name = 'UnsafeUrlError';
}

/** A connector definition that cannot be stored. */
export class InvalidConnectorError extends Error {
  override readonly name = 'InvalidConnectorError';
}

export class ConnectorNotFoundError extends Error {
  override readonly name = 'ConnectorNotFoundError';
  constructor(connectorId: string) {
    super(`connector ${connectorId} not found`);
  }
}
