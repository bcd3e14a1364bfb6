/** A store operation was attempted without the tenant that must scope it. */
export class MissingTenantError extends Error {
  override readonly name = 'MissingTenantError';
  constructor(operation: string) {
    super(`Refused ${operation}: no tenant scope. Every query must name its tenant.`);
  }
}

/** A sealed field could not be opened: unknown key id, tampering, or a value moved to another record. */
export class FieldDecryptionError extends Error {
  override readonly name = 'FieldDecryptionError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Encrypted field could not be decrypted: ${reason}`, options);
  }
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(store: string, options?: { cause?: unknown }) {
    super(`${store} is unavailable`, options);
  }
}
