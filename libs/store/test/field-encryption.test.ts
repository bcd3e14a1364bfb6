import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { FieldCipher, FieldDecryptionError, MissingTenantError, type KeyMaterial } from '@careloop/store';

const key = (id: string): KeyMaterial => ({ id, key: randomBytes(32) });
const ctx = { tenantId: 'tenant-a', field: 'contacts.phone' };

describe('FieldCipher', () => {
  const k1 = key('k1');
  const k2 = key('k2');
  const i1 = key('i1');
  const i2 = key('i2');

  it('round-trips any text, and never yields the same ciphertext twice', () => {
    const cipher = new FieldCipher([k1], [i1]);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (plaintext) => {
        const a = cipher.encrypt(plaintext, ctx);
        const b = cipher.encrypt(plaintext, ctx);
        expect(a).not.toBe(b);
        expect(cipher.decrypt(a, ctx)).toBe(plaintext);
      }),
    );
  });

  it('binds a ciphertext to its tenant and field', () => {
    const cipher = new FieldCipher([k1], [i1]);
    const sealed = cipher.encrypt('+34600111222', ctx);
    expect(() => cipher.decrypt(sealed, { ...ctx, tenantId: 'tenant-b' })).toThrow(FieldDecryptionError);
    expect(() => cipher.decrypt(sealed, { ...ctx, field: 'contacts.name' })).toThrow(FieldDecryptionError);
  });

  it('detects tampering', () => {
    const cipher = new FieldCipher([k1], [i1]);
    const parts = cipher.encrypt('hello', ctx).split('.');
    const ct = Buffer.from(parts[4] ?? '', 'base64url');
    ct[0] = (ct[0] ?? 0) ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'), ctx)).toThrow(/authentication failed/);
  });

  it('encrypts with the first key and decrypts with any key of the ring', () => {
    const old = new FieldCipher([k1], [i1]);
    const rotated = new FieldCipher([k2, k1], [i1]);
    const sealedOld = old.encrypt('x', ctx);
    const sealedNew = rotated.encrypt('y', ctx);
    expect(rotated.decrypt(sealedOld, ctx)).toBe('x');
    expect(rotated.keyIdOf(sealedNew)).toBe('k2');
    expect(rotated.needsReencryption(sealedOld)).toBe(true);
    expect(() => old.decrypt(sealedNew, ctx)).toThrow(/key "k2" is not in the key ring/);
  });

  it('gives a deterministic blind index per tenant, and candidates under every index key', () => {
    const cipher = new FieldCipher([k1], [i2, i1]);
    const a = cipher.blindIndex('+34600111222', ctx);
    expect(cipher.blindIndex('+34600111222', ctx)).toBe(a);
    expect(cipher.blindIndex('+34600111223', ctx)).not.toBe(a);
    expect(cipher.blindIndex('+34600111222', { ...ctx, tenantId: 'tenant-b' })).not.toBe(a);
    expect(a.startsWith('i2.')).toBe(true);
    const before = new FieldCipher([k1], [i1]).blindIndex('+34600111222', ctx);
    expect(cipher.blindIndexCandidates('+34600111222', ctx)).toEqual([a, before]);
    expect(a).not.toContain('600111222');
  });

  it('refuses to work without a tenant', () => {
    const cipher = new FieldCipher([k1], [i1]);
    expect(() => cipher.encrypt('x', { tenantId: '', field: 'f' })).toThrow(MissingTenantError);
    expect(() => cipher.blindIndex('x', { tenantId: '', field: 'f' })).toThrow(MissingTenantError);
  });
});
