import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { FieldDecryptionError, MissingTenantError } from './errors';

export interface KeyMaterial {
  /** Short id stored with every ciphertext, so keys can rotate. */
  readonly id: string;
  /** 32 random bytes. */
  readonly key: Buffer;
}

/** What a ciphertext is bound to: opening it anywhere else fails. */
export interface FieldContext {
  readonly tenantId: string;
  /** e.g. "contacts.phone" */
  readonly field: string;
}

const FORMAT = 'ck1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Field-level encryption of PHI before it reaches the database: AES-256-GCM
 * with the tenant and field name as associated data, and a keyed HMAC blind
 * index for the fields that must be looked up by value (a phone number).
 *
 * Key rings: the first key encrypts, every key decrypts. To rotate, put the new
 * key first and keep the old ones until a re-encryption pass has run.
 * Blind-index keys rotate the same way; lookups try every key
 * (`blindIndexCandidates`), new writes use the first.
 */
export class FieldCipher {
  private readonly encryptionKeys: ReadonlyMap<string, Buffer>;
  private readonly activeEncryptionKey: KeyMaterial;
  private readonly indexKeys: readonly KeyMaterial[];
  private readonly derived = new Map<string, Buffer>();

  constructor(encryptionKeys: readonly KeyMaterial[], blindIndexKeys: readonly KeyMaterial[]) {
    const active = encryptionKeys[0];
    if (!active) throw new Error('FieldCipher needs at least one encryption key');
    if (blindIndexKeys.length === 0) throw new Error('FieldCipher needs at least one blind-index key');
    for (const k of [...encryptionKeys, ...blindIndexKeys]) {
      if (k.key.length !== 32) throw new Error(`Key ${k.id} must be 32 bytes`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(k.id)) throw new Error('Key ids are 1-32 characters of [A-Za-z0-9_-]');
    }
    this.activeEncryptionKey = active;
    this.encryptionKeys = new Map(encryptionKeys.map((k) => [k.id, k.key]));
    this.indexKeys = blindIndexKeys;
  }

  encrypt(plaintext: string, context: FieldContext): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.activeEncryptionKey.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, this.activeEncryptionKey.id, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
  }

  decrypt(sealed: string, context: FieldContext): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new FieldDecryptionError('not a sealed field');
    const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
    const key = this.encryptionKeys.get(keyId);
    if (!key) throw new FieldDecryptionError(`key "${keyId}" is not in the key ring`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, unb64(iv), { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(context));
      decipher.setAuthTag(unb64(tag));
      return Buffer.concat([decipher.update(unb64(ciphertext)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new FieldDecryptionError('authentication failed (wrong key, tenant or field)', { cause });
    }
  }

  /** The key id a sealed value was written with (to find values needing re-encryption). */
  keyIdOf(sealed: string): string | undefined {
    const parts = sealed.split('.');
    return parts.length === 5 && parts[0] === FORMAT ? parts[1] : undefined;
  }

  needsReencryption(sealed: string): boolean {
    return this.keyIdOf(sealed) !== this.activeEncryptionKey.id;
  }

  /**
   * Deterministic, keyed, per-tenant digest of an already normalised value
   * (e.g. an E.164 phone). Equal inputs give equal outputs within one tenant
   * and purpose; nothing about the value can be learnt without the key.
   */
  blindIndex(value: string, context: FieldContext): string {
    const key = this.indexKeys[0];
    if (!key) throw new Error('unreachable: no blind-index key');
    return this.indexWith(key, value, context);
  }

  /** Index values under every key in the ring: query with `$in` during a rotation. */
  blindIndexCandidates(value: string, context: FieldContext): string[] {
    return this.indexKeys.map((k) => this.indexWith(k, value, context));
  }

  private indexWith(key: KeyMaterial, value: string, context: FieldContext): string {
    if (!context.tenantId) throw new MissingTenantError('blind index');
    const cacheKey = `${key.id}\u0000${context.tenantId}\u0000${context.field}`;
    let derived = this.derived.get(cacheKey);
    if (!derived) {
      derived = Buffer.from(hkdfSync('sha256', key.key, Buffer.from(context.tenantId), Buffer.from(`careloop-blind-index:${context.field}`), 32));
      this.derived.set(cacheKey, derived);
    }
    return `${key.id}.${b64(createHmac('sha256', derived).update(value, 'utf8').digest())}`;
  }
}

function associatedData(context: FieldContext): Buffer {
  if (!context.tenantId) throw new MissingTenantError('field encryption');
  return Buffer.from(`${context.tenantId}\u0000${context.field}`, 'utf8');
}

const b64 = (b: Buffer) => b.toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url');

/** A fresh random 32-byte key, base64: for `PHI_ENCRYPTION_KEYS=k1:<this>`. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}
